"""Popular cached answers recomputed once, in the background, after an event drops them.

An event drops the answers it can change (realtime/cache.py, realtime/answer_tags.py). Left at
that, the next reader of each dropped answer computes it while the others wait, and a wall that
changes every second spends its readers' time on it. Instead, the response cache remembers how
each kept answer was asked for (the request's scope and body: anonymous requests only) and,
when an event drops an answer that was read at least `popular_reads` times, asks again in the
background — once, one answer at a time, at most `max_per_change` per change. Readers that come
meanwhile wait for that computation (the cache's single flight) instead of starting their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

from realtime import tasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    scope: Scope
    parsed: tuple[bytes, Any] | None  # a POST's body and what it parsed to; None for GET
    operation: Any  # response_cache.Operation


class Refresher:
    def __init__(self, popular_reads: int = 2, max_per_change: int = 32,
                 max_recipes: int = 2000) -> None:
        self.popular_reads = popular_reads
        self.max_per_change = max_per_change
        self.max_recipes = max_recipes
        self.recipes: OrderedDict[Hashable, Recipe] = OrderedDict()
        self.pending: OrderedDict[Hashable, None] = OrderedDict()
        self.run: Callable[[Any, Recipe], Awaitable[bool]] | None = None  # the middleware's
        self.recomputed = 0
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def remember(self, key: Hashable, scope: Scope, parsed: tuple[bytes, Any] | None,
                 operation: Any) -> None:
        kept = {k: v for k, v in scope.items() if k not in ("state", "app", "router",
                                                            "endpoint", "route")}
        self.recipes[key] = Recipe(kept, parsed, operation)
        self.recipes.move_to_end(key)
        while len(self.recipes) > self.max_recipes:
            self.recipes.popitem(last=False)

    def dropped(self, dropped: list[tuple[Hashable, int]]) -> None:
        """The cache's `on_drop`: queue the popular ones, most read first."""
        popular = sorted((d for d in dropped if d[1] >= self.popular_reads
                          and d[0] in self.recipes), key=lambda d: -d[1])
        for key, _reads in popular[:self.max_per_change]:
            self.pending[key] = None
        if self.pending and self.run is not None and not self._stopped and (
                self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while self.pending and self.run is not None:
            key, _ = self.pending.popitem(last=False)
            recipe = self.recipes.get(key)
            if recipe is None:
                continue
            try:
                if await self.run(key, recipe):
                    self.recomputed += 1
            except Exception:  # a failed recomputation leaves the next reader to compute
                log.warning("could not recompute a cached answer", exc_info=True)

    async def idle(self) -> None:
        """Wait until nothing is left to recompute (tests, benchmarks)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        self._stopped = True
        self.pending.clear()
        await tasks.stop(self._task)

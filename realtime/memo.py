"""Results of expensive read-only aggregates (rankings, statistics) kept until the next event
this process reads, or `max_age` seconds (figures such as "overdue" move with time alone).

Concurrent callers of the same key share one computation; a result computed while an event
arrived is returned but not kept (it may predate the change).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self, max_age: float = 60.0, max_entries: int = 256) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.generation = 0
        self.computations = 0
        self._kept: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    def invalidate(self, *_: object) -> None:
        self.generation += 1
        self._kept.clear()
        self._running.clear()

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        kept = self._kept.get(key)
        if kept is not None and kept[0] > time.monotonic():
            value: T = kept[1]
            return value
        running = self._running.get(key)
        if running is not None:
            shared: T = await asyncio.shield(running)
            return shared
        generation = self.generation
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            self.computations += 1
            result = await compute()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            if self._running.get(key) is future:
                del self._running[key]
        future.set_result(result)
        if generation == self.generation and self.max_age > 0:
            self._kept[key] = (time.monotonic() + self.max_age, result)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        return result

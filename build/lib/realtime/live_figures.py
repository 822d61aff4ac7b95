"""statsUpdated and rankingsUpdated: recomputed after changes, at most once a second per
process and per stream, whatever the number of subscribers; each subscriber keeps only the
latest value (a slow reader skips stale figures instead of queueing them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any

from realtime import tasks

log = logging.getLogger(__name__)

Compute = Callable[[], Awaitable[Any]]


class LiveFigures:
    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval
        self.computations = 0
        self._computers: dict[Hashable, Compute] = {}
        self._latest: dict[Hashable, Any] = {}
        self._queues: dict[Hashable, set[asyncio.Queue[Any]]] = {}
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)

    def changed(self, *_: object) -> None:
        self._dirty.set()

    async def _compute(self, key: Hashable) -> Any:
        self.computations += 1
        value = await self._computers[key]()
        self._latest[key] = value
        return value

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            for key in [k for k, queues in self._queues.items() if queues]:
                try:
                    value = await self._compute(key)
                except Exception:
                    log.warning("could not recompute %s", key, exc_info=True)
                    continue
                for queue in self._queues.get(key, ()):
                    if queue.full():
                        queue.get_nowait()
                    queue.put_nowait(value)
            await asyncio.sleep(self.min_interval)

    async def follow(self, key: Hashable, compute: Compute) -> AsyncIterator[Any]:
        self._computers.setdefault(key, compute)
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
        self._queues.setdefault(key, set()).add(queue)
        try:
            yield self._latest[key] if key in self._latest else await self._compute(key)
            while True:
                yield await queue.get()
        finally:
            self._queues[key].discard(queue)
            if not self._queues[key]:
                del self._queues[key]
                self._latest.pop(key, None)  # nobody follows it: it would go stale

"""The per-IP flood limit (`requests_ip`), counted in this process's memory at a few µs a request.

Every request to the API passes here, so it must cost next to nothing: one dictionary lookup and
a little arithmetic, no await, no storage round trip. It is an approximate sliding window (the
previous fixed window's count, weighted by how much of it is still inside the sliding minute,
plus the current one's), which is what a flood limit needs; the exact limits that guard business
rules (models/throttle.py) stay exact.

With several processes the counts are merged through Redis in batches: once a second each
process adds what it counted since the last time (INCRBY on a key per IP and window, one
pipeline) and learns the fleet's totals from the answers. A flood is then seen by every process
within about a second; if Redis is unreachable each process keeps counting on its own.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from realtime import tasks

log = logging.getLogger(__name__)

KEY_PREFIX = "hien-truong:flood"
MAX_SYNCED_PER_ROUND = 10_000  # addresses per pipeline; the rest wait for the next round


@dataclass
class _Count:
    window: int  # which fixed window (seconds since the epoch // window length)
    previous: int  # the fleet's count in the window before it
    synced: int  # the fleet's count in this window at the last synchronisation
    pending: int  # counted here since then


class FloodCounter:
    def __init__(self, limit: int, window_seconds: float, redis_url: str | None = None, *,
                 sync_seconds: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.redis_url = redis_url
        self.sync_seconds = sync_seconds
        self.clock = clock
        self.counts: dict[str, _Count] = {}
        self.refused = 0
        self.sync_failures = 0
        self._redis: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._pruned = -1

    def hit(self, ip: str) -> int | None:
        """Count one request from `ip`; None if allowed, else the seconds to wait (≥ 1)."""
        now = self.clock()
        window, into = divmod(now, self.window_seconds)
        current = int(window)
        count = self.counts.get(ip)
        if count is None:
            count = self.counts[ip] = _Count(current, 0, 0, 0)
        elif count.window != current:
            finished = count.synced + count.pending
            count.previous = finished if count.window == current - 1 else 0
            count.window, count.synced, count.pending = current, 0, 0
        weight = 1.0 - into / self.window_seconds
        if count.previous * weight + count.synced + count.pending >= self.limit:
            self.refused += 1
            return max(1, math.ceil(self.window_seconds - into))
        count.pending += 1
        return None

    def forget_old(self) -> None:
        """Drop addresses not seen in the last two windows, once per window (memory stays
        bounded by the addresses of the last two windows)."""
        current = int(self.clock() // self.window_seconds)
        if current == self._pruned:
            return
        self._pruned = current
        self.counts = {ip: c for ip, c in self.counts.items() if c.window >= current - 1}

    async def sync(self) -> None:
        """Add what this process counted to the fleet's totals and learn them."""
        if self._redis is None:
            return
        batch = [(ip, c.window, c.pending) for ip, c in self.counts.items() if c.pending]
        batch = batch[:MAX_SYNCED_PER_ROUND]
        if not batch:
            return
        expiry = math.ceil(self.window_seconds * 2) + 1
        async with self._redis.pipeline(transaction=False) as pipe:
            for ip, window, pending in batch:
                key = f"{KEY_PREFIX}:{window}:{ip}"
                pipe.incrby(key, pending)
                pipe.expire(key, expiry)
            answers = await pipe.execute()
        for (ip, window, pending), total in zip(batch, answers[::2], strict=True):
            count = self.counts.get(ip)
            if count is None or count.window != window:
                continue  # the window rolled over meanwhile: its total no longer matters
            count.pending -= pending  # what was counted meanwhile stays pending
            count.synced = max(count.synced, int(total))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.sync_seconds)
            try:
                await self.sync()
            except Exception:  # Redis away: keep counting locally, try again next round
                self.sync_failures += 1
                if self.sync_failures == 1 or self.sync_failures % 60 == 0:
                    log.warning("flood counter: Redis unreachable, counting per process",
                                exc_info=True)
            self.forget_old()

    def start(self) -> None:
        if self.redis_url:
            self._redis = aioredis.from_url(self.redis_url, socket_timeout=2,
                                            socket_connect_timeout=2)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

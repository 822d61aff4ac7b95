"""The event bus between server processes, on broadcaster's public API (memory:// or redis://).

Messages are only wake-up calls: the hub reads the events themselves from the database, so a
lost message delays a delivery by at most one poll interval and never loses it. This wrapper
covers broadcaster's known weak spots:
- payloads are JSON strings (the Redis backend hands back text, memory:// hands back objects);
- its Redis backend never delivers with current redis-py (see realtime/redis_backend.py);
- one subscription per process, opened at start-up (no race between first subscribers);
- a watchdog: when Redis goes away our backend says so with a `LOST` message, and we reconnect
  with backoff and ask the hub to resync (broadcaster itself would wait forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from broadcaster import Broadcast

from models.orm.reports import ReportEvent
from realtime import tasks
from realtime.events import REPORT_EVENTS, encode
from realtime.redis_backend import LOST, RedisPubSubBackend

log = logging.getLogger(__name__)


def _broadcast_for(url: str) -> Broadcast:
    if url.startswith(("redis://", "rediss://")):
        return Broadcast(backend=RedisPubSubBackend(url))
    return Broadcast(url)


class EventBus:
    def __init__(self, url: str, on_notice: Callable[[], None] | None = None) -> None:
        self.url = url
        self.on_notice = on_notice or (lambda: None)
        self.published = 0
        self.failed = 0
        self.reconnects = 0
        self.connected = False
        self._broadcast: Broadcast | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())

    async def disconnect(self) -> None:
        await tasks.stop(self._task)

    @property
    def healthy(self) -> bool:
        return self.connected

    async def publish(self, events: Sequence[ReportEvent]) -> None:
        """Called after the transaction committed. Never raises: a change must stand even when
        Redis is down, and subscribers catch up from the database."""
        if not events:
            return
        self.on_notice()  # this process's subscribers need not wait for the round trip
        broadcast = self._broadcast
        if broadcast is None:
            self.failed += 1
            return
        try:
            await broadcast.publish(channel=REPORT_EVENTS, message=encode(events[-1]))
            self.published += 1
        except Exception:
            self.failed += 1
            log.warning("could not publish event seq=%s", events[-1].id, exc_info=True)

    async def _listen_forever(self) -> None:
        backoff = 0.2
        while True:
            broadcast = _broadcast_for(self.url)
            try:
                await broadcast.connect()
                async with broadcast.subscribe(REPORT_EVENTS) as subscription:
                    self._broadcast, self.connected, backoff = broadcast, True, 0.2
                    self.on_notice()  # resync: anything may have happened while we were away
                    await self._pump(subscription)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("event bus %s unavailable; retrying", self.url, exc_info=True)
            finally:
                self.connected = False
                self._broadcast = None
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await broadcast.disconnect()
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _pump(self, subscription: Any) -> None:
        while True:
            event = await subscription.get()
            if event.message == LOST:
                raise ConnectionError("the bus lost its connection")
            self.on_notice()

"""A Redis pub/sub backend for broadcaster, on its public `BroadcastBackend` interface.

broadcaster 0.3's own Redis backend starts `pubsub.listen()` as soon as the subscription is
*requested*; with redis-py 5 and later, `listen()` on a connection that is not subscribed yet
ends at once, and the backend then waits forever: no message ever arrives (measured here with
redis-py 8.1: zero deliveries). This one polls `get_message` only once subscribed.

A lost connection must not pass in silence: broadcaster's listener task would die with the
error and its subscribers wait forever. So the loss is delivered as a message (`LOST`) on every
subscribed channel, which the bus (realtime/bus.py) answers by reconnecting; after that this
backend delivers nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from broadcaster import BroadcastBackend, Event
from redis import asyncio as redis

log = logging.getLogger(__name__)
LOST = "\x00lost"  # never a JSON message


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: redis.Redis | None = None
        self._pubsub: Any = None
        self._channels: set[str] = set()
        self._lost: list[Event] | None = None  # set once the connection is lost

    async def connect(self) -> None:
        self._conn = redis.Redis.from_url(self._url, socket_connect_timeout=2,
                                          health_check_interval=5)
        self._pubsub = self._conn.pubsub(ignore_subscribe_messages=True)
        await self._conn.ping()  # fail now, not on the first publish, if Redis is away

    async def disconnect(self) -> None:
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._conn is not None:
            await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        assert self._conn is not None
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        if self._lost is None:
            try:
                return await self._next()
            except Exception:
                log.warning("Redis pub/sub connection lost", exc_info=True)
                self._lost = [Event(channel, LOST) for channel in self._channels]
        if self._lost:
            return self._lost.pop()
        await asyncio.Future()  # told already: wait to be disconnected
        raise AssertionError("unreachable")

    async def _next(self) -> Event:
        while True:
            if not self._pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message["type"] == "message":
                return Event(channel=message["channel"].decode(),
                             message=message["data"].decode())

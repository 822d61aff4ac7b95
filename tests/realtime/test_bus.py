"""The event bus over a real Redis, on broadcaster's public API: notices cross between buses,
a lost connection is noticed (our backend says so instead of broadcaster waiting forever) and
the bus reconnects and asks for a resync once Redis is back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from models.enums import EventKind
from models.orm.reports import ReportEvent
from realtime.bus import EventBus
from tests.support.servers import start_redis


async def until(condition: Callable[[], bool], within: float = 15) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (the bus has no event to wait on)
            await asyncio.sleep(0.05)


def event(seq: int) -> ReportEvent:
    """What the bus reads of an event (it carries ids only), without a database."""
    return cast(ReportEvent, SimpleNamespace(id=seq, report_id=1, kind=EventKind.SUBMITTED,
                                             agency_id=None, to_status=None))


async def test_notices_cross_and_the_bus_comes_back_after_redis_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    redis = start_redis(tmp_path / "redis")
    heard: list[int] = []
    listener = EventBus(redis.url, on_notice=lambda: heard.append(1))
    speaker = EventBus(redis.url)
    try:
        await listener.connect()
        await speaker.connect()
        await until(lambda: listener.healthy and speaker.healthy)
        before = len(heard)  # connecting asks for a resync too
        await speaker.publish([event(1)])
        await until(lambda: len(heard) > before)

        reconnects = listener.reconnects
        redis.stop()
        await until(lambda: not listener.healthy)
        redis = start_redis(tmp_path / "redis-again", port=redis.port)
        await until(lambda: listener.healthy)
        assert listener.reconnects > reconnects
        # Each bus lost one connection, and heard of it once (not once per retry of redis-py).
        lost = [r for r in caplog.records if r.getMessage() == "Redis pub/sub connection lost"]
        assert len(lost) == 2
        await until(lambda: speaker.healthy)
        before = len(heard)
        await speaker.publish([event(2)])
        await until(lambda: len(heard) > before)
    finally:
        await speaker.disconnect()
        await listener.disconnect()
        redis.stop()

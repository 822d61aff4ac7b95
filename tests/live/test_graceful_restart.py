"""A process restarted (SIGTERM) while a client is subscribed: the socket closes with 1012
("service restart"), the client reconnects to the other process with `after`, and every event
reaches it exactly once, in order, as it reaches a subscriber nobody disturbed."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.process import SECRET, Process
from bench.servers import Server
from bench.world import make_world
from models.db import database
from models.deps import Deps
from models.rules.calendar import vietnam
from tests.conftest import forget_dialect_caches
from tests.live.test_multi_process import make_public
from tests.support.ws import WsClient

FEED = "subscription($after: String) { publicFeed(after: $after) { seq kind } }"
EVENTS = 16  # reports made public (submitted, then assigned)

pytestmark = pytest.mark.postgres


async def collect(client: WsClient, op: str, seen: list[int], until: int | None,
                  within: float) -> None:
    """Append each event's seq until `until` is seen, the stream ends or the socket closes."""
    while until is None or not seen or seen[-1] < until:
        if client.closed.done() and client.queues[op].empty():
            return
        waiting: asyncio.Future[Any] = asyncio.ensure_future(client.next(op, within=within))
        await asyncio.wait([waiting, client.closed], return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            continue
        message = waiting.result()
        if "complete" in message or "errors" in message:
            return
        seen.append(int(message["data"]["publicFeed"]["seq"]))


async def ask(url: str, stop: asyncio.Event, outcomes: list[str]) -> None:
    """A balancer's view: it probes /readyz and sends queries while the process is ready, and
    stops sending once it says 503. Every query sent is answered in full."""
    query = {"query": "{ reports(first: 20) { nodes { id title status } } }"}
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            ready = await client.get(f"{url}/readyz")
            if ready.status_code == 503:
                outcomes.append("draining")
                return
            response = await client.post(f"{url}/graphql", json=query)
            outcomes.append(str(response.status_code))


async def test_a_restart_loses_and_repeats_nothing(pg_url: str, redis_server: Server,
                                                   tmp_path: Path):
    forget_dialect_caches()
    async with database(pg_url, global_fallback=False):
        world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET))
    a = Process(pg_url, redis_server.url, tmp_path / "a.log", GRACEFUL_SHUTDOWN_SECONDS="5",
                SHUTDOWN_DELAY_SECONDS="1")
    b = Process(pg_url, redis_server.url, tmp_path / "b.log", RATE_LIMITS="submitReport=0")
    try:
        await asyncio.gather(a.ready(), b.ready())
        moved = await WsClient.open(a.ws)  # the one whose process restarts
        still = await WsClient.open(b.ws)  # nobody disturbs this one
        await asyncio.gather(moved.acked(), still.acked())
        moved_op = await moved.subscribe(FEED)
        still_op = await still.subscribe(FEED)
        await asyncio.sleep(0.5)
        seen_moved: list[int] = []
        seen_still: list[int] = []
        reading = asyncio.create_task(collect(moved, moved_op, seen_moved, None, 30))
        reading_still = asyncio.create_task(collect(still, still_op, seen_still, None, 30))
        stop = asyncio.Event()
        outcomes: list[str] = []
        asking = [asyncio.create_task(ask(a.http, stop, outcomes)) for _ in range(4)]
        for number in range(EVENTS):
            await make_public(b.http, world, f"Sự cố số {number} trên đường Lê Lợi")
            if number == EVENTS // 2:
                a.proc.send_signal(signal.SIGTERM)  # mid-stream, events and queries coming
        started = time.monotonic()
        code = await asyncio.wait_for(moved.closed, 15)
        assert code == 1012, (code, moved.close_reason)
        assert time.monotonic() - started < 10
        await reading
        stop.set()
        await asyncio.gather(*asking)
        # Every request the process took was answered in full; after that, it took none.
        assert "200" in outcomes
        assert set(outcomes) == {"200", "draining"}, sorted(set(outcomes))
        # The client does what graphql-ws does on 1012: reconnect elsewhere, resume after
        # the last event it has.
        again = await WsClient.open(b.ws)
        await again.acked()
        op = await again.subscribe(FEED, {"after": str(seen_moved[-1]) if seen_moved else None})
        await asyncio.sleep(2)  # the undisturbed subscriber has everything by now
        assert len(seen_still) >= EVENTS
        await collect(again, op, seen_moved, seen_still[-1], 15)
        assert seen_moved == seen_still  # every event once, in order
        # uvicorn ends by re-raising the signal it caught: killed by SIGTERM, after shutdown.
        assert a.proc.wait(10) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in (tmp_path / "a.log").read_text()
        reading_still.cancel()
        await asyncio.gather(again.close(), still.close(), return_exceptions=True)
    finally:
        a.stop()
        b.stop()

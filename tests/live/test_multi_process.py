"""Two real server processes on one PostgreSQL, events carried between them by a real Redis,
and Redis stopped and started again mid-stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.process import SECRET, Process, gql, health
from bench.servers import Server
from bench.world import World, make_world
from models.db import database
from models.deps import Deps
from models.rules.calendar import vietnam
from tests.conftest import forget_dialect_caches
from tests.support.servers import start_redis
from tests.support.ws import WsClient

FEED = "subscription { publicFeed { seq kind report { title } } }"
SUBMIT = """mutation($d: String!) { submitReport(input: {description: $d}) {
  report { id } errors { code } } }"""
ASSIGN = """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id, agencyId: $a}) {
  report { status } errors { code } } }"""

pytestmark = pytest.mark.postgres


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Server]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


async def make_public(url: str, world: World, text: str) -> None:
    from bench.world import gid

    data = await gid_submit(url, world, text)
    assigned = await gql(url, ASSIGN, {"id": data, "a": gid("Agency", world.agency_a.id)},
                         world.ioc.token)
    assert assigned["assignReport"]["errors"] == []


async def gid_submit(url: str, world: World, text: str) -> str:
    data = await gql(url, SUBMIT, {"d": text}, world.citizen.token)
    assert data["submitReport"]["errors"] == []
    report_id: str = data["submitReport"]["report"]["id"]
    return report_id


async def test_events_cross_processes_and_survive_a_redis_restart(
    pg_url: str, redis: Server, tmp_path: Path
):
    forget_dialect_caches()
    async with database(pg_url, global_fallback=False):
        world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET))
    a = Process(pg_url, redis.url, tmp_path / "a.log")
    b = Process(pg_url, redis.url, tmp_path / "b.log")
    try:
        await asyncio.gather(a.ready(), b.ready())
        client = await WsClient.open(a.ws)
        await client.acked()
        op = await client.subscribe(FEED)
        await asyncio.sleep(0.5)

        await make_public(b.http, world, "Một: trước khi Redis dừng")
        first = (await client.next(op, within=5))["data"]["publicFeed"]
        assert first["report"]["title"].startswith("Một")

        redis.stop()
        # Redis is down: the change still stands (publishing fails quietly)...
        await make_public(b.http, world, "Hai: trong lúc Redis dừng")
        assert await health(a.http, "degraded") == {"status": "degraded", "database": "ok",
                                                    "broadcast": "unreachable"}
        redis.process = start_redis(tmp_path / "redis2", port=redis.port).process
        # ...and once the bus is back, process A resyncs from the database.
        second = (await client.next(op, within=20))["data"]["publicFeed"]
        assert second["report"]["title"].startswith("Hai")
        assert (await health(a.http, "ok"))["broadcast"] == "ok"

        await asyncio.sleep(1)
        await make_public(b.http, world, "Ba: sau khi Redis chạy lại")
        third = (await client.next(op, within=10))["data"]["publicFeed"]
        assert third["report"]["title"].startswith("Ba")
        assert first["seq"] < second["seq"] < third["seq"]
        assert await client.nothing(op, wait=1)
        await client.close()
    finally:
        a.stop()
        b.stop()

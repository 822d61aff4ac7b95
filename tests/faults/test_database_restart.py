"""PostgreSQL restarted under a running server: requests in flight fail cleanly (a masked
error or 503, never a hang, a 500 or a leaked driver message), and the same process recovers by
itself, subscriptions included."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.process import SECRET, Process, gql, health
from bench.servers import Server
from bench.world import World, gid, make_world
from models.db import database
from models.deps import Deps
from models.rules.calendar import vietnam
from tests.conftest import forget_dialect_caches
from tests.support.servers import start_postgres
from tests.support.ws import WsClient

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEED = "subscription { publicFeed { seq kind report { title } } }"
READ = "{ reports(first: 20) { totalCount nodes { title status category { name } } } }"
SUBMIT = """mutation($d: String!) { submitReport(input: {description: $d}) {
  report { id } errors { code } } }"""
ASSIGN = """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id, agencyId: $a}) {
  report { status } errors { code } } }"""
LEAKS = ("asyncpg", "postgres", "Traceback", "connection", "SELECT", "/work", ".py")


@pytest.fixture
def own_postgres() -> Iterator[Server]:
    """A PostgreSQL of this test's own: restarting the shared one would disturb other tests."""
    server = start_postgres()
    yield server
    server.stop()


async def _create_database(server: Server) -> str:
    import asyncpg

    conn = await asyncpg.connect(f"{server.url}/postgres")
    await conn.execute("CREATE DATABASE restart_test")
    await conn.close()
    return f"{server.url}/restart_test"


def check_clean(status: int, body: dict[str, Any]) -> None:
    """A refusal the client can handle: 200 with masked errors, or 503; nothing leaked."""
    assert status in (200, 503), (status, body)
    for error in body.get("errors") or []:
        message = error["message"]
        assert not any(word.lower() in message.lower() for word in LEAKS), message


async def hammer(url: str, world: World, stop: asyncio.Event,
                 outcomes: list[tuple[str, int, float]]) -> None:
    """Reads and submissions back to back; record (kind, status, seconds) of each."""
    async with httpx.AsyncClient(timeout=20) as client:
        i = 0
        while not stop.is_set():
            i += 1
            query, variables, headers = (READ, {}, {}) if i % 2 else (
                SUBMIT, {"d": f"Phản ánh {i} trong lúc khởi động lại"},
                {"Authorization": f"Bearer {world.citizen.token}"})
            started = time.monotonic()
            response = await client.post(f"{url}/graphql", headers=headers,
                                         json={"query": query, "variables": variables})
            body = response.json()
            check_clean(response.status_code, body)
            failed = response.status_code != 200 or bool(body.get("errors"))
            outcomes.append(("failed" if failed else "ok", response.status_code,
                             time.monotonic() - started))
            await asyncio.sleep(0.02)


async def test_server_recovers_by_itself_after_a_postgres_restart(own_postgres: Server,
                                                                  tmp_path: Path):
    url = await _create_database(own_postgres)
    server = Process(url, "memory://", tmp_path / "server.log", EVENT_POLL_SECONDS="0.5",
                     RATE_LIMITS="requests_ip=0, submitReport=0")
    try:
        await server.ready()  # it migrated the empty database on start
        forget_dialect_caches()
        async with database(url, global_fallback=False):
            world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET))
        client = await WsClient.open(server.ws)
        await client.acked()
        op = await client.subscribe(FEED)

        outcomes: list[tuple[str, int, float]] = []
        stop = asyncio.Event()
        workers = [asyncio.create_task(hammer(server.http, world, stop, outcomes))
                   for _ in range(4)]
        await asyncio.sleep(1)
        before = len(outcomes)
        assert before > 0
        assert all(kind == "ok" for kind, _, _ in outcomes)

        await asyncio.to_thread(own_postgres.restart)
        await health(server.http, "ok", tries=300)  # the same process, not restarted
        await asyncio.sleep(1)
        stop.set()
        await asyncio.gather(*workers)
        assert server.proc.poll() is None

        after_restart = outcomes[before:]
        assert any(kind == "failed" for kind, _, _ in after_restart), \
            "the restart should have cut some requests"
        assert after_restart[-1][0] == "ok"
        assert max(seconds for _, _, seconds in outcomes) < 15  # nothing hung

        # Subscriptions carry on: the hub resumed reading events from the database.
        data = await gql(server.http, SUBMIT, {"d": "Sau khi cơ sở dữ liệu chạy lại"},
                         world.citizen.token)
        report = data["submitReport"]["report"]["id"]
        assigned = await gql(server.http, ASSIGN,
                             {"id": report, "a": gid("Agency", world.agency_a.id)},
                             world.ioc.token)
        assert assigned["assignReport"]["errors"] == []
        for _ in range(100):
            event = (await client.next(op, within=10))["data"]["publicFeed"]
            if event["report"]["title"].startswith("Sau khi"):
                break
        else:
            raise AssertionError("the post-restart event never arrived")
        with contextlib.suppress(Exception):
            await client.close()
    finally:
        server.stop()

"""Two real server processes on one PostgreSQL, events carried between them by a real Redis,
and Redis stopped and started again mid-stream."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.calendar import vietnam
from models.db import database
from models.deps import Deps
from tests.conftest import forget_dialect_caches, pg_admin
from tests.support.servers import Server, free_port, start_redis
from tests.support.world import World, make_world
from tests.support.ws import WsClient

ROOT = Path(__file__).resolve().parents[2]
SECRET = "multi-process-test-secret"
FEED = "subscription { publicFeed { seq kind report { title } } }"
SUBMIT = """mutation($d: String!) { submitReport(input: {description: $d}) {
  report { id } errors { code } } }"""
ASSIGN = """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id, agencyId: $a}) {
  report { status } errors { code } } }"""

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_url(pg_server: Server, pg_template: str) -> AsyncIterator[str]:
    name = f"multi_{uuid.uuid4().hex[:10]}"
    await pg_admin(pg_server, f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    yield f"{pg_server.url}/{name}"
    await pg_admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Server]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


class Process:
    def __init__(self, database_url: str, broadcast_url: str, log: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "BROADCAST_URL": broadcast_url,
               "SECRET_KEY": SECRET, "REMINDER_INTERVAL_SECONDS": "0",
               # Polling far apart: a prompt delivery proves the bus carried it.
               "EVENT_POLL_SECONDS": "30", "PYTHONPATH": str(ROOT)}
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "serve", "--port", str(self.port)],
            env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT,
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/graphql"

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text())
                try:
                    if (await client.get(f"{self.http}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


async def gql(url: str, query: str, variables: dict[str, str], token: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/graphql", json={"query": query,
                                                              "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def make_public(url: str, world: World, text: str) -> None:
    from tests.support.world import gid

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
        redis.process = start_redis_on(redis.port, tmp_path / "redis2")
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


async def health(url: str, expected: str) -> dict[str, str]:
    """Poll /healthz until it reports `expected` (the watchdog needs a few seconds)."""
    body: dict[str, str] = {}
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            response = await client.get(f"{url}/healthz")
            body = response.json()
            if body["status"] == expected:
                assert response.status_code == (200 if expected == "ok" else 503)
                return body
            await asyncio.sleep(0.1)
    raise AssertionError(f"healthz never said {expected}: {body}")


def start_redis_on(port: int, base: Path) -> subprocess.Popen[bytes]:
    """Redis again on the same port, as an operator restarting it would."""
    import shutil

    base.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("redis-server")
    assert binary
    return subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(base)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

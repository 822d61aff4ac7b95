"""A real PostgreSQL streaming replica (pg_basebackup, hot standby) behind DATABASE_REPLICA_URL:
anonymous queries read it while it has replayed every event the process has seen; signed-in
reads always read the primary; while the replica lags (its replay paused), anonymous queries
fall back to the primary, and go back once it caught up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from starlette.applications import Starlette

from bench.servers import Server
from bench.world import World
from models.enums import Status
from models.orm.reports import Report
from tests.support.api import Api
from tests.support.servers import start_replica
from web.replica import ReplicaReads
from web.settings import Settings

pytestmark = pytest.mark.postgres

TITLES = "{ reports(first: 20) { nodes { id title } } }"


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def replica(pg_server: Server, database_url: str) -> Iterator[str]:
    """The replica of the whole test server, taken once this test's database exists."""
    server = start_replica(pg_server)
    yield database_url.replace(f":{pg_server.port}/", f":{server.port}/")
    server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, replica: str) -> Settings:
    return Settings(database_url=database_url, database_replica_url=replica,
                    replica_check_seconds=0.05, reminder_interval_seconds=0,
                    response_cache_seconds=0, figures_cache_seconds=0,
                    media_dir=str(tmp_path / "media"), media_cleanup_interval_seconds=0)


async def on_replica(url: str, sql: str) -> None:
    parts = urlsplit(url)
    conn = await asyncpg.connect(host=parts.hostname, port=parts.port, user="postgres",
                                 database=parts.path.lstrip("/"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def until(condition: object, what: str) -> None:
    for _ in range(200):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited in vain for {what}")


async def titles(api: Api, token: str | None = None) -> set[str]:
    data = await api.gql(TITLES, token=token)
    return {node["title"] for node in data["reports"]["nodes"]}


async def test_anonymous_reads_use_the_replica_while_it_is_fresh(
    app: Starlette, api: Api, world: World, replica: str
):
    reads: ReplicaReads = app.state.replica
    first = await world.report(Status.ASSIGNED, title="Đèn đường hỏng ở Lê Lợi")
    await app.state.hub.catch_up()
    await until(reads.fresh, "the replica to replay the first report")
    before = reads.reads
    assert "Đèn đường hỏng ở Lê Lợi" in await titles(api)
    assert reads.reads == before + 1

    # Replay paused: a change no event announces is on the primary only. Anonymous readers
    # (the replica) do not see it yet; signed-in readers (the primary) do.
    await on_replica(replica, "SELECT pg_wal_replay_pause()")
    await Report.filter(id=first.id).update(title="Đèn đường đã sửa tiêu đề")
    assert "Đèn đường hỏng ở Lê Lợi" in await titles(api)
    assert "Đèn đường đã sửa tiêu đề" in await titles(api, world.ioc.token)

    # An event the replica has not replayed: anonymous reads go to the primary meanwhile.
    await world.report(Status.ASSIGNED, title="Cây đổ trên đường Hùng Vương")
    await app.state.hub.catch_up()
    assert not reads.fresh()
    fallbacks = reads.fallbacks
    seen = await titles(api)
    assert {"Cây đổ trên đường Hùng Vương", "Đèn đường đã sửa tiêu đề"} <= seen
    assert reads.fallbacks == fallbacks + 1
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200  # the primary answers meanwhile
    assert ready.json()["replica"] == "behind"

    await on_replica(replica, "SELECT pg_wal_replay_resume()")
    await until(reads.fresh, "the replica to catch up")
    before = reads.reads
    assert {"Cây đổ trên đường Hùng Vương", "Đèn đường đã sửa tiêu đề"} <= await titles(api)
    assert reads.reads == before + 1
    assert (await api.client.get("/readyz")).json()["replica"] == "ok"


async def test_mutations_and_signed_in_reads_never_use_the_replica(
    app: Starlette, api: Api, world: World, replica: str
):
    reads: ReplicaReads = app.state.replica
    await until(reads.fresh, "the replica")
    await on_replica(replica, "SELECT pg_wal_replay_pause()")
    before = reads.reads, reads.fallbacks
    data = await api.gql("""mutation { submitReport(input: {description: "Rác ở kiệt 5"}) {
      report { id title } errors { code } } }""", token=world.citizen.token)
    assert data["submitReport"]["errors"] == []
    mine = await api.gql("{ myReports(first: 5) { nodes { id } } }", token=world.citizen.token)
    assert [n["id"] for n in mine["myReports"]["nodes"]] == [data["submitReport"]["report"]["id"]]
    assert (reads.reads, reads.fallbacks) == before  # neither went near the replica
    await on_replica(replica, "SELECT pg_wal_replay_resume()")

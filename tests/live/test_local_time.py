"""Days and quarters are Huế's, whatever the clocks around it say: a server process running with
`TZ` far from Vietnam, on a PostgreSQL database whose time zone is set far away too (and on
SQLite, which compares date-times as text), puts a report submitted at 02:00 local time on
1 April in 1 April and Q2, and one at 23:30 on 31 March in 31 March and Q1, in every surface
that takes a period: stats, agencyRankings, Stats.daily, the reports filter, the exports and
Open311."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bench.process import SECRET, Process
from bench.world import make_world
from models.actions import review
from models.db import database
from models.deps import Deps
from models.enums import Status
from models.rules.calendar import vietnam
from tests.conftest import forget_dialect_caches, pg_admin
from tests.support.clock import FakeClock

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
FAR = "America/Los_Angeles"  # 14 or 15 hours behind Huế
EARLY_APRIL = datetime(2026, 4, 1, 2, 0, tzinfo=HUE)  # 31 March 19:00 UTC
LATE_MARCH = datetime(2026, 3, 31, 23, 30, tzinfo=HUE)  # 31 March 16:30 UTC
FIGURES = """{
  q1: stats(quarter: "2026-Q1") { received }
  q2: stats(quarter: "2026-Q2") { received }
  march31: stats(from: "2026-03-31", to: "2026-03-31") { received processed }
  april1: stats(from: "2026-04-01", to: "2026-04-01") { received }
  days: stats(from: "2026-03-31", to: "2026-04-01") { daily { date received resolved } }
  rankQ1: agencyRankings(quarter: "2026-Q1", minReceived: 0) { received }
  rankQ2: agencyRankings(quarter: "2026-Q2", minReceived: 0) { received }
  april: reports(filter: {submittedAfter: "2026-04-01T00:00:00+07:00"}) { nodes { title } }
}"""


async def city(database_url: str) -> None:
    """Two public reports either side of Huế's midnight before 1 April; the March one's result
    published at 02:00 local time on 1 April."""
    forget_dialect_caches()
    clock = FakeClock(LATE_MARCH.astimezone(UTC))
    async with database(database_url, global_fallback=False):
        world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET, clock=clock))
        march = await world.report(Status.RESULT_SUBMITTED, title="Tháng ba",
                                   description="Rác cuối tháng ba")
        clock.now = EARLY_APRIL.astimezone(UTC)
        await world.report(Status.ASSIGNED, title="Tháng tư", description="Rác đầu tháng tư")
        await review.publish_result(world.deps, world.ioc.viewer, march.id)


async def test_local_days_and_quarters_with_every_clock_far_away(
    database_url: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
):
    if backend == "postgres":
        name = database_url.rsplit("/", 1)[1]
        await pg_admin(request.getfixturevalue("pg_server"),
                       f"ALTER DATABASE {name} SET timezone TO '{FAR}'")
    await city(database_url)
    process = Process(database_url, "memory://", tmp_path / "server.log", TZ=FAR)
    try:
        await process.ready()
        async with httpx.AsyncClient(base_url=process.http) as client:
            body = (await client.post("/graphql", json={"query": FIGURES})).json()
        assert "errors" not in body, body
        data = body["data"]
        assert (data["q1"], data["q2"]) == ({"received": 1}, {"received": 1})
        assert data["march31"] == {"received": 1, "processed": 1}
        assert data["april1"] == {"received": 1}
        assert data["days"]["daily"] == [
            {"date": "2026-03-31", "received": 1, "resolved": 0},
            {"date": "2026-04-01", "received": 1, "resolved": 1}]
        assert (data["rankQ1"], data["rankQ2"]) == ([{"received": 1}], [{"received": 1}])
        assert [n["title"] for n in data["april"]["nodes"]] == ["Tháng tư"]
        async with httpx.AsyncClient(base_url=process.http) as client:
            geojson = (await client.get("/export/reports.geojson", params={
                "submittedBefore": "2026-04-01T00:00:00+07:00"})).json()
            assert [f["properties"]["title"] for f in geojson["features"]] == ["Tháng ba"]
            # Open311: a date-time without an offset is Huế time.
            april = (await client.get("/open311/v2/requests.json", params={
                "start_date": "2026-04-01T00:00:00", "end_date": "2026-04-01T23:59:59"})).json()
            assert [r["description"] for r in april] == ["Rác đầu tháng tư"]
    finally:
        process.stop()

"""The subscription benchmarks run end to end at a toy scale, so that they do not rot between
the runs that publish figures: the moonshot's client processes, the distinct-subscription run
with comments on the clock and its paced bare broadcast. Nothing here is timed: the figures
are only required to exist and nothing to be lost or duplicated."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from bench.__main__ import bench_moonshot
from bench.city import build
from bench.distinct import bench_distinct
from bench.servers import Server
from bench.tools import Report
from tests.conftest import forget_dialect_caches

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def figures(report: Report) -> dict[str, float]:
    return {figure.name.split(" (")[0]: figure.value for figure in report.figures}


async def test_the_subscription_benchmarks_run_small(pg_url: str, redis_server: Server,
                                                      tmp_path: Path):
    forget_dialect_caches()
    conn = await asyncpg.connect(pg_url)
    try:
        city = await build(conn, reports=300, citizens=200, agencies=23)
        # An imported history is nobody's outbox work: the servers must not walk it.
        newest = await conn.fetchval("SELECT max(id) FROM report_event")
        cursors = await conn.fetch("SELECT name, last_event_id FROM outbox_cursor")
        assert {r["name"] for r in cursors} == {"webhooks", "notifications"}
        assert all(r["last_event_id"] == newest > 0 for r in cursors), (cursors, newest)
    finally:
        await conn.close()
    report = Report(machine={}, scale=300, seconds=1)
    await bench_moonshot(report, pg_url, redis_server.url, tmp_path, city, subscribers=40,
                         events=3)
    priority = os.getpriority(os.PRIO_PROCESS, 0)
    await bench_distinct(report, pg_url, redis_server.url, tmp_path, city, citizens=20,
                         staff=23, walls=10, rate=5, seconds=2, idle_seconds=1, client_nice=5,
                         comments_to="all")
    if os.geteuid() == 0:  # only root may raise a priority again
        assert os.getpriority(os.PRIO_PROCESS, 0) == priority  # the clients stepped back
    got = figures(report)
    assert got["moonshot: deliveries missing"] == 0
    assert got["moonshot: p99 publish-to-delivery"] > 0
    assert got["distinct subscriptions: deliveries missing / duplicated"] == 0
    assert got["distinct subscriptions: p99 publish-to-delivery"] > 0
    # Ten walls and a process's staff: one event's deliveries cannot all land at one instant.
    assert got["distinct subscriptions: one event's deliveries by one process, first to last "
               "socket"] > 0

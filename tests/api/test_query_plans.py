"""The public list orders walk an index and stop after one page: no sort of every public report
(checked on SQLite, whose planner needs the statistics `models.db.planner_statistics` keeps)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from tortoise.context import get_current_context

from bench.world import World
from models.db import planner_statistics
from models.enums import Status
from models.orm.reports import Report
from models.queries.pagination import _ordering
from models.queries.reports import ReportFilter, ReportOrder, reports_for
from models.rules.policy import ANONYMOUS
from tests.support.clock import FakeClock


@pytest.fixture
def backend() -> str:
    """SQLite only: PostgreSQL keeps its statistics itself (autovacuum)."""
    return "sqlite"


@pytest.mark.parametrize("order", [ReportOrder.NEWEST, ReportOrder.OLDEST, ReportOrder.SUPPORT])
async def test_public_lists_read_one_page_through_an_index(
    app: object, world: World, clock: FakeClock, order: ReportOrder
):
    template = await world.report(Status.ASSIGNED)
    statuses = [Status.RESOLVED] * 8 + [Status.ASSIGNED, Status.PENDING_REVIEW, Status.REJECTED]
    fields = {name: getattr(template, name) for name in (
        "title", "description", "original_description", "search_text", "reporter_id",
        "category_id", "agency_id", "due_at")}
    await Report.bulk_create([
        Report(**fields, status=statuses[i % len(statuses)],
               submitted_at=clock.now - timedelta(minutes=i)) for i in range(2000)])
    ctx = get_current_context()
    assert ctx is not None
    conn = ctx.db()
    await planner_statistics(conn)
    qs = reports_for(ANONYMOUS, ReportFilter(), clock.now)
    sql = qs.order_by(*_ordering(order.value, True)).limit(51).sql(params_inline=True)
    plan = " | ".join(str(row[3]) for row in (await conn.execute_query(
        f"EXPLAIN QUERY PLAN {sql}"))[1])
    assert "TEMP B-TREE" not in plan, plan
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
async def test_the_review_queue_does_not_walk_every_report(
    app: object, world: World, clock: FakeClock, backend: str
):
    """The queue is a few hundred reports among hundreds of thousands: each part of its
    condition has an index (models/queries/reports.py: review_queue), so PostgreSQL reads the
    queue, not every report in submission order with a filter."""
    from models.actions import handling
    from models.queries.reports import review_queue
    from models.rules import calendar

    extending = await world.report(Status.IN_PROGRESS)
    until = calendar.local_date(extending.due_at) + timedelta(days=5)
    await handling.request_extension(world.deps, world.staff_a.viewer, extending.id, until,
                                     "Chờ vật tư.")
    template = await world.report(Status.ASSIGNED)
    fields = {name: getattr(template, name) for name in (
        "title", "description", "original_description", "search_text", "reporter_id",
        "category_id", "agency_id", "due_at")}
    await Report.bulk_create([
        Report(**fields, status=Status.PENDING_REVIEW if i % 500 == 0 else Status.RESOLVED,
               submitted_at=clock.now - timedelta(days=300, minutes=-i)) for i in range(5000)])
    ctx = get_current_context()
    assert ctx is not None
    conn = ctx.db()
    await conn.execute_script("ANALYZE report; ANALYZE extension_request")
    qs = await review_queue(world.ioc.viewer, ReportFilter(), clock.now)
    sql = qs.order_by(*_ordering(ReportOrder.OLDEST.value, True)).limit(51).sql(
        params_inline=True)
    plan = "\n".join(row["QUERY PLAN"] for row in (await conn.execute_query(
        f"EXPLAIN ANALYZE {sql}"))[1])
    removed = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
    assert removed < 100, plan
    assert extending.id in [r.id async for r in qs]  # the open request is in the queue

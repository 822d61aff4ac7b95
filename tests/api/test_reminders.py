"""Deadline reminders: once per report and cycle, also when several processes run the job."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bench.world import World, gid
from models.actions import handling, review
from models.actions.reminders import deadline_near, raise_reminders
from models.enums import EventKind, Status
from models.orm.reports import ReportEvent
from models.rules import calendar
from tests.support.api import Api
from tests.support.clock import FakeClock


async def kinds(report_id: int) -> list[str]:
    rows = await ReportEvent.filter(report_id=report_id).order_by("id").values("kind")
    return [str(row["kind"]) for row in rows]


async def test_near_then_overdue_once_each(api: Api, world: World, clock: FakeClock):
    report = await world.report(Status.IN_PROGRESS)
    # Received Mon 23 Nov 2026: due Thu 3 Dec 23:59:59 (see test_calendar).
    assert calendar.local_date(report.due_at).isoformat() == "2026-12-03"
    clock.now = datetime(2026, 12, 1, 9, tzinfo=calendar.TZ)  # two working days left
    assert (await raise_reminders(world.deps)).near == 0
    clock.now = datetime(2026, 12, 2, 9, tzinfo=calendar.TZ)  # one working day left
    run = await raise_reminders(world.deps)
    assert (run.near, run.overdue) == (1, 0)
    clock.now = datetime(2026, 12, 3, 9, tzinfo=calendar.TZ)
    assert (await raise_reminders(world.deps)).near == 0  # already raised this cycle
    clock.now = datetime(2026, 12, 4, 0, 0, 1, tzinfo=calendar.TZ)
    run = await raise_reminders(world.deps)
    assert (run.near, run.overdue) == (0, 1)
    assert (await raise_reminders(world.deps)).overdue == 0
    assert (await kinds(report.id))[-2:] == ["DEADLINE_NEAR", "OVERDUE"]
    # They show on the public timeline and name the agency.
    data = await api.gql("query($id: ID!) { report(id: $id) { overdue timeline { kind agency {"
                         " name } } } }", {"id": gid("Report", report.id)})
    assert data["report"]["overdue"] is True
    assert data["report"]["timeline"][-1] == {"kind": "OVERDUE",
                                              "agency": {"name": world.agency_a.name}}


async def test_concurrent_runs_raise_nothing_twice(world: World, clock: FakeClock):
    reports = [await world.report(Status.ASSIGNED) for _ in range(4)]
    clock.now = reports[0].due_at.replace(microsecond=0)
    runs = await asyncio.gather(*(raise_reminders(world.deps) for _ in range(4)))
    assert sum(r.near for r in runs) == 4
    clock.advance(days=1)
    runs = await asyncio.gather(*(raise_reminders(world.deps) for _ in range(4)))
    assert sum(r.overdue for r in runs) == 4
    for report in reports:
        assert (await kinds(report.id)).count("DEADLINE_NEAR") == 1
        assert (await kinds(report.id)).count("OVERDUE") == 1


async def test_resolved_reports_get_no_reminder_and_a_reopened_one_gets_new_ones(
    world: World, clock: FakeClock
):
    report = await world.report(Status.RESOLVED)
    clock.now = report.due_at
    assert (await raise_reminders(world.deps)).near == 0
    await review.reopen_report(world.deps, world.ioc.viewer, report.id, "Chưa xong")
    reopened = await handling.accept_report(world.deps, world.staff_a.viewer, report.id)
    clock.now = reopened.due_at
    assert (await raise_reminders(world.deps)).near == 1
    clock.advance(seconds=1)
    assert (await raise_reminders(world.deps)).overdue == 1
    assert (await kinds(report.id)).count(EventKind.OVERDUE.value) == 1


def test_deadline_near_counts_working_days():
    cal = calendar.vietnam()
    due = datetime(2026, 12, 3, 23, 59, 59, tzinfo=calendar.TZ)  # Thursday
    assert not deadline_near(datetime(2026, 12, 1, 9, tzinfo=calendar.TZ), due, cal)
    assert deadline_near(datetime(2026, 12, 2, 9, tzinfo=calendar.TZ), due, cal)
    assert deadline_near(due, due, cal)
    # Due Mon 7 Dec: on Friday 4 Dec one working day is left (the weekend does not count).
    monday = datetime(2026, 12, 7, 23, 59, 59, tzinfo=calendar.TZ)
    assert deadline_near(datetime(2026, 12, 4, 16, tzinfo=calendar.TZ), monday, cal)
    assert not deadline_near(datetime(2026, 12, 3, 16, tzinfo=calendar.TZ), monday, cal)

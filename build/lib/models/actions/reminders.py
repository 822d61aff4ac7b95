"""Deadline reminders: DEADLINE_NEAR (one working day left) and OVERDUE, once each per report
and reopen cycle, however many processes run the job at the same time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.actions.changes import write_event
from models.db import PRIMARY
from models.deps import Deps
from models.enums import EventKind
from models.orm.reports import Report, ReportEvent
from models.rules.calendar import WorkingCalendar, local_date, rfc3339
from models.rules.lifecycle import OPEN_STATUSES

log = logging.getLogger(__name__)
# Far enough ahead to cover the longest run of days off (Tết) before a deadline.
_LOOKAHEAD = timedelta(days=14)


def deadline_near(now: datetime, due: datetime, calendar: WorkingCalendar) -> bool:
    """At most one working day left before the deadline, which has not passed yet."""
    if now > due:
        return False
    return calendar.working_days_between(local_date(now), local_date(due)) <= 1


@dataclass
class ReminderRun:
    near: int = 0
    overdue: int = 0


async def _claim(report: Report, column: str, kind: EventKind, now: datetime) -> ReportEvent | None:
    """Mark the reminder as raised for this cycle and write its event, or do nothing if another
    process got there first: the conditional UPDATE decides, inside the event's transaction."""
    never: dict[str, Any] = {f"{column}__isnull": True}
    earlier_cycle: dict[str, Any] = {f"{column}__lt": report.reopen_count}
    not_yet = Q(**never) | Q(**earlier_cycle)
    async with in_transaction(PRIMARY) as conn:
        claimed = await Report.filter(Q(id=report.id) & not_yet).using_db(conn).update(
            **{column: report.reopen_count}
        )
        if not claimed:
            return None
        return await write_event(
            conn, report_id=report.id, at=now, kind=kind, agency_id=report.agency_id,
            note=rfc3339(report.due_at),
        )


async def raise_reminders(deps: Deps) -> ReminderRun:
    now = deps.now()
    run = ReminderRun()
    candidates = await Report.filter(
        status__in=list(OPEN_STATUSES), due_at__lte=now + _LOOKAHEAD
    ).only("id", "due_at", "agency_id", "reopen_count", "near_reminded_cycle",
           "overdue_reminded_cycle")
    for report in candidates:
        event = None
        if now > report.due_at:
            if report.overdue_reminded_cycle is None or (
                report.overdue_reminded_cycle < report.reopen_count
            ):
                event = await _claim(report, "overdue_reminded_cycle", EventKind.OVERDUE, now)
                run.overdue += event is not None
        elif deadline_near(now, report.due_at, deps.calendar) and (
            report.near_reminded_cycle is None or report.near_reminded_cycle < report.reopen_count
        ):
            event = await _claim(report, "near_reminded_cycle", EventKind.DEADLINE_NEAR, now)
            run.near += event is not None
        if event is not None:
            await deps.publish([event])
    return run


async def remind_forever(deps: Deps, interval_seconds: float,
                         on_run: Callable[[int, int, bool], None] | None = None) -> None:
    """The in-process job. A failing round is logged and the next one tries again. `on_run`
    hears each round: reminders raised (deadline near, overdue) and whether it failed."""
    while True:
        near = overdue = 0
        failed = False
        try:
            run = await raise_reminders(deps)
            near, overdue = run.near, run.overdue
            if run.near or run.overdue:
                log.info("reminders raised: %d deadline near, %d overdue", run.near, run.overdue)
        except Exception:
            failed = True
            log.exception("reminder round failed")
        if on_run is not None:
            on_run(near, overdue, failed)
        await asyncio.sleep(interval_seconds)

"""The assigned agency's steps: accept a report, give it back to the IOC (wrong agency), ask for
more time, and return a result for the IOC to approve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from models.actions.changes import (
    MAX_REASON,
    MAX_TEXT,
    Conn,
    Events,
    act,
    attach_media,
    record_change,
    withdraw_pending_extensions,
)
from models.deps import Deps
from models.enums import ExtensionStatus
from models.errors import Conflict, Invalid
from models.messages import _
from models.orm.reports import ExtensionRequest, Report
from models.rules import calendar
from models.rules.lifecycle import Action, Rule
from models.rules.policy import Viewer
from models.rules.text import required_text

MAX_EXTENSION_DAYS = 60
MAX_EXTENSION_REQUESTS = 20  # per report, over all its cycles


async def accept_report(deps: Deps, viewer: Viewer, report_id: int) -> Report:
    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now)]

    return await act(deps, viewer, report_id, Action.ACCEPT, step)


async def decline_report(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = required_text(reason, field="reason", max_length=MAX_REASON)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        old_agency = r.agency_id
        await withdraw_pending_extensions(conn, r.id, now)
        # The deadline keeps running: the report goes back to the IOC with the same dueAt.
        return [
            await record_change(
                conn, r, rule, viewer, now, changes={"agency_id": None}, note=note,
                agency_id=old_agency,
            )
        ]

    return await act(deps, viewer, report_id, Action.DECLINE, step)


async def request_extension(
    deps: Deps, viewer: Viewer, report_id: int, until: date, reason: str
) -> tuple[Report, ExtensionRequest]:
    note = required_text(reason, field="reason", max_length=MAX_REASON)
    created: list[ExtensionRequest] = []

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        current_due = calendar.local_date(r.due_at)
        if until <= current_due:
            raise Invalid(_("until must be after the current deadline ({deadline})."),
                          field="until", deadline=current_due.isoformat())
        if until > current_due + timedelta(days=MAX_EXTENSION_DAYS):
            raise Invalid(_("An extension can add at most {count} days."), field="until",
                          count=MAX_EXTENSION_DAYS)
        if await ExtensionRequest.filter(report_id=r.id, status=ExtensionStatus.PENDING).using_db(
            conn
        ).exists():
            raise Conflict(_("An extension request for this report is already waiting."))
        if await ExtensionRequest.filter(report_id=r.id).using_db(conn).count() >= (
                MAX_EXTENSION_REQUESTS):
            raise Conflict(_("This report had {count} extension requests already; ask the "
                             "IOC."), count=MAX_EXTENSION_REQUESTS)
        assert r.agency_id is not None
        req = await ExtensionRequest.create(
            using_db=conn, report_id=r.id, agency_id=r.agency_id, requested_by_id=viewer.user_id,
            until=until, reason=note, created_at=now,
        )
        created.append(req)
        text = f"{until.isoformat()}: {note}"
        return [await record_change(conn, r, rule, viewer, now, note=text)]

    report = await act(deps, viewer, report_id, Action.REQUEST_EXTENSION, step)
    return report, created[0]


async def submit_result(
    deps: Deps, viewer: Viewer, report_id: int, text: str, media_ids: Sequence[int] = ()
) -> Report:
    result = required_text(text, field="text", max_length=MAX_TEXT)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        await attach_media(conn, viewer, r.id, media_ids, is_result=True)
        changes = {"result_text": result, "result_submitted_at": now}
        # The result text is not public until the IOC publishes it: keep it out of the note.
        return [await record_change(conn, r, rule, viewer, now, changes=changes)]

    return await act(deps, viewer, report_id, Action.SUBMIT_RESULT, step)

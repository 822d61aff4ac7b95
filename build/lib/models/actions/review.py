"""The IOC's decisions: reject, merge or assign a new report; decide an agency's extension
request; return or publish its result; dismiss a contest or reopen the report for a new cycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.actions.changes import (
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    Conn,
    Events,
    act,
    check_category,
    existing_agency,
    record_change,
    require_signed_in,
    withdraw_pending_extensions,
)
from models.deps import Deps
from models.enums import EventKind, ExtensionStatus
from models.errors import Conflict, Invalid, InvalidTransition, NotFound
from models.messages import _
from models.orm.reports import ExtensionRequest, Report, ReportEvent
from models.rules import calendar
from models.rules.lifecycle import PUBLIC_STATUSES, Action, Rule, is_on_time
from models.rules.policy import Viewer
from models.rules.text import clean, required_text, search_text, title_from


async def reject_report(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = required_text(reason, field="reason", max_length=MAX_REASON)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now, note=note)]

    return await act(deps, viewer, report_id, Action.REJECT, step)


async def merge_report(deps: Deps, viewer: Viewer, report_id: int, into_id: int) -> Report:
    if into_id == report_id:
        raise Invalid(_("A report cannot be merged into itself."), field="intoId")
    target = await Report.get_or_none(id=into_id)
    if target is None:
        raise NotFound(_("No such report to merge into."), field="intoId")
    if target.status not in PUBLIC_STATUSES:
        raise Invalid(_("Merge only into a report that is already public."), field="intoId")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        changes = {"duplicate_of_id": target.id}
        note = target.code
        return [await record_change(conn, r, rule, viewer, now, changes=changes, note=note)]

    return await act(deps, viewer, report_id, Action.MERGE, step)


async def assign_report(
    deps: Deps, viewer: Viewer, report_id: int, agency_id: int, *,
    category_id: int | None = None, title: str | None = None, description: str | None = None,
) -> Report:
    await existing_agency(agency_id)
    await check_category(category_id)
    new_title = clean(title, field="title", max_length=MAX_TITLE, required=False)
    new_text = clean(description, field="description", max_length=MAX_TEXT, multiline=True,
                     required=False)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        changes: dict[str, Any] = {"agency_id": agency_id}
        if category_id is not None:
            changes["category_id"] = category_id
        title = new_title or r.title
        if new_text and not new_title and r.title == title_from(r.original_description):
            # The title came from the reporter's own first line: an edit of the text that
            # takes a name or a phone number out must take it out of the title too.
            title = title_from(new_text)
        changes["title"] = title
        changes["description"] = new_text or r.description
        changes["search_text"] = search_text(changes["title"], changes["description"], r.address)
        return [
            await record_change(conn, r, rule, viewer, now, changes=changes, agency_id=agency_id)
        ]

    return await act(deps, viewer, report_id, Action.ASSIGN, step)


async def decide_extension(
    deps: Deps, viewer: Viewer, request_id: int, approve: bool, note: str | None
) -> tuple[Report, ExtensionRequest]:
    require_signed_in(viewer)
    decision_note = clean(note, field="note", max_length=MAX_REASON, multiline=True, required=False)
    req = await ExtensionRequest.get_or_none(id=request_id)
    if req is None:
        raise NotFound(_("No such extension request."), field="requestId")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if req.status is not ExtensionStatus.PENDING:
            raise InvalidTransition(_("This request is already {status}."), status=req.status.value)
        status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
        decided = await ExtensionRequest.filter(
            id=req.id, status=ExtensionStatus.PENDING
        ).using_db(conn).update(
            status=status, decided_by_id=viewer.user_id, decided_at=now,
            decision_note=decision_note,
        )
        if decided != 1:
            raise Conflict(_("The request was decided by someone else at the same moment."))
        req.status, req.decided_at, req.decision_note = status, now, decision_note
        req.decided_by_id = viewer.user_id
        changes: dict[str, Any] = {}
        if approve:
            changes = {"due_at": calendar.end_of_local_day(req.until), "extended": True}
        text = f"{status.value} ({req.until.isoformat()})"
        if decision_note:
            text += f": {decision_note}"
        return [
            await record_change(conn, r, rule, viewer, now, changes=changes, note=text,
                          agency_id=req.agency_id)
        ]

    report = await act(deps, viewer, req.report_id, Action.DECIDE_EXTENSION, step)
    return report, req


async def return_result(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = required_text(reason, field="reason", max_length=MAX_REASON)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now, note=note)]

    return await act(deps, viewer, report_id, Action.RETURN_RESULT, step)


async def _cycle_began(conn: Conn, report: Report) -> datetime:
    """When the current cycle began: the submission, or the last reopening (its own deadline
    and its own working days start there)."""
    if report.reopen_count == 0:
        return report.submitted_at
    reopened = await ReportEvent.filter(report_id=report.id, kind=EventKind.REOPENED).using_db(
        conn).order_by("-id").first()
    return reopened.at if reopened is not None else report.submitted_at


async def publish_result(
    deps: Deps, viewer: Viewer, report_id: int, text: str | None = None
) -> Report:
    edited = clean(text, field="text", max_length=MAX_TEXT, multiline=True, required=False)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        text = edited or r.result_text
        began = await _cycle_began(conn, r)
        changes = {
            "result_text": text,
            "resolved_at": now,
            "on_time": is_on_time(now, r.due_at, r.extended),
            "working_days": deps.calendar.working_days_between(
                calendar.local_date(began), calendar.local_date(now)
            ),
        }
        await withdraw_pending_extensions(conn, r.id, now)
        # The published text goes on the public timeline, so every cycle's answer stays on
        # record after a reopening.
        return [await record_change(conn, r, rule, viewer, now, changes=changes, note=text)]

    return await act(deps, viewer, report_id, Action.PUBLISH, step)


async def dismiss_contest(deps: Deps, viewer: Viewer, report_id: int, note: str) -> Report:
    text = required_text(note, field="note", max_length=MAX_REASON)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if not r.contested:
            raise InvalidTransition(_("The result is not contested."))
        return [await record_change(conn, r, rule, viewer, now, changes={"contested": False},
                                    note=text)]

    return await act(deps, viewer, report_id, Action.DISMISS_CONTEST, step)


async def reopen_report(
    deps: Deps, viewer: Viewer, report_id: int, reason: str, agency_id: int | None = None
) -> Report:
    """Back to an agency for a new cycle: a fresh deadline from today, the old result kept only
    on the timeline (its PUBLISHED event), the latest rating kept until the reporter rates again."""
    note = required_text(reason, field="reason", max_length=MAX_REASON)
    if agency_id is not None:
        await existing_agency(agency_id)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        target_agency = agency_id or r.agency_id
        if target_agency is None:
            raise Invalid(_("Choose the agency that must handle it again."), field="agencyId")
        changes: dict[str, Any] = {
            "agency_id": target_agency,
            "due_at": calendar.due_at(now, deps.calendar),
            "reopen_count": r.reopen_count + 1,
            "contested": False,
            "extended": False,
            "resolved_at": None,
            "on_time": None,
            "working_days": None,
            "result_text": None,
            "result_submitted_at": None,
        }
        return [await record_change(conn, r, rule, viewer, now, changes=changes, note=note,
                                    agency_id=target_agency)]

    return await act(deps, viewer, report_id, Action.REOPEN, step)

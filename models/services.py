"""Report use cases. Each one checks policy and the lifecycle table, changes the report and writes
its timeline event in one transaction, then hands the events to the publisher after commit."""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import calendar, geo
from models.accounts import normalize_phone
from models.agency import Agency, Category
from models.deps import Deps
from models.enums import Channel, ExtensionStatus, Role, Status
from models.errors import Conflict, Invalid, InvalidTransition, NotFound, Unauthenticated
from models.lifecycle import PUBLIC_STATUSES, Action, ActorFacts, Rule, authorize
from models.policy import ReportFacts, Viewer, can_see_report
from models.report import ExtensionRequest, Media, Report, ReportEvent
from models.text import clean, fold
from models.timeline import write_event

MAX_TITLE, MAX_TEXT, MAX_REASON, MAX_ADDRESS = 200, 5000, 2000, 300
MAX_MEDIA_PER_REPORT = 6
MAX_EXTENSION_DAYS = 60
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


def facts(report: Report) -> ReportFacts:
    return ReportFacts(report.status, report.reporter_id, report.agency_id)


def actor_facts(viewer: Viewer, report: Report | None) -> ActorFacts:
    assert viewer.role is not None
    return ActorFacts(
        role=viewer.role,
        is_reporter=report is not None and viewer.user_id == report.reporter_id,
        in_assigned_agency=(
            report is not None
            and report.agency_id is not None
            and viewer.is_staff
            and viewer.agency_id == report.agency_id
        ),
    )


def require_signed_in(viewer: Viewer) -> None:
    if not viewer.signed_in or viewer.role is None:
        raise Unauthenticated("Sign in first.")


def search_text(title: str, description: str, address: str | None) -> str:
    return fold(" ".join(part for part in (title, description, address) if part))


def _text(value: str | None, field: str, max_length: int = MAX_REASON) -> str:
    cleaned = clean(value, field=field, max_length=max_length, multiline=True)
    assert cleaned is not None
    return cleaned


# --- the one place where a report changes -------------------------------------------------------


async def record_change(
    conn: BaseDBAsyncClient,
    report: Report,
    rule: Rule,
    viewer: Viewer,
    now: datetime,
    *,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
    agency_id: int | None = None,
) -> ReportEvent:
    """Apply `changes` (and the rule's target status) if nobody changed the report since we read
    it, and write the timeline event. The version check makes two concurrent actors conflict
    instead of silently overwriting each other, on SQLite as on PostgreSQL."""
    values = dict(changes or {})
    from_status = report.status
    if rule.target is not None:
        values["status"] = rule.target
    values["version"] = report.version + 1
    values["updated_at"] = now
    updated = (
        await Report.filter(id=report.id, version=report.version).using_db(conn).update(**values)
    )
    if updated != 1:
        raise Conflict("The report was changed by someone else at the same moment; reload it.")
    for name, value in values.items():
        setattr(report, name, value)
    return await write_event(
        conn,
        report_id=report.id,
        at=now,
        kind=rule.event,
        from_status=from_status,
        to_status=rule.target,
        note=note,
        actor_id=viewer.user_id,
        actor_role=viewer.role,
        agency_id=agency_id if agency_id is not None else report.agency_id,
    )


Conn = BaseDBAsyncClient
Events = list[ReportEvent]
Step = Callable[[Conn, Report, Rule, datetime], Awaitable[Sequence[ReportEvent]]]


async def act(deps: Deps, viewer: Viewer, report_id: int, action: Action, step: Step) -> Report:
    require_signed_in(viewer)
    now = deps.now()
    async with in_transaction() as conn:
        report = await Report.filter(id=report_id).using_db(conn).first()
        if report is None or not can_see_report(viewer, facts(report)):
            raise NotFound("No such report.", field="id")
        rule = authorize(action, report.status, actor_facts(viewer, report))
        events = await step(conn, report, rule, now)
    await deps.publish(events)
    return report


async def _existing_agency(agency_id: int, field: str = "agencyId") -> Agency:
    agency = await Agency.get_or_none(id=agency_id)
    if agency is None:
        raise NotFound("No such agency.", field=field)
    return agency


async def _check_category(category_id: int | None) -> None:
    if category_id is not None and not await Category.exists(id=category_id):
        raise NotFound("No such category.", field="categoryId")


async def _attach_media(
    conn: BaseDBAsyncClient, viewer: Viewer, report_id: int, media_ids: Sequence[int],
    *, is_result: bool,
) -> None:
    if not media_ids:
        return
    if len(set(media_ids)) > MAX_MEDIA_PER_REPORT:
        raise Invalid(f"At most {MAX_MEDIA_PER_REPORT} files per report.", field="mediaIds")
    attached = (
        await Media.filter(id__in=set(media_ids), owner_id=viewer.user_id, report_id=None)
        .using_db(conn)
        .update(report_id=report_id, is_result=is_result)
    )
    if attached != len(set(media_ids)):
        raise NotFound("Unknown, foreign or already attached media.", field="mediaIds")


async def _withdraw_pending_extensions(conn: Conn, report_id: int, now: datetime) -> None:
    await ExtensionRequest.filter(report_id=report_id, status=ExtensionStatus.PENDING).using_db(
        conn
    ).update(status=ExtensionStatus.WITHDRAWN, decided_at=now)


# --- submission ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    address: str | None = None


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class NewReport:
    description: str
    title: str | None = None
    category_id: int | None = None
    location: Location | None = None
    media_ids: Sequence[int] = field(default_factory=tuple)
    idempotency_key: str | None = None
    channel: Channel | None = None
    contact: Contact | None = None


def check_coordinates(latitude: float, longitude: float, prefix: str = "location") -> None:
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise Invalid("Latitude must be between -90 and 90.", field=f"{prefix}.latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise Invalid("Longitude must be between -180 and 180.", field=f"{prefix}.longitude")


def _default_title(description: str) -> str:
    first_line = description.splitlines()[0]
    return first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"


def _channel_and_contact(viewer: Viewer, new: NewReport) -> tuple[Channel, str | None, str | None]:
    on_behalf = viewer.role is Role.IOC_OPERATOR
    channel = new.channel or (Channel.HOTLINE if on_behalf else Channel.APP)
    if viewer.via_api_key:
        if channel is not Channel.OPEN311:
            raise Invalid("A partner's key reports through OPEN311.", field="channel")
    elif channel is Channel.OPEN311 or (not on_behalf and channel not in (Channel.APP,
                                                                         Channel.WEB)):
        raise Invalid("Citizens report through APP or WEB.", field="channel")
    if new.contact is None:
        return channel, None, None
    if not on_behalf:
        raise Invalid("Only the IOC enters a caller's contact.", field="contact")
    name = clean(new.contact.name, field="contact.name", max_length=100, required=False)
    phone = (
        normalize_phone(new.contact.phone, field="contact.phone") if new.contact.phone else None
    )
    return channel, name, phone


async def submit_report(deps: Deps, viewer: Viewer, new: NewReport) -> Report:
    require_signed_in(viewer)
    rule = authorize(Action.SUBMIT, None, actor_facts(viewer, None))
    key = new.idempotency_key
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise Invalid(
            "idempotencyKey must be 8-64 letters, digits or - _ . :", field="idempotencyKey"
        )
    if key is not None:
        earlier = await Report.get_or_none(reporter_id=viewer.user_id, idempotency_key=key)
        if earlier is not None:
            return earlier
    description = _text(new.description, "description", MAX_TEXT)
    title = clean(new.title, field="title", max_length=MAX_TITLE, required=False)
    title = title or _default_title(description)
    address = None
    if new.location is not None:
        check_coordinates(new.location.latitude, new.location.longitude)
        address = clean(
            new.location.address, field="location.address", max_length=MAX_ADDRESS, required=False
        )
    channel, contact_name, contact_phone = _channel_and_contact(viewer, new)
    await _check_category(new.category_id)
    now = deps.now()
    try:
        async with in_transaction() as conn:
            report = await Report.create(
                using_db=conn,
                title=title,
                description=description,
                original_description=description,
                search_text=search_text(title, description, address),
                category_id=new.category_id,
                reporter_id=viewer.user_id,
                channel=channel,
                contact_name=contact_name,
                contact_phone=contact_phone,
                latitude=new.location.latitude if new.location else None,
                longitude=new.location.longitude if new.location else None,
                **geo.located(new.location.latitude if new.location else None,
                              new.location.longitude if new.location else None),
                address=address,
                status=Status.PENDING_REVIEW,
                submitted_at=now,
                due_at=calendar.due_at(now, deps.calendar),
                idempotency_key=key,
            )
            await _attach_media(conn, viewer, report.id, new.media_ids, is_result=False)
            event = await write_event(
                conn, report_id=report.id, at=now, kind=rule.event,
                to_status=Status.PENDING_REVIEW, actor_id=viewer.user_id, actor_role=viewer.role,
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its report.
        if key is not None:
            earlier = await Report.get_or_none(reporter_id=viewer.user_id, idempotency_key=key)
            if earlier is not None:
                return earlier
        raise
    await deps.publish([event])
    return report


# --- IOC review ---------------------------------------------------------------------------------


async def reject_report(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = _text(reason, "reason")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now, note=note)]

    return await act(deps, viewer, report_id, Action.REJECT, step)


async def merge_report(deps: Deps, viewer: Viewer, report_id: int, into_id: int) -> Report:
    if into_id == report_id:
        raise Invalid("A report cannot be merged into itself.", field="intoId")
    target = await Report.get_or_none(id=into_id)
    if target is None:
        raise NotFound("No such report to merge into.", field="intoId")
    if target.status not in PUBLIC_STATUSES:
        raise Invalid("Merge only into a report that is already public.", field="intoId")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        changes = {"duplicate_of_id": target.id}
        note = code_of(target)
        return [await record_change(conn, r, rule, viewer, now, changes=changes, note=note)]

    return await act(deps, viewer, report_id, Action.MERGE, step)


async def assign_report(
    deps: Deps, viewer: Viewer, report_id: int, agency_id: int, *,
    category_id: int | None = None, title: str | None = None, description: str | None = None,
) -> Report:
    await _existing_agency(agency_id)
    await _check_category(category_id)
    new_title = clean(title, field="title", max_length=MAX_TITLE, required=False)
    new_text = clean(description, field="description", max_length=MAX_TEXT, multiline=True,
                     required=False)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        changes: dict[str, Any] = {"agency_id": agency_id}
        if category_id is not None:
            changes["category_id"] = category_id
        changes["title"] = new_title or r.title
        changes["description"] = new_text or r.description
        changes["search_text"] = search_text(changes["title"], changes["description"], r.address)
        return [
            await record_change(conn, r, rule, viewer, now, changes=changes, agency_id=agency_id)
        ]

    return await act(deps, viewer, report_id, Action.ASSIGN, step)


# --- the agency ---------------------------------------------------------------------------------


async def accept_report(deps: Deps, viewer: Viewer, report_id: int) -> Report:
    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now)]

    return await act(deps, viewer, report_id, Action.ACCEPT, step)


async def decline_report(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = _text(reason, "reason")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        old_agency = r.agency_id
        await _withdraw_pending_extensions(conn, r.id, now)
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
    note = _text(reason, "reason")
    created: list[ExtensionRequest] = []

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        current_due = calendar.local_date(r.due_at)
        if until <= current_due:
            raise Invalid(
                f"until must be after the current deadline ({current_due}).", field="until"
            )
        if until > current_due + timedelta(days=MAX_EXTENSION_DAYS):
            raise Invalid(
                f"An extension can add at most {MAX_EXTENSION_DAYS} days.", field="until"
            )
        if await ExtensionRequest.filter(report_id=r.id, status=ExtensionStatus.PENDING).using_db(
            conn
        ).exists():
            raise Conflict("An extension request for this report is already waiting.")
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


async def decide_extension(
    deps: Deps, viewer: Viewer, request_id: int, approve: bool, note: str | None
) -> tuple[Report, ExtensionRequest]:
    require_signed_in(viewer)
    decision_note = clean(note, field="note", max_length=MAX_REASON, multiline=True, required=False)
    req = await ExtensionRequest.get_or_none(id=request_id)
    if req is None:
        raise NotFound("No such extension request.", field="requestId")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if req.status is not ExtensionStatus.PENDING:
            raise InvalidTransition(f"This request is already {req.status.value}.")
        status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
        decided = await ExtensionRequest.filter(
            id=req.id, status=ExtensionStatus.PENDING
        ).using_db(conn).update(
            status=status, decided_by_id=viewer.user_id, decided_at=now,
            decision_note=decision_note,
        )
        if decided != 1:
            raise Conflict("The request was decided by someone else at the same moment.")
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


async def submit_result(
    deps: Deps, viewer: Viewer, report_id: int, text: str, media_ids: Sequence[int] = ()
) -> Report:
    result = _text(text, "text", MAX_TEXT)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        await _attach_media(conn, viewer, r.id, media_ids, is_result=True)
        changes = {"result_text": result, "result_submitted_at": now}
        # The result text is not public until the IOC publishes it: keep it out of the note.
        return [await record_change(conn, r, rule, viewer, now, changes=changes)]

    return await act(deps, viewer, report_id, Action.SUBMIT_RESULT, step)


async def return_result(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = _text(reason, "reason")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        return [await record_change(conn, r, rule, viewer, now, note=note)]

    return await act(deps, viewer, report_id, Action.RETURN_RESULT, step)


def is_on_time(published_at: datetime, due: datetime, extended: bool) -> bool:
    """Frozen at publication. Reports whose deadline was extended count as late."""
    return published_at <= due and not extended


async def publish_result(
    deps: Deps, viewer: Viewer, report_id: int, text: str | None = None
) -> Report:
    edited = clean(text, field="text", max_length=MAX_TEXT, multiline=True, required=False)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        text = edited or r.result_text
        changes = {
            "result_text": text,
            "resolved_at": now,
            "on_time": is_on_time(now, r.due_at, r.extended),
            "working_days": deps.calendar.working_days_between(
                calendar.local_date(r.submitted_at), calendar.local_date(now)
            ),
        }
        await _withdraw_pending_extensions(conn, r.id, now)
        # The published text goes on the public timeline, so every cycle's answer stays on
        # record after a reopening.
        return [await record_change(conn, r, rule, viewer, now, changes=changes, note=text)]

    return await act(deps, viewer, report_id, Action.PUBLISH, step)


# --- after publication: contests and reopening -------------------------------------------------


async def contest_result(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = _text(reason, "reason")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if r.contested:
            raise InvalidTransition("The result is already contested; the IOC will review it.")
        return [await record_change(conn, r, rule, viewer, now, changes={"contested": True},
                                    note=note)]

    return await act(deps, viewer, report_id, Action.CONTEST, step)


async def dismiss_contest(deps: Deps, viewer: Viewer, report_id: int, note: str) -> Report:
    text = _text(note, "note")

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if not r.contested:
            raise InvalidTransition("The result is not contested.")
        return [await record_change(conn, r, rule, viewer, now, changes={"contested": False},
                                    note=text)]

    return await act(deps, viewer, report_id, Action.DISMISS_CONTEST, step)


async def reopen_report(
    deps: Deps, viewer: Viewer, report_id: int, reason: str, agency_id: int | None = None
) -> Report:
    """Back to an agency for a new cycle: a fresh deadline from today, the old result kept only
    on the timeline (its PUBLISHED event), the latest rating kept until the reporter rates again."""
    note = _text(reason, "reason")
    if agency_id is not None:
        await _existing_agency(agency_id)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        target_agency = agency_id or r.agency_id
        if target_agency is None:
            raise Invalid("Choose the agency that must handle it again.", field="agencyId")
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


def code_of(report: Report) -> str:
    return report_code(report.id, report.submitted_at)


def report_code(report_id: int, submitted_at: datetime) -> str:
    return f"PA-{calendar.local_date(submitted_at).year}-{report_id:06d}"


def parse_report_code(code: str) -> int | None:
    match = re.fullmatch(r"PA-(\d{4})-(\d{6,})", code.strip().upper())
    return int(match.group(2)) if match else None

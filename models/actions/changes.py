"""The one place where a report changes, and where timeline events are written.

Every use case checks the lifecycle table (`act`), changes the report under an optimistic lock and
writes its timeline event in the same transaction (`record_change`), then hands the events to the
publisher after commit.

Subscribers resume with `after: seq` and must never miss an event, so events have to become
visible in `seq` order. On PostgreSQL two transactions can commit out of id order (B takes id 11
and commits before A with id 10 does); a transaction-scoped advisory lock taken just before the
insert serialises event writers until they commit, so committed ids always form a prefix. The
insert is the last statement of every use case, so the lock is held only for the commit.
SQLite has a single writer and needs nothing.

On PostgreSQL the lock is taken by the insert itself (`locked_insert_sql`): one round trip
fewer, and one fewer wait for a busy event loop while every other writer waits for the lock.
The lock's CTE is evaluated before the row it feeds, so the event's id is drawn after the lock
is held: ids are handed out in the order the lock is.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.actions import figures
from models.db import PRIMARY
from models.deps import Deps
from models.enums import ExtensionStatus
from models.errors import Conflict, Invalid, NotFound, Unauthenticated
from models.messages import _
from models.orm.directory import Agency, Category
from models.orm.reports import ExtensionRequest, Media, Report, ReportEvent
from models.rules.lifecycle import Action, ActorFacts, Rule, authorize
from models.rules.policy import Viewer, can_see_report

# What one change may carry.
MAX_TITLE, MAX_TEXT, MAX_REASON, MAX_ADDRESS = 200, 5000, 2000, 300
MAX_MEDIA_PER_REPORT = 6

Conn = BaseDBAsyncClient
Events = list[ReportEvent]
Step = Callable[[Conn, Report, Rule, datetime], Awaitable[Sequence[ReportEvent]]]


def require_signed_in(viewer: Viewer) -> None:
    if not viewer.signed_in or viewer.role is None:
        raise Unauthenticated(_("Sign in first."))


async def write_event(conn: BaseDBAsyncClient, **fields: Any) -> ReportEvent:
    """The event, in the caller's transaction, under the event-order lock (held from here to
    the commit). The timeline is also the outbox of webhooks and notifications
    (actions/outbox.py): nothing else is written for them here."""
    if conn.capabilities.dialect != "postgres":
        await figures.lock_event_order(conn)
        return await ReportEvent.create(using_db=conn, **fields)
    event = ReportEvent(**fields)
    sql, names = locked_insert_sql()
    values = [db_value(event, name) for name in names]
    _, rows = await conn.execute_query(sql, [figures.EVENT_ORDER_LOCK, *values])
    event.id = rows[0]["id"]
    event._saved_in_db = True
    return event


@functools.cache
def locked_insert_sql() -> tuple[str, list[str]]:
    """PostgreSQL: the event's INSERT, taking the event-order lock ($1) before the row is made;
    and the fields its other parameters carry, in order. Each parameter is cast to its
    column's type, so that the driver is never left to guess it from the SELECT."""
    meta = ReportEvent._meta
    names = stored_fields(ReportEvent)
    columns = ", ".join(column(ReportEvent, name) for name in names)
    typed = ", ".join(pg_param(ReportEvent, name, i) for i, name in enumerate(names, start=2))
    return (f"WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($1)) "
            f'INSERT INTO "{meta.db_table}" ({columns}) SELECT {typed} FROM locked '
            f'RETURNING "{meta.db_pk_column}"', names)


# Hand-written PostgreSQL statements over a model's own columns (this module's event insert,
# comment_statement.py): every parameter cast to its column's type, so that the driver is never
# left to guess it from a SELECT.
def stored_fields(model: type[Model], skip: frozenset[str] = frozenset()) -> list[str]:
    """The model's stored fields but its primary key, in column order."""
    meta = model._meta
    return [name for name in meta.fields_db_projection
            if name != meta.pk_attr and name not in skip]


def column(model: type[Model], name: str) -> str:
    return f'"{model._meta.fields_db_projection[name]}"'


def pg_param(model: type[Model], name: str, index: int) -> str:
    return f"${index}::{model._meta.fields_map[name].get_for_dialect('postgres', 'SQL_TYPE')}"


def db_value(row: Model, name: str) -> object:
    return row._meta.fields_map[name].to_db_value(getattr(row, name), row)


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
    counted = figures.share_of(report)
    if rule.target is not None:
        values["status"] = rule.target
    values["version"] = report.version + 1
    values["updated_at"] = now
    updated = (
        await Report.filter(id=report.id, version=report.version).using_db(conn).update(**values)
    )
    if updated != 1:
        raise Conflict(_("The report was changed by someone else at the same moment; reload it."))
    for name, value in values.items():
        setattr(report, name, value)
    await figures.move(conn, counted, figures.share_of(report))
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




async def act(deps: Deps, viewer: Viewer, report_id: int, action: Action, step: Step) -> Report:
    require_signed_in(viewer)
    now = deps.now()
    async with in_transaction(PRIMARY) as conn:
        report = await Report.filter(id=report_id).using_db(conn).first()
        if report is None or not can_see_report(viewer, report.facts):
            raise NotFound(_("No such report."), field="id")
        rule = authorize(action, report.status, actor_facts(viewer, report))
        events = await step(conn, report, rule, now)
    await deps.publish(events)
    return report


async def existing_agency(agency_id: int, field: str = "agencyId") -> Agency:
    agency = await Agency.get_or_none(id=agency_id)
    if agency is None:
        raise NotFound(_("No such agency."), field=field)
    return agency


async def check_category(category_id: int | None) -> None:
    if category_id is not None and not await Category.exists(id=category_id):
        raise NotFound(_("No such category."), field="categoryId")


async def attach_media(
    conn: BaseDBAsyncClient, viewer: Viewer, report_id: int, media_ids: Sequence[int],
    *, is_result: bool,
) -> None:
    if not media_ids:
        return
    if len(set(media_ids)) > MAX_MEDIA_PER_REPORT:
        raise Invalid(_("At most {count} files per report."), field="mediaIds",
                      count=MAX_MEDIA_PER_REPORT)
    attached = (
        await Media.filter(id__in=set(media_ids), owner_id=viewer.user_id, report_id=None)
        .using_db(conn)
        .update(report_id=report_id, is_result=is_result)
    )
    if attached != len(set(media_ids)):
        raise NotFound(_("Unknown, foreign or already attached media."), field="mediaIds")


async def withdraw_pending_extensions(conn: Conn, report_id: int, now: datetime) -> None:
    await ExtensionRequest.filter(report_id=report_id, status=ExtensionStatus.PENDING).using_db(
        conn
    ).update(status=ExtensionStatus.WITHDRAWN, decided_at=now)

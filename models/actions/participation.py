"""What people add to a report: comments and "me too" support from anyone signed in, and the
reporter's answer to a published result (a rating, or a contest the IOC must look at).

Like the lifecycle use cases, each writes its timeline event in the same transaction and
publishes after commit. None of them bumps the report's version, so a comment never makes an
operator's concurrent assignment fail.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from models.actions import comment_statement
from models.actions.changes import (
    MAX_REASON,
    Conn,
    Events,
    act,
    record_change,
    require_signed_in,
    write_event,
)
from models.db import PRIMARY
from models.deps import Deps
from models.enums import EventKind, Role, Satisfaction
from models.errors import Conflict, Forbidden, InvalidTransition, NotFound, RateLimited
from models.messages import _
from models.orm.accounts import User
from models.orm.participation import Comment, Rating, Support
from models.orm.reports import Report, ReportEvent
from models.rules.lifecycle import PUBLIC_STATUSES, Action, Rule
from models.rules.policy import Viewer, can_see_report
from models.rules.text import clean, required_text

MAX_COMMENT = 2000
MAX_RATING_NOTE = 1000


async def _public_report(conn: Conn, viewer: Viewer, report_id: int) -> Report:
    report = await Report.filter(id=report_id).using_db(conn).first()
    if report is None or not can_see_report(viewer, report.facts):
        raise NotFound(_("No such report."), field="id")
    if report.status not in PUBLIC_STATUSES:
        raise InvalidTransition(_("Only public reports take comments and support."))
    return report


async def _event(conn: Conn, report: Report, viewer: Viewer, now: datetime, kind: EventKind,
                 **extra: Any) -> ReportEvent:
    return await write_event(
        conn, report_id=report.id, at=now, kind=kind, actor_id=viewer.user_id,
        actor_role=viewer.role, agency_id=report.agency_id, **extra,
    )


# --- comments -----------------------------------------------------------------------------------


async def _take_comment_slot(conn: Conn, viewer: Viewer, now: datetime, interval: int) -> None:
    """One comment per user per `interval` seconds. The conditional UPDATE is the lock: of two
    simultaneous comments only one finds the slot free, on SQLite as on PostgreSQL. An interval
    of 0 is no limit (two processes' clocks would otherwise refuse a simultaneous second)."""
    if interval <= 0:
        return
    cutoff = now - timedelta(seconds=interval)
    free = Q(last_comment_at__isnull=True) | Q(last_comment_at__lte=cutoff)
    taken = await User.filter(Q(id=viewer.user_id) & free).using_db(conn).update(
        last_comment_at=now
    )
    if not taken:
        raise _slot_taken(await _last_comment_at(conn, viewer), now, interval)


async def _last_comment_at(conn: Conn, viewer: Viewer) -> datetime | None:
    last = await User.filter(id=viewer.user_id).using_db(conn).first()
    return last.last_comment_at if last else None


def _slot_taken(last: datetime | None, now: datetime, interval: int) -> RateLimited:
    waited = (now - last).total_seconds() if last else 0
    retry = max(1, math.ceil(interval - waited))
    return RateLimited(
        _("One comment per {interval} seconds; try again in {retry} s."),
        field="body", retry_after_seconds=retry, interval=interval, retry=retry)


async def _check_parent(conn: Conn, report_id: int, parent_id: int | None) -> None:
    if parent_id is not None and not await Comment.filter(
        id=parent_id, report_id=report_id
    ).using_db(conn).exists():
        raise NotFound(_("No such comment on this report."), field="parentId")


async def _refusal(viewer: Viewer, report_id: int, parent_id: int | None, now: datetime,
                   interval: int) -> Exception:
    """Why the one-statement comment wrote nothing, asked the ordinary way, which raises the
    rule's own error; only a race the statement lost and these reads did not see is left."""
    async with in_transaction(PRIMARY) as conn:
        report = await _public_report(conn, viewer, report_id)
        await _check_parent(conn, report.id, parent_id)
        last = await _last_comment_at(conn, viewer)
        if interval > 0 and last is not None and last > now - timedelta(seconds=interval):
            return _slot_taken(last, now, interval)
    return Conflict(_("The report was changed by someone else at the same moment; reload it."))


async def add_comment(
    deps: Deps, viewer: Viewer, report_id: int, body: str, parent_id: int | None = None
) -> Comment:
    require_signed_in(viewer)
    text = clean(body, field="body", max_length=MAX_COMMENT, multiline=True)
    assert text is not None
    now = deps.now()
    interval = deps.comment_interval_seconds
    db = Comment._choose_db(for_write=True)
    if db.capabilities.dialect == "postgres":
        written = await comment_statement.add(db, viewer, report_id, parent_id, text, now,
                                              interval)
        if written is None:
            raise await _refusal(viewer, report_id, parent_id, now, interval)
        comment, event = written
        await deps.publish([event])
        return comment
    async with in_transaction(PRIMARY) as conn:
        report = await _public_report(conn, viewer, report_id)
        await _check_parent(conn, report.id, parent_id)
        await _take_comment_slot(conn, viewer, now, interval)
        comment = await Comment.create(
            using_db=conn, report_id=report.id, author_id=viewer.user_id,
            author_role=viewer.role,
            author_agency_id=viewer.agency_id if viewer.role is Role.AGENCY_STAFF else None,
            parent_id=parent_id, body=text, created_at=now,
        )
        await Report.filter(id=report.id).using_db(conn).update(
            comment_count=F("comment_count") + 1
        )
        event = await _event(conn, report, viewer, now, EventKind.COMMENTED, comment_id=comment.id)
    await deps.publish([event])
    return comment


async def hide_comment(deps: Deps, viewer: Viewer, comment_id: int, reason: str) -> Comment:
    require_signed_in(viewer)
    if viewer.role is not Role.IOC_OPERATOR:
        raise Forbidden(_("Only the IOC moderates comments."))
    note = clean(reason, field="reason", max_length=MAX_COMMENT, multiline=True)
    now = deps.now()
    async with in_transaction(PRIMARY) as conn:
        comment = await Comment.filter(id=comment_id).using_db(conn).first()
        if comment is None:
            raise NotFound(_("No such comment."), field="id")
        hidden = await Comment.filter(id=comment.id, hidden=False).using_db(conn).update(
            hidden=True, hidden_reason=note, hidden_at=now
        )
        if not hidden:
            raise InvalidTransition(_("This comment is already hidden."))
        await Report.filter(id=comment.report_id).using_db(conn).update(
            comment_count=F("comment_count") - 1
        )
        report = await Report.filter(id=comment.report_id).using_db(conn).get()
        event = await _event(conn, report, viewer, now, EventKind.COMMENT_HIDDEN,
                             comment_id=comment.id, note=note)
    comment.hidden, comment.hidden_reason, comment.hidden_at = True, note, now
    await deps.publish([event])
    return comment


# --- ratings and contests ---------------------------------------------------------------------


async def rate_report(
    deps: Deps, viewer: Viewer, report_id: int, satisfaction: Satisfaction, note: str | None
) -> Report:
    """The reporter rates the published result. Rating again in the same cycle replaces the
    rating; after a reopening and a new publication the new result gets its own rating."""
    text = clean(note, field="note", max_length=MAX_RATING_NOTE, multiline=True, required=False)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        existing = await Rating.filter(report_id=r.id, cycle=r.reopen_count).using_db(conn).first()
        if existing is not None and (existing.satisfaction, existing.note) == (satisfaction, text):
            return []  # the same rating again changes nothing, so no event says it did
        if existing is None:
            await Rating.create(using_db=conn, report_id=r.id, cycle=r.reopen_count,
                                satisfaction=satisfaction, note=text, rated_at=now)
        else:
            await Rating.filter(id=existing.id).using_db(conn).update(
                satisfaction=satisfaction, note=text, rated_at=now
            )
        changes = {"satisfaction": satisfaction}
        return [await record_change(conn, r, rule, viewer, now, changes=changes,
                                    note=satisfaction.value)]

    return await act(deps, viewer, report_id, Action.RATE, step)


async def contest_result(deps: Deps, viewer: Viewer, report_id: int, reason: str) -> Report:
    note = required_text(reason, field="reason", max_length=MAX_REASON)

    async def step(conn: Conn, r: Report, rule: Rule, now: datetime) -> Events:
        if r.contested:
            raise InvalidTransition(_("The result is already contested; the IOC will review it."))
        return [await record_change(conn, r, rule, viewer, now, changes={"contested": True},
                                    note=note)]

    return await act(deps, viewer, report_id, Action.CONTEST, step)


# --- support ------------------------------------------------------------------------------------


async def support_report(deps: Deps, viewer: Viewer, report_id: int) -> Report:
    """"Me too": counted once per user; supporting again changes nothing."""
    require_signed_in(viewer)
    now = deps.now()
    try:
        async with in_transaction(PRIMARY) as conn:
            report = await _public_report(conn, viewer, report_id)
            if report.reporter_id == viewer.user_id:
                raise Forbidden(_("You reported this yourself."))
            if await Support.filter(report_id=report.id, user_id=viewer.user_id).using_db(
                conn
            ).exists():
                return report
            await Support.create(using_db=conn, report_id=report.id, user_id=viewer.user_id,
                                 created_at=now)
            await Report.filter(id=report.id).using_db(conn).update(
                support_count=F("support_count") + 1
            )
            # Only the first "me too" of a person is news: support, withdraw, support again
            # changes the count back and forth but writes no second event.
            again = await ReportEvent.filter(report_id=report.id, kind=EventKind.SUPPORTED,
                                             actor_id=viewer.user_id).using_db(conn).exists()
            events = [] if again else [
                await _event(conn, report, viewer, now, EventKind.SUPPORTED)]
    except IntegrityError:  # the same user's simultaneous second click
        return await Report.get(id=report_id)
    if events:
        await deps.publish(events)
    else:
        deps.changed()
    return await Report.get(id=report_id)


async def withdraw_support(deps: Deps, viewer: Viewer, report_id: int) -> Report:
    require_signed_in(viewer)
    async with in_transaction(PRIMARY) as conn:
        report = await _public_report(conn, viewer, report_id)
        removed = await Support.filter(report_id=report.id, user_id=viewer.user_id).using_db(
            conn
        ).delete()
        if removed:
            await Report.filter(id=report.id).using_db(conn).update(
                support_count=F("support_count") - 1
            )
    if removed:
        deps.changed()  # a public count changed, with no event to say so
    return await Report.get(id=report_id)



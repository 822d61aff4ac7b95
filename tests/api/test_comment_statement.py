"""addComment on PostgreSQL is one statement (models/actions/comment_statement.py): what it
writes, in which order it takes its locks, and that a refusal writes nothing. The rules
themselves are tested on both databases in test_comments.py."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses

import asyncpg
import pytest

from bench.world import World
from models.actions import figures, handling, participation
from models.enums import EventKind, Status
from models.errors import NotFound
from models.orm.accounts import User
from models.orm.participation import Comment
from models.orm.reports import Report, ReportEvent
from tests.support.api import count_queries

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"])]


def _plain(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def test_a_comment_is_one_statement_that_writes_everything(world: World):
    report = await world.report(Status.ASSIGNED)
    parent = await participation.add_comment(world.deps, world.staff_a.viewer, report.id,
                                             "Đơn vị đã tiếp nhận.")
    with count_queries() as sent:
        reply = await participation.add_comment(world.deps, world.citizen.viewer, report.id,
                                                "Cảm ơn!", parent.id)
    assert len(sent) == 1, sent
    stored = await Comment.get(id=reply.id)
    assert (stored.report_id, stored.author_id, stored.parent_id, stored.body, stored.hidden) == (
        report.id, world.citizen.id, parent.id, "Cảm ơn!", False)
    assert stored.author_agency_id is None
    assert (await Comment.get(id=parent.id)).author_agency_id == world.agency_a.id
    assert (await Report.get(id=report.id)).comment_count == 2
    event = await ReportEvent.filter(report_id=report.id, comment_id=reply.id).get()
    assert (event.kind, event.actor_id, event.agency_id) == (
        EventKind.COMMENTED, world.citizen.id, world.agency_a.id)
    assert (await User.get(id=world.citizen.id)).last_comment_at is not None


async def test_a_refused_comment_writes_nothing_and_keeps_the_slot(world: World):
    report, other = await world.report(Status.ASSIGNED), await world.report(Status.ASSIGNED)
    foreign = await participation.add_comment(world.deps, world.other_citizen.viewer, other.id,
                                              "Ở báo cáo khác")
    events = await ReportEvent.filter(report_id=report.id).count()
    with pytest.raises(NotFound) as refused:
        await participation.add_comment(world.deps, world.citizen.viewer, report.id, "Trả lời",
                                        foreign.id)
    assert refused.value.field == "parentId"
    assert (await User.get(id=world.citizen.id)).last_comment_at is None
    assert await Comment.filter(report_id=report.id).count() == 0
    assert (await Report.get(id=report.id)).comment_count == 0
    assert await ReportEvent.filter(report_id=report.id).count() == events
    # The slot was not taken by the refusal: the next comment passes at once.
    await participation.add_comment(world.deps, world.citizen.viewer, report.id, "Bình luận")


async def test_the_event_id_is_drawn_only_under_the_event_order_lock(world: World,
                                                                     database_url: str):
    """As changes.write_event: while someone holds the lock the statement waits, with no event
    id drawn and nothing visible, and the row lock on the report is already its own."""
    report = await world.report(Status.ASSIGNED)
    holder = await asyncpg.connect(_plain(database_url))
    watcher = await asyncpg.connect(_plain(database_url))
    sequence = "SELECT last_value FROM report_event_id_seq"
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", figures.EVENT_ORDER_LOCK)
        drawn = await watcher.fetchval(sequence)
        waiting = asyncio.create_task(
            participation.add_comment(world.deps, world.citizen.viewer, report.id, "Chờ khóa"),
            context=contextvars.copy_context())
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert await watcher.fetchval(sequence) == drawn
        assert await watcher.fetchval("SELECT count(*) FROM comment WHERE report_id = $1",
                                      report.id) == 0
        # The report's row is locked by the waiting statement (it counted the comment).
        locked = await watcher.fetch(
            "SELECT id FROM report WHERE id = $1 FOR UPDATE SKIP LOCKED", report.id)
        assert locked == []
        await holder.execute("SELECT pg_advisory_unlock($1)", figures.EVENT_ORDER_LOCK)
        comment = await asyncio.wait_for(waiting, 10)
    finally:
        await holder.close()
        await watcher.close()
    event = await ReportEvent.get(comment_id=comment.id)
    assert event.id > drawn


async def test_comments_and_lifecycle_changes_on_one_report_do_not_deadlock(world: World):
    """Both take the report's row before the event-order lock."""
    free = dataclasses.replace(world.deps, comment_interval_seconds=0)
    people = [world.citizen, world.other_citizen, world.staff_a, world.staff_b, world.ioc]
    report = await world.report(Status.ASSIGNED)

    def comments(n: int) -> list[asyncio.Task[Comment]]:
        return [asyncio.create_task(participation.add_comment(
            free, people[i % len(people)].viewer, report.id, f"Bình luận {i}"),
            context=contextvars.copy_context()) for i in range(n)]

    async def accept() -> Report:
        return await handling.accept_report(free, world.staff_a.viewer, report.id)

    async def submit() -> Report:
        return await handling.submit_result(free, world.staff_a.viewer, report.id,
                                            "Đã xử lý xong.")

    for step in (accept, submit):
        many = comments(12)
        change = asyncio.create_task(step(), context=contextvars.copy_context())
        await asyncio.wait_for(asyncio.gather(change, *many), 30)
    fresh = await Report.get(id=report.id)
    assert (fresh.status, fresh.comment_count) == (Status.RESULT_SUBMITTED, 24)
    assert await ReportEvent.filter(report_id=report.id, kind=EventKind.COMMENTED).count() == 24


async def test_a_comment_racing_a_reassignment_goes_to_the_agency_that_has_the_report(
        world: World, database_url: str):
    """The statement reads the report before it locks its row; the event's agency is the one
    the report has once the row is locked (here: after another transaction moved it)."""
    report = await world.report(Status.ASSIGNED)
    assert report.agency_id == world.agency_a.id
    mover = await asyncpg.connect(_plain(database_url))
    try:
        moving = mover.transaction()
        await moving.start()
        await mover.execute("UPDATE report SET agency_id = $1 WHERE id = $2",
                            world.agency_b.id, report.id)
        waiting = asyncio.create_task(
            participation.add_comment(world.deps, world.citizen.viewer, report.id, "Ai xử lý?"),
            context=contextvars.copy_context())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # counting the comment waits for the report's row
        await moving.commit()
        comment = await asyncio.wait_for(waiting, 10)
    finally:
        await mover.close()
    event = await ReportEvent.get(comment_id=comment.id)
    assert event.agency_id == world.agency_b.id

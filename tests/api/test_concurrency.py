"""Two operators acting on one report at the same moment: exactly one wins, one event is written.
(The loser sees CONFLICT when the transactions really overlap, as on PostgreSQL, or
INVALID_TRANSITION when they happen to run one after the other.)"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from bench.world import World
from models.actions import changes, figures, review
from models.actions.changes import write_event
from models.enums import EventKind, Status
from models.errors import Conflict, DomainError, InvalidTransition
from models.orm.reports import Report, ReportEvent
from models.rules.lifecycle import TABLE, Action
from tests.support.api import Api


@pytest.mark.parametrize("rounds", [5])
async def test_assign_versus_reject(world: World, rounds: int):
    d, ioc = world.deps, world.ioc.viewer
    for _ in range(rounds):
        report = await world.report(Status.PENDING_REVIEW)
        results = await asyncio.gather(
            review.assign_report(d, ioc, report.id, world.agency_a.id),
            review.reject_report(d, ioc, report.id, "Trùng lặp"),
            review.assign_report(d, ioc, report.id, world.agency_b.id),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, Report)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1, results
        assert all(isinstance(e, (Conflict, InvalidTransition)) for e in losers), losers
        fresh = await Report.get(id=report.id)
        assert fresh.status is winners[0].status
        assert fresh.version == 1  # created at 0, changed exactly once
        kinds = await ReportEvent.filter(report_id=report.id).values_list("kind", flat=True)
        assert len(kinds) == 2, kinds


async def test_publish_versus_return(world: World):
    d, ioc = world.deps, world.ioc.viewer
    report = await world.report(Status.RESULT_SUBMITTED)
    before = await ReportEvent.filter(report_id=report.id).count()
    results = await asyncio.gather(
        review.publish_result(d, ioc, report.id),
        review.return_result(d, ioc, report.id, "Thiếu ảnh"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Report) for r in results) == 1, results
    assert all(isinstance(r, (Report, DomainError)) for r in results)
    assert await ReportEvent.filter(report_id=report.id).count() == before + 1


async def test_a_stale_read_cannot_overwrite_a_newer_change(world: World):
    """The mechanism under the race above, made deterministic: a writer holding an old copy
    of the report is refused, and its event is not written."""
    report = await world.report(Status.PENDING_REVIEW)
    stale = await Report.get(id=report.id)
    await review.assign_report(world.deps, world.ioc.viewer, report.id, world.agency_a.id)
    with pytest.raises(Conflict):
        async with in_transaction() as conn:
            await changes.record_change(conn, stale, TABLE[Action.REJECT], world.ioc.viewer,
                                   world.deps.now(), note="Trùng lặp")
    fresh = await Report.get(id=report.id)
    assert fresh.status is Status.ASSIGNED
    assert await ReportEvent.filter(report_id=report.id).count() == 2


async def test_events_become_visible_in_seq_order(world: World):
    """While one transaction holds a new event uncommitted, another event writer waits: so a
    reader never sees seq 11 committed while seq 10 is still to come (on PostgreSQL this is the
    advisory lock in models.actions.changes; SQLite has a single writer anyway)."""
    report = await world.report(Status.ASSIGNED)
    fields: dict[str, Any] = {"report_id": report.id, "at": world.deps.now(),
                              "kind": EventKind.SUPPORTED}
    # The second writer must not inherit the first one's transaction (Tortoise keeps the
    # current transaction in a context variable, which a new task would copy).
    outside = contextvars.copy_context()
    async with in_transaction() as first:
        a = await write_event(first, **fields)

        async def second_writer() -> int:
            async with in_transaction() as second:
                event = await write_event(second, **fields)
            return int(event.id)

        b = asyncio.create_task(second_writer(), context=outside)
        await asyncio.sleep(0.3)
        assert not b.done()  # waiting for the first transaction to commit
    assert await b > a.id


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])  # SQLite has a single writer and no lock
async def test_an_event_takes_its_id_only_once_it_holds_the_event_order_lock(
        world: World, database_url: str):
    """Ids must be drawn in lock order, or two waiting writers could commit out of id order.
    On PostgreSQL the insert takes the lock itself (one round trip): while someone else holds
    the lock, a writer waits inside its insert without having drawn an id from the sequence."""
    report = await world.report(Status.ASSIGNED)
    holder = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    watcher = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    sequence = "SELECT last_value FROM report_event_id_seq"
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", figures.EVENT_ORDER_LOCK)
        drawn = await watcher.fetchval(sequence)

        async def writer() -> int:
            async with in_transaction() as conn:
                event = await write_event(conn, report_id=report.id, at=world.deps.now(),
                                          kind=EventKind.SUPPORTED, actor_id=world.citizen.id)
            return int(event.id)

        waiting = asyncio.create_task(writer(), context=contextvars.copy_context())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # blocked on the lock...
        assert await watcher.fetchval(sequence) == drawn  # ...with no id drawn yet
        await holder.execute("SELECT pg_advisory_unlock($1)", figures.EVENT_ORDER_LOCK)
        written = await asyncio.wait_for(waiting, 10)
    finally:
        await holder.close()
        await watcher.close()
    assert written > drawn
    stored = await ReportEvent.get(id=written)
    assert (stored.report_id, stored.kind, stored.actor_id) == (
        report.id, EventKind.SUPPORTED, world.citizen.id)


async def test_concurrent_retries_with_one_idempotency_key_make_one_report(api: Api,
                                                                           world: World):
    """A phone on 3G sends the same submission five times at once: one report, one event."""
    query = """mutation($input: SubmitReportInput!) { submitReport(input: $input) {
      report { id } errors { code } } }"""
    variables = {"input": {"description": "Cột điện nghiêng sau bão",
                           "idempotencyKey": "retry-3g-000042"}}
    results = await asyncio.gather(*(api.gql(query, variables, world.citizen.token)
                                     for _ in range(5)))
    ids = {r["submitReport"]["report"]["id"] for r in results}
    assert len(ids) == 1, results
    assert all(r["submitReport"]["errors"] == [] for r in results)
    assert await Report.filter(reporter_id=world.citizen.id).count() == 1
    assert await ReportEvent.filter(kind=EventKind.SUBMITTED).count() == 1

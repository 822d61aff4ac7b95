"""Subscriptions through real WebSocket connections to a running server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bench.world import World, gid, make_person
from models.actions import handling, participation, review
from models.enums import Role, Status
from models.orm.reports import ReportEvent
from tests.live.conftest import Live
from tests.support.ws import WsClient
from web.settings import Settings

EVENT = "seq cursor kind fromStatus toStatus note actorRole agency { name }"
PUBLIC = f"""subscription($after: String) {{ publicFeed(after: $after) {{ {EVENT}
  report {{ id title reporter {{ phone }} originalDescription }} }} }}"""
REPORT = f"""subscription($id: ID!, $after: String) {{ reportEvents(reportId: $id, after: $after)
  {{ {EVENT} report {{ status }} }} }}"""
AGENCY = f"subscription {{ agencyFeed {{ {EVENT} report {{ id }} }} }}"
IOC = f"subscription {{ iocFeed {{ {EVENT} report {{ id reporter {{ phone }} }} }} }}"


@pytest.fixture(params=[True, False], ids=["shared", "one-by-one"])
def live_settings(request: pytest.FixtureRequest, database_url: str) -> Settings:
    """Every test here runs with shared execution (the default) and without it."""
    return Settings(database_url=database_url, reminder_interval_seconds=0,
                    event_poll_seconds=0.5, ws_token_recheck_seconds=0.5,
                    ws_share_subscriptions=request.param)


async def kinds(client: WsClient, op: str, n: int) -> list[str]:
    return [(await client.next(op))["data"][_field(op, client)]["kind"] for _ in range(n)]


def _field(op: str, client: WsClient) -> str:
    return client.fields[op]  # type: ignore[attr-defined, no-any-return]


async def sub(client: WsClient, query: str, field: str, variables: dict[str, Any] | None = None
              ) -> str:
    op = await client.subscribe(query, variables)
    if not hasattr(client, "fields"):
        client.fields = {}  # type: ignore[attr-defined]
    client.fields[op] = field  # type: ignore[attr-defined]
    return op


async def test_public_feed_shows_public_reports_only_and_no_personal_data(
    live: Live, world: World
):
    client = await WsClient.open(live.ws)
    await client.acked()
    op = await sub(client, PUBLIC, "publicFeed")
    await asyncio.sleep(0.2)
    rejected = await world.report(Status.REJECTED)  # SUBMITTED + REJECTED: never public
    public = await world.report(Status.IN_PROGRESS)  # SUBMITTED (not yet public), ASSIGNED, ...
    received = [(await client.next(op))["data"]["publicFeed"] for _ in range(2)]
    assert [e["kind"] for e in received] == ["ASSIGNED", "ACCEPTED"]
    for event in received:
        assert event["report"]["id"] == gid("Report", public.id)
        assert event["report"]["reporter"] is None
        assert event["report"]["originalDescription"] is None
    assert await client.nothing(op)
    assert rejected.status is Status.REJECTED
    await client.close()


async def test_report_events_for_its_viewers(live: Live, world: World):
    report = await world.report(Status.PENDING_REVIEW)
    mine = await WsClient.open(live.ws, world.citizen.token)
    await mine.acked()
    op = await sub(mine, REPORT, "reportEvents", {"id": gid("Report", report.id)})
    other = await WsClient.open(live.ws, world.other_citizen.token)
    await other.acked()
    refused = await other.subscribe(REPORT, {"id": gid("Report", report.id)})
    error = await other.next(refused)
    assert error["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await asyncio.sleep(0.2)
    await review.reject_report(world.deps, world.ioc.viewer, report.id, "Trùng lặp")
    event = (await mine.next(op))["data"]["reportEvents"]
    assert (event["kind"], event["note"], event["report"]["status"]) == (
        "REJECTED", "Trùng lặp", "REJECTED")
    await mine.close()
    await other.close()


async def test_bad_token_closes_with_4403(live: Live):
    client = await WsClient.open(live.ws, "not-a-token")
    assert await asyncio.wait_for(client.closed, 5) == 4403


async def test_feeds_require_the_right_role(live: Live, world: World):
    anonymous = await WsClient.open(live.ws)
    await anonymous.acked()
    op = await anonymous.subscribe(IOC)
    assert (await anonymous.next(op))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    citizen = await WsClient.open(live.ws, world.citizen.token)
    await citizen.acked()
    for query in (IOC, AGENCY):
        op = await citizen.subscribe(query)
        assert (await citizen.next(op))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await anonymous.close()
    await citizen.close()


async def test_agency_feed_follows_the_assignment(live: Live, world: World):
    a = await WsClient.open(live.ws, world.staff_a.token)
    b = await WsClient.open(live.ws, world.staff_b.token)
    ioc = await WsClient.open(live.ws, world.ioc.token)
    for c in (a, b, ioc):
        await c.acked()
    op_a, op_b = await sub(a, AGENCY, "agencyFeed"), await sub(b, AGENCY, "agencyFeed")
    op_ioc = await sub(ioc, IOC, "iocFeed")
    await asyncio.sleep(0.2)
    report = await world.report(Status.ASSIGNED)
    assert await kinds(a, op_a, 1) == ["ASSIGNED"]
    ioc_event = (await ioc.next(op_ioc))["data"]["iocFeed"]
    assert ioc_event["kind"] == "SUBMITTED"
    assert ioc_event["report"]["reporter"]["phone"] == world.citizen.phone  # the IOC may see it
    await participation.add_comment(world.deps, world.other_citizen.viewer, report.id, "Nhanh")
    assert await kinds(a, op_a, 1) == ["COMMENTED"]
    # Wrong agency: back to the IOC, then to agency B. A hears nothing more about it.
    await handling.decline_report(world.deps, world.staff_a.viewer, report.id, "Sai thẩm quyền")
    assert (await ioc.next(op_ioc))["data"]["iocFeed"]["kind"] == "DECLINED"
    await review.assign_report(world.deps, world.ioc.viewer, report.id, world.agency_b.id)
    assert await kinds(b, op_b, 1) == ["ASSIGNED"]
    await participation.add_comment(world.deps, world.citizen.viewer, report.id, "Cảm ơn")
    assert await kinds(b, op_b, 1) == ["COMMENTED"]
    assert await a.nothing(op_a)
    for c in (a, b, ioc):
        await c.close()


async def test_replay_after_a_disconnect_then_live_without_gap_or_duplicate(
    live: Live, world: World
):
    report = await world.report(Status.ASSIGNED)
    rid = gid("Report", report.id)
    assigned = await ReportEvent.filter(report_id=report.id).order_by("-id").first()
    assert assigned is not None
    first = await WsClient.open(live.ws)
    await first.acked()
    # From the last event on: nothing is missed however long subscribing takes on a busy CI.
    op = await sub(first, REPORT, "reportEvents", {"id": rid, "after": str(assigned.id)})
    await handling.accept_report(world.deps, world.staff_a.viewer, report.id)
    seen = (await first.next(op))["data"]["reportEvents"]
    assert seen["kind"] == "ACCEPTED"
    await first.close()
    # While nobody listens: three more events.
    await participation.add_comment(world.deps, world.other_citizen.viewer, report.id, "Một")
    await participation.support_report(world.deps, world.other_citizen.viewer, report.id)
    await handling.submit_result(world.deps, world.staff_a.viewer, report.id, "Xong")
    again = await WsClient.open(live.ws)
    await again.acked()
    op = await sub(again, REPORT, "reportEvents", {"id": rid, "after": seen["cursor"]})
    replayed = [(await again.next(op))["data"]["reportEvents"] for _ in range(3)]
    assert [e["kind"] for e in replayed] == ["COMMENTED", "SUPPORTED", "RESULT_SUBMITTED"]
    await review.publish_result(world.deps, world.ioc.viewer, report.id)
    live_event = (await again.next(op))["data"]["reportEvents"]
    assert live_event["kind"] == "PUBLISHED"
    seqs = [int(seen["seq"])] + [e["seq"] for e in replayed] + [live_event["seq"]]
    assert seqs == sorted(set(seqs))
    assert await again.nothing(op)
    # Without `after`, only what happens from now on.
    fresh = await WsClient.open(live.ws)
    await fresh.acked()
    op2 = await sub(fresh, REPORT, "reportEvents", {"id": rid})
    assert await fresh.nothing(op2)
    await again.close()
    await fresh.close()


async def test_the_seam_under_concurrent_writes(live: Live, world: World):
    """Writers keep committing while a subscriber joins with `after`: it must see every public
    event above `after` exactly once, in order, across the replay/live seam."""
    reports = [await world.report(Status.ASSIGNED) for _ in range(3)]
    # Each person's first "me too" on a report is an event (supporting again is not).
    people = [await make_person(world.deps, Role.CITIZEN) for _ in range(40)]
    start = await ReportEvent.all().order_by("-id").first()
    assert start is not None
    stop = asyncio.Event()

    async def writer(report_id: int) -> None:
        for who in people:
            if stop.is_set():
                return
            await participation.support_report(world.deps, who.viewer, report_id)
            await asyncio.sleep(0)

    writers = [asyncio.create_task(writer(r.id)) for r in reports]
    await asyncio.sleep(0.3)
    client = await WsClient.open(live.ws)
    await client.acked()
    op = await sub(client, PUBLIC, "publicFeed", {"after": str(start.id)})
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*writers)
    last = await ReportEvent.all().order_by("-id").first()
    assert last is not None
    expected = [e.id for e in await ReportEvent.filter(id__gt=start.id, id__lte=last.id)
                .order_by("id")]
    assert len(expected) > 10
    received: list[int] = []
    while len(received) < len(expected):
        received.append((await client.next(op, within=10))["data"]["publicFeed"]["seq"])
    assert received == expected
    assert await client.nothing(op)
    await client.close()


async def test_deadline_reminders_reach_the_agency_and_the_ioc(live: Live, world: World):
    from models.actions.reminders import raise_reminders

    report = await world.report(Status.IN_PROGRESS)
    agency = await WsClient.open(live.ws, world.staff_a.token)
    ioc = await WsClient.open(live.ws, world.ioc.token)
    await agency.acked()
    await ioc.acked()
    op_a, op_i = await sub(agency, AGENCY, "agencyFeed"), await sub(ioc, IOC, "iocFeed")
    await asyncio.sleep(0.2)
    clock = world.deps.clock
    clock.now = report.due_at  # type: ignore[attr-defined]
    await raise_reminders(world.deps)
    assert await kinds(agency, op_a, 1) == ["DEADLINE_NEAR"]
    assert (await ioc.next(op_i))["data"]["iocFeed"]["kind"] == "DEADLINE_NEAR"
    clock.now = report.due_at + timedelta(seconds=1)  # type: ignore[attr-defined]
    await raise_reminders(world.deps)
    assert await kinds(agency, op_a, 1) == ["OVERDUE"]
    assert (await ioc.next(op_i))["data"]["iocFeed"]["kind"] == "OVERDUE"
    await agency.close()
    await ioc.close()


async def test_signing_out_ends_open_subscriptions(live: Live, world: World):
    client = await WsClient.open(live.ws, world.staff_a.token)
    await client.acked()
    op = await sub(client, AGENCY, "agencyFeed")
    await asyncio.sleep(0.3)
    out = await live.api.gql("mutation { logout { ok } }", token=world.staff_a.token)
    assert out["logout"]["ok"] is True
    ended = await client.next(op, within=5)
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await client.close()

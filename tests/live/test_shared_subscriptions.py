"""Subscribers of the same event stream share one execution per event (realtime.fanout), and
each still gets exactly the events it is entitled to."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.world import World, gid
from models.actions import handling, participation
from models.enums import Status
from tests.live.conftest import Live
from tests.support.ws import WsClient
from web.graphql.fanout import FanOut

PUBLIC = """subscription($after: String) { publicFeed(after: $after) { seq kind
  report { id reporter { phone } } } }"""
PUBLIC_LITERAL = """subscription { publicFeed(after: "%s") { seq kind
  report { id reporter { phone } } } }"""
PUBLIC_BY_CATEGORY = """subscription($c: [ID!]) { publicFeed(filter: {categoryIds: $c}) {
  seq kind } }"""
PLAIN = "subscription { publicFeed { seq } }"
THROUGH_FRAGMENT = "subscription { ...F } fragment F on Subscription { publicFeed { seq } }"


async def opened(live: Live, token: str | None = None) -> WsClient:
    client = await WsClient.open(live.ws, token)
    await client.acked()
    return client


async def seqs(client: WsClient, op: str, n: int) -> list[int]:
    return [(await client.next(op))["data"]["publicFeed"]["seq"] for _ in range(n)]


def fanout(live: Live) -> FanOut:
    result: FanOut = live.app.state.fanout
    return result


def members(live: Live) -> int:
    return sum(len(g.members) for g in fanout(live).groups.values())


async def settle(condition: Any, within: float = 3.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_identical_subscriptions_execute_once_per_event(live: Live, world: World):
    clients = [await opened(live) for _ in range(4)]
    ops = [await c.subscribe(PUBLIC) for c in clients]
    other = await opened(live)
    # Another document: another group (its category has no reports, so it never executes).
    other_op = await other.subscribe(PUBLIC_BY_CATEGORY, {"c": [gid("Category", 999_999)]})
    await settle(lambda: members(live) == 5)
    assert len(fanout(live).groups) == 2
    before = fanout(live).executions
    await world.report(Status.IN_PROGRESS)  # public events: ASSIGNED, ACCEPTED
    received = [await seqs(c, op, 2) for c, op in zip(clients, ops, strict=True)]
    assert all(r == received[0] for r in received)
    assert await clients[0].nothing(ops[0])
    assert await other.nothing(other_op)
    # Two events for four subscribers: two executions, not eight.
    assert fanout(live).executions - before == 2
    assert all(c.binary_frames == 0 for c in clients)
    for c in [*clients, other]:
        await c.close()
    await settle(lambda: not fanout(live).groups)  # the last member out stops the group


async def test_uvicorn_connections_take_prepared_frames(live: Live, world: World):
    """web/graphql/direct_frames.py on a real uvicorn: each delivery written as prepared bytes,
    one frame per operation id, and each operation still gets its own messages."""
    first, second = await opened(live), await opened(live)
    ops = [await first.subscribe(PUBLIC), await first.subscribe(PUBLIC),
           await second.subscribe(PUBLIC)]
    assert ops == ["1", "2", "1"]
    await settle(lambda: members(live) == 3)
    await world.report(Status.IN_PROGRESS)  # ASSIGNED, ACCEPTED
    got = [await seqs(first, ops[0], 2), await seqs(first, ops[1], 2),
           await seqs(second, ops[2], 2)]
    assert got[0] == got[1] == got[2]
    writers = [m.direct for g in fanout(live).groups.values() for m in g.members]
    assert len(writers) == 3
    # A writer is its connection's: the first connection's two operations took four frames.
    assert sorted(w.written if w else -1 for w in writers) == [2, 4, 4]
    for client in (first, second):
        await client.close()


async def test_a_late_member_gets_only_what_follows_and_after_replays_the_gap(
    live: Live, world: World
):
    report = await world.report(Status.ASSIGNED)
    first = await opened(live)
    op1 = await first.subscribe(PUBLIC)
    await settle(lambda: members(live) == 1)
    await handling.accept_report(world.deps, world.staff_a.viewer, report.id)
    [accepted] = await seqs(first, op1, 1)
    late = await opened(live)
    op2 = await late.subscribe(PUBLIC)
    await settle(lambda: members(live) == 2)
    await participation.add_comment(world.deps, world.other_citizen.viewer, report.id, "Một")
    [commented] = await seqs(first, op1, 1)
    # Joining the same group, but first replaying what followed their cursor.
    cursor, literal = await opened(live), await opened(live)
    op3 = await cursor.subscribe(PUBLIC, {"after": str(accepted - 1)})
    op4 = await literal.subscribe(PUBLIC_LITERAL % (accepted - 1))
    await settle(lambda: members(live) == 4)
    assert len(fanout(live).groups) == 1  # `after` never splits a group
    await participation.support_report(world.deps, world.other_citizen.viewer, report.id)
    [supported] = await seqs(first, op1, 1)
    assert await seqs(late, op2, 2) == [commented, supported]
    for client, op in ((cursor, op3), (literal, op4)):
        assert await seqs(client, op, 3) == [accepted, commented, supported]
    for client, op in ((first, op1), (late, op2), (cursor, op3), (literal, op4)):
        assert await client.nothing(op, wait=0.3)
        await client.close()


async def test_a_bad_cursor_fails_one_member_and_not_its_group(live: Live, world: World):
    good = await opened(live)
    op1 = await good.subscribe(PUBLIC)
    bad = await opened(live)
    op2 = await bad.subscribe(PUBLIC, {"after": "not-a-cursor"})
    error = await bad.next(op2)
    assert error["errors"][0]["extensions"] == {"code": "VALIDATION", "field": "after"}
    assert await bad.next(op2) == {"complete": True}
    await world.report(Status.ASSIGNED)
    assert len(await seqs(good, op1, 1)) == 1
    await good.close()
    await bad.close()


async def test_different_viewers_never_share(live: Live, world: World):
    """The same document with another token is another group: nested fields answer for the
    viewer, and the IOC may see a reporter's phone that the public must not."""
    anonymous = await opened(live)
    ioc = await opened(live, world.ioc.token)
    op_a, op_i = await anonymous.subscribe(PUBLIC), await ioc.subscribe(PUBLIC)
    await settle(lambda: len(fanout(live).groups) == 2)
    await world.report(Status.ASSIGNED)
    seen_a = (await anonymous.next(op_a))["data"]["publicFeed"]["report"]
    seen_i = (await ioc.next(op_i))["data"]["publicFeed"]["report"]
    assert seen_a["reporter"] is None
    assert seen_i["reporter"]["phone"] == world.citizen.phone
    await anonymous.close()
    await ioc.close()


async def test_documents_that_cannot_be_shared_take_the_ordinary_path(live: Live, world: World):
    client = await opened(live)
    op = await client.subscribe(PLAIN)
    unshared = await client.subscribe(THROUGH_FRAGMENT)
    invalid = await client.subscribe("subscription { publicFeed { nope } }")
    error = await client.next(invalid)
    assert "nope" in error["errors"][0]["message"]
    await settle(lambda: len(fanout(live).groups) == 1)
    await world.report(Status.ASSIGNED)
    shared, ordinary = await client.next(op), await client.next(unshared)
    assert shared["data"] == ordinary["data"]
    await client.close()

"""Shared subscriptions without a server (web/graphql/): who shares a group, and what each
member gets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.types.execution import ExecutionResult, PreExecutionError

from realtime.hub import Hub, LiveFeed
from resolvers.build import build_schema
from web.graphql.fanout import FanOut, Group
from web.graphql.member import END, Frame, Member
from web.graphql.sharing import Planner

FEED = """subscription($a: String, $c: [ID!]) {
  publicFeed(after: $a, filter: {categoryIds: $c}) { seq } }"""
FEED_LITERAL = """subscription($c: [ID!]) {
  publicFeed(after: "7", filter: {categoryIds: $c}) { seq } }"""


@pytest.fixture(scope="module")
def planner() -> Planner:
    return Planner(build_schema()._schema)


def test_the_cursor_never_splits_a_group_but_variables_and_tokens_do(planner: Planner):
    a = planner.plan(FEED, {"a": "5", "c": ["x"]}, None, None)
    b = planner.plan(FEED, {"c": ["x"], "a": None}, None, None)
    literal = planner.plan(FEED_LITERAL, {"c": ["x"]}, None, None)
    assert a is not None
    assert b is not None
    assert literal is not None
    assert a.key == b.key == literal.key
    assert (a.after, b.after, literal.after) == ("5", None, "7")
    assert planner.plan(FEED, {"c": ["y"]}, None, None).key != a.key  # type: ignore[union-attr]
    assert planner.plan(FEED, {"c": ["x"]}, None, "t").key != a.key  # type: ignore[union-attr]


@pytest.mark.parametrize("document", [
    "subscription { statsUpdated { period } }",  # not an event stream
    "subscription { ...F } fragment F on Subscription { publicFeed { seq } }",
    'subscription($a: String = "3") { publicFeed(after: $a) { seq } }',
    "subscription { publicFeed { nope } }",
    "query { categories { id } }",
    "subscription {",
])
def test_what_is_not_shared(planner: Planner, document: str):
    assert planner.plan(document, None, None, None) is None


def new_feed() -> LiveFeed:
    """A feed that no hub feeds: each test's stream says where it starts and what it yields."""
    return LiveFeed(Hub())


def result(seq: int) -> ExecutionResult:
    return ExecutionResult(data={"publicFeed": {"seq": seq}}, errors=None)


async def run_group(results: list[Any], limit: int = 10, members: int = 2
                    ) -> tuple[FanOut, list[Any], Group]:
    gate = asyncio.Event()

    async def open_stream(group: Group) -> AsyncIterator[Any]:
        async def source() -> AsyncIterator[Any]:
            group.feed.started.set_result(0)
            await gate.wait()
            for item in results:
                if isinstance(item, ExecutionResult) and item.data:
                    group.feed.seq = item.data["publicFeed"]["seq"]
                yield item
        return source()

    fanout = FanOut(new_feed, queue_size=limit)
    joined = [fanout.join("k", open_stream, hwm=0) for _ in range(members)]
    group = joined[0][0]
    await group.started
    gate.set()
    assert group.task is not None
    await group.task
    return fanout, [m for _, m in joined], group


def drain(member: Any) -> list[Frame]:
    return list(member.queue)


async def test_each_result_is_encoded_once_and_every_member_gets_the_same_text():
    fanout, members, _ = await run_group([result(1), result(2)])
    first, second = drain(members[0]), drain(members[1])
    assert first == second
    assert [f.seq for f in first] == [1, 2, None]
    assert first[0].payload == '{"data":{"publicFeed":{"seq":1}}}'
    assert first[-1] is END
    assert first[0].payload is second[0].payload  # one encoding, shared
    assert fanout.executions == 2
    assert not fanout.groups


async def test_a_member_that_stops_reading_is_cut_off_alone():
    fanout, members, group = await run_group([result(i) for i in range(1, 6)], limit=3)
    for member in members:
        assert member.dropped
        assert list(member.queue) == [END]  # what it had queued was released at once
    assert fanout.dropped == 2
    assert not group.members


async def test_errors_before_execution_end_the_group_for_everyone():
    error = PreExecutionError(data=None, errors=[])
    fanout, members, _ = await run_group([error, result(1)])
    frames = drain(members[0])
    assert [f.kind for f in frames] == ["error", "complete"]
    assert not fanout.groups


async def test_a_late_joiner_starts_at_the_hubs_mark():
    fanout = FanOut(new_feed)
    release = asyncio.Event()

    async def open_stream(group: Group) -> AsyncIterator[Any]:
        async def source() -> AsyncIterator[Any]:
            group.feed.started.set_result(10)
            await release.wait()
            for seq in (11, 12, 13):
                group.feed.seq = seq
                yield result(seq)
        return source()

    group, founder = fanout.join("k", open_stream, hwm=10)
    await group.started
    _, late = fanout.join("k", open_stream, hwm=12)
    assert (founder.mark, late.mark) == (None, 12)
    release.set()
    assert group.task is not None
    await group.task
    assert [f.seq for f in founder.queue if founder.due(f)] == [11, 12, 13, None]
    assert [f.seq for f in late.queue if late.due(f)] == [13, None]


async def test_the_last_member_out_stops_the_group():
    fanout = FanOut(new_feed)
    closed = asyncio.Event()

    async def open_stream(group: Group) -> AsyncIterator[Any]:
        async def source() -> AsyncIterator[Any]:
            group.feed.started.set_result(0)
            try:
                await asyncio.Event().wait()
                yield result(1)
            finally:
                closed.set()
        return source()

    group, a = fanout.join("k", open_stream, hwm=0)
    _, b = fanout.join("k", open_stream, hwm=0)
    await group.started
    group.leave(a)
    assert fanout.groups
    group.leave(b)
    assert not fanout.groups
    await asyncio.wait_for(closed.wait(), 1)


def frame(seq: int) -> Frame:
    return Frame(seq, "next", f'{{"seq":{seq}}}')


class Socket:
    """A connection whose writes complete at once until `block` is cleared."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.open = asyncio.Event()
        self.open.set()
        self.cancelled = False

    async def send(self, text: str) -> None:
        try:
            await self.open.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.sent.append(text)


async def test_writes_that_do_not_block_need_no_task_switch():
    socket = Socket()
    member = Member(10, socket.send, "7")
    server = asyncio.create_task(member.serve())
    await asyncio.sleep(0)  # its task has drained and waits
    assert not member.busy
    member.push(frame(1))
    member.push(frame(2))
    # Written synchronously by whoever pushed, before any other task ran.
    assert socket.sent == ['{"id":"7","type":"next","payload":{"seq":1}}',
                           '{"id":"7","type":"next","payload":{"seq":2}}']
    member.push(END)
    assert await server is END


async def test_a_write_that_blocks_is_finished_by_the_members_task_in_order():
    socket = Socket()
    member = Member(10, socket.send, "1")
    server = asyncio.create_task(member.serve())
    await asyncio.sleep(0)
    socket.open.clear()  # the client's buffers are full
    for seq in (1, 2, 3):
        member.push(frame(seq))
    assert member.busy
    assert socket.sent == []
    assert [f.seq for f in member.queue] == [2, 3]
    socket.open.set()
    await asyncio.sleep(0.01)
    assert [t.split('"seq":')[1] for t in socket.sent] == ["1}}", "2}}", "3}}"]
    assert not member.busy
    member.push(frame(4))  # direct again
    assert len(socket.sent) == 4
    server.cancel()


async def test_a_member_whose_socket_stays_full_is_dropped_and_its_write_cancelled():
    socket = Socket()
    member = Member(2, socket.send, "1")
    server = asyncio.create_task(member.serve())
    await asyncio.sleep(0)
    socket.open.clear()
    results = [member.push(frame(seq)) for seq in range(1, 5)]
    assert results == [True, True, True, False]  # one suspended, two queued, then too many
    assert member.dropped
    assert list(member.queue) == [END]
    await asyncio.sleep(0)
    server.cancel()  # the connection closes
    with pytest.raises(asyncio.CancelledError):
        await server
    assert socket.cancelled  # the cancellation reached the suspended write

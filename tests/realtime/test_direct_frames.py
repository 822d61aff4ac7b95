"""Shared messages written as prepared WebSocket frames (web/graphql/direct_frames.py), against
a connection shaped like uvicorn's websockets protocol: the bytes are the ones websockets
itself would send, and every case the direct write cannot take goes the ordinary way, in order.
A real uvicorn server takes this path in tests/live/test_shared_subscriptions.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import pytest
import uvicorn
import uvloop
from websockets.asyncio.client import connect
from websockets.protocol import CLOSING, OPEN
from websockets.server import ServerProtocol

from bench.servers import free_port
from tests.realtime.test_fanout import Socket, frame, new_feed, result
from web.graphql.direct_frames import DirectFrames, DirectSockets, direct_frames, text_frame
from web.graphql.fanout import FanOut, Group
from web.graphql.member import Frame, Member

T = TypeVar("T")


class Transport(asyncio.WriteTransport):
    def __init__(self) -> None:
        super().__init__()
        self.data: list[bytes] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.data.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing


class UvicornLike:
    """What uvicorn's WebSocketsSansIOProtocol exposes and DirectFrames reads."""

    def __init__(self) -> None:
        self.conn = ServerProtocol()
        self.conn.state = OPEN
        self.transport = Transport()
        self.writable = asyncio.Event()
        self.writable.set()
        self.close_sent = False
        self.disconnected = False
        self.initial_response: Any = None

    async def send(self, message: Any) -> None:
        raise AssertionError("not used here")


def writer(connection: UvicornLike) -> DirectFrames:
    found = DirectFrames.of(connection.send)
    assert found is not None
    return found


def received(transport: Transport) -> list[str]:
    """The text messages in what was written (unmasked final text frames, as asserted against
    websockets' own serialisation below)."""
    data, out, at = b"".join(transport.data), [], 0
    while at < len(data):
        assert data[at] == 0x81
        size, at = data[at + 1], at + 2
        if size >= 126:
            width = 2 if size == 126 else 8
            size, at = int.from_bytes(data[at:at + width], "big"), at + width
        out.append(data[at:at + size].decode())
        at += size
    return out


@pytest.mark.parametrize("size", [10, 125, 126, 200, 65_535, 70_000])
def test_a_prepared_frame_is_byte_for_byte_what_websockets_sends(size: int):
    payload = ("Đường " * size)[:size].encode()
    conn = ServerProtocol()
    conn.state = OPEN
    conn.send_text(payload)
    assert text_frame(payload) == b"".join(conn.data_to_send())


async def test_members_with_one_operation_id_share_one_frame_and_others_get_their_own():
    connections = [UvicornLike() for _ in range(3)]
    members = [Member(10, Socket().send, op, writer(c))
               for op, c in zip(("1", "1", "sub-2"), connections, strict=True)]
    for member in members:
        member.busy = False  # as after its task replayed what it missed
    shared = Frame(5, "next", '{"data":{"publicFeed":{"seq":5,"title":"Đèn hỏng"}}}')
    for member in members:
        assert member.push(shared)
    assert received(connections[0].transport) == [
        '{"id":"1","type":"next","payload":{"data":{"publicFeed":{"seq":5,'
        '"title":"Đèn hỏng"}}}}']
    assert received(connections[2].transport)[0].startswith('{"id":"sub-2","type":"next"')
    assert len(shared.wire) == 2  # built once per operation id
    assert connections[0].transport.data[0] is connections[1].transport.data[0]
    assert [m.direct.written for m in members if m.direct is not None] == [1, 1, 1]


async def test_paused_writes_go_the_ordinary_way_and_order_is_kept():
    connection, socket = UvicornLike(), Socket()
    member = Member(10, socket.send, "1", writer(connection))
    serving = asyncio.create_task(member.serve())
    await asyncio.sleep(0)
    member.push(frame(1))  # written directly
    connection.writable.clear()  # the transport's buffer passed its high-water mark
    socket.open.clear()  # and the ordinary send waits for it as uvicorn's does
    member.push(frame(2))
    member.push(frame(3))
    assert member.busy
    connection.writable.set()
    member.push(frame(4))  # still behind 2 and 3: queued, not written directly
    assert len(connection.transport.data) == 1
    socket.open.set()
    await asyncio.sleep(0.01)
    assert [t.split('"seq":')[1] for t in socket.sent] == ["2}}", "3}}", "4}}"]
    assert not member.busy
    member.push(frame(5))  # direct again
    assert received(connection.transport) == [
        '{"id":"1","type":"next","payload":{"seq":1}}',
        '{"id":"1","type":"next","payload":{"seq":5}}']
    serving.cancel()


@pytest.mark.parametrize("state", ["closing", "close_sent", "disconnected", "transport",
                                   "continuation", "extension"])
async def test_a_connection_that_is_not_plainly_open_is_never_written_directly(state: str):
    connection = UvicornLike()
    if state == "closing":
        connection.conn.state = CLOSING
    elif state == "close_sent":
        connection.close_sent = True
    elif state == "disconnected":
        connection.disconnected = True
    elif state == "transport":
        connection.transport.closing = True
    elif state == "continuation":
        connection.conn.expect_continuation_frame = True
    else:
        connection.conn.extensions = [object()]  # type: ignore[list-item]
    assert writer(connection).write(b"\x81\x01x") is False
    assert connection.transport.data == []


async def test_other_servers_get_no_direct_writer():
    async def send(message: Any) -> None:
        pass

    async def receive() -> dict[str, Any]:
        return {}

    assert DirectFrames.of(send) is None
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["writer"] = direct_frames(scope)

    await DirectSockets(app)({"type": "websocket"}, receive, send)
    assert seen["writer"] is None
    connection = UvicornLike()
    await DirectSockets(app)({"type": "websocket"}, receive, connection.send)
    assert isinstance(seen["writer"], DirectFrames)


def on_loop(loop: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return uvloop.run(main()) if loop == "uvloop" else asyncio.run(main())


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """A real uvicorn (websockets' sans-I/O protocol) on loopback behind DirectSockets; yields
    its ws:// URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(
        DirectSockets(app), host="127.0.0.1", port=port, lifespan="off",
        ws_per_message_deflate=False, log_level="warning", **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_a_real_uvicorn_connection_takes_prepared_frames_on_either_loop(loop: str):
    """Production serves on uvloop (web/cli.py: uvicorn's default), whose transports are not
    asyncio's classes; a browser-side client must read the frame as any other."""
    seen: dict[str, Any] = {}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        writer = direct_frames(scope)
        seen["wrote"] = writer is not None and writer.write(text_frame("Đèn hỏng".encode()))
        await send({"type": "websocket.send", "text": "then the ordinary way"})
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async def main() -> list[str]:
        async with uvicorn_serving(inner) as url, connect(url) as client:
            return [str(await client.recv()), str(await client.recv())]

    assert on_loop(loop, main) == ["Đèn hỏng", "then the ordinary way"]
    assert seen["wrote"] is True


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_connections_accepted_together_ping_at_different_moments(loop: str):
    """uvicorn would ping all of them `ping_interval` after the accept, together for ever."""
    interval = 20.0
    first_pings: list[float] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        writer = direct_frames(scope)
        assert writer is not None
        first_pings.append(writer.protocol.ping_timer.when() - asyncio.get_running_loop().time())
        while (await receive())["type"] != "websocket.disconnect":
            pass

    async def main() -> None:
        async with uvicorn_serving(inner, ws_ping_interval=interval) as url:
            clients = [await connect(url) for _ in range(30)]
            for client in clients:
                await client.close()

    on_loop(loop, main)
    assert len(first_pings) == 30
    assert all(0.1 * interval - 1 <= d <= interval for d in first_pings)
    # Accepted within a second of each other, they ping over most of the interval.
    assert max(first_pings) - min(first_pings) > 0.5 * interval


async def test_several_events_frames_go_out_in_one_write_from_the_members_mark():
    """A group that computed several events in one turn of the loop (the hub read them in one
    batch) writes them to each member at once; a late joiner gets only those above its mark,
    and its mark moves past them as if each had been pushed."""
    connections = [UvicornLike() for _ in range(2)]
    members = [Member(10, Socket().send, "1", writer(c)) for c in connections]
    for member in members:
        member.busy = False
    members[1].mark = 2  # joined when the hub's mark was 2
    frames = [frame(seq) for seq in (1, 2, 3, 4)]
    for member in members:
        assert member.push_all(frames)
    assert [len(c.transport.data) for c in connections] == [1, 1]  # one write each
    assert [t.split('"seq":')[1] for t in received(connections[0].transport)] == [
        "1}}", "2}}", "3}}", "4}}"]
    assert [t.split('"seq":')[1] for t in received(connections[1].transport)] == ["3}}", "4}}"]
    assert [m.direct.written for m in members if m.direct is not None] == [4, 2]
    assert [m.mark for m in members] == [4, 4]
    members[1].push(frame(4))  # already delivered: not again
    assert len(connections[1].transport.data) == 1


async def test_frames_that_cannot_go_at_once_go_one_by_one_in_order():
    connection, socket = UvicornLike(), Socket()
    member = Member(10, socket.send, "1", writer(connection))
    serving = asyncio.create_task(member.serve())
    await asyncio.sleep(0)
    connection.writable.clear()  # paused: the ordinary path, frame by frame
    assert member.push_all([frame(1), frame(2), frame(3)])
    await asyncio.sleep(0.01)
    assert connection.transport.data == []
    assert [t.split('"seq":')[1] for t in socket.sent] == ["1}}", "2}}", "3}}"]
    serving.cancel()


async def test_a_group_delivers_the_events_it_computed_in_one_turn_together():
    connection = UvicornLike()
    fanout = FanOut(new_feed)
    gate = asyncio.Event()

    async def open_stream(group: Group) -> AsyncIterator[Any]:
        async def source() -> AsyncIterator[Any]:
            group.feed.started.set_result(0)
            await gate.wait()
            for seq in (1, 2, 3):  # a batch: no wait between them
                group.feed.seq = seq
                yield result(seq)
            await asyncio.sleep(0.01)  # the next event comes later: its own write
            group.feed.seq = 4
            yield result(4)
            await asyncio.Event().wait()
        return source()

    group, member = fanout.join("k", open_stream, hwm=0, send=Socket().send, operation_id="1",
                                direct=writer(connection))
    member.busy = False
    await group.started
    gate.set()
    await asyncio.sleep(0.05)
    assert len(connection.transport.data) == 2
    assert [len(received_one(d)) for d in connection.transport.data] == [3, 1]
    assert group.task is not None
    group.task.cancel()


def received_one(data: bytes) -> list[str]:
    transport = Transport()
    transport.data.append(data)
    return received(transport)

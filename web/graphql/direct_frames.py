"""Shared subscription messages written to the socket as prepared WebSocket frames.

A server's text frame is its header and the UTF-8 payload, unmasked: the same bytes for every
connection that receives the same message (when no extension, such as compression, is on). A
group's message reaches thousands of members, most with the same operation id, so the frame is
built once per event and operation id (web/graphql/member.py) and each delivery is one
`transport.write`. Through Starlette and uvicorn, each delivery would walk the ASGI send
path, build a websockets Frame and serialise it: most of a delivery's CPU (README
"Performance", fan-out).

Only uvicorn's websockets (sans-I/O) protocol is written to this way, and only while the
connection is open, its writes are not paused and nothing else is half-sent; otherwise the
ordinary send path takes the frame (and waits, raises, closes as it always does). uvicorn's
own send is reached by an outermost middleware (`DirectSockets`) before any other wraps it.
Frames written here skip any middleware that watches sent messages; none of ours does.

The same middleware spreads uvicorn's keepalive pings (`stagger_keepalive`).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN, Protocol

SCOPE_KEY = "hien_truong.direct_frames"


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final text frame: what a server sends with no extension."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


class DirectFrames:
    """One connection's direct writer."""

    __slots__ = ("conn", "protocol", "transport", "writable", "written")
    total = 0  # frames written directly by this process (exported by web/metrics.py)

    def __init__(self, protocol: Any, conn: Protocol, transport: Any,
                 writable: asyncio.Event) -> None:
        self.protocol = protocol
        self.conn = conn
        self.transport = transport
        self.writable = writable
        self.written = 0  # frames this connection took directly

    @classmethod
    def of(cls, send: Send) -> DirectFrames | None:
        """The writer for uvicorn's `send` of a WebSocket connection, or None for any other
        server or implementation (then every message takes the ordinary path)."""
        protocol = getattr(send, "__self__", None)
        conn = getattr(protocol, "conn", None)
        transport = getattr(protocol, "transport", None)
        writable = getattr(protocol, "writable", None)
        # uvloop's transports (production's loop) are not asyncio.WriteTransport subclasses.
        if (isinstance(conn, Protocol) and isinstance(writable, asyncio.Event)
                and callable(getattr(transport, "write", None))
                and callable(getattr(transport, "is_closing", None))
                and all(hasattr(protocol, name) for name in (
                    "close_sent", "disconnected", "initial_response"))):
            return cls(protocol, conn, transport, writable)
        return None

    def write(self, frame: bytes, frames: int = 1) -> bool:
        """True when the frame (or `frames` frames one after the other) was handed to the
        transport; False: use the ordinary path."""
        protocol, conn = self.protocol, self.conn
        if (conn.state is not OPEN or conn.extensions or conn.expect_continuation_frame
                or protocol.close_sent or protocol.disconnected
                or protocol.initial_response is not None or not self.writable.is_set()
                or self.transport.is_closing()):
            return False
        self.transport.write(frame)
        self.written += frames
        DirectFrames.total += frames
        return True


def direct_frames(scope: Scope) -> DirectFrames | None:
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, DirectFrames) else None


def stagger_keepalive(protocol: Any) -> None:
    """uvicorn pings a connection `ping_interval` seconds after accepting it, then every
    interval: connections accepted together (thousands, reconnecting after a restart) ping
    together for ever, and their pings and pongs take the event loop in one go every interval.
    The first ping is moved to a random moment of the interval, which spreads all that follow."""
    timer: Any = getattr(protocol, "ping_timer", None)
    interval = getattr(protocol, "ping_interval", None)
    ping = getattr(protocol, "send_keepalive_ping", None)
    # uvloop's timer handles are not asyncio.TimerHandle: duck-typed, as the transport is.
    if not callable(getattr(timer, "cancel", None)) or not interval or not callable(ping):
        return
    timer.cancel()
    protocol.ping_timer = asyncio.get_running_loop().call_later(
        random.uniform(0.1, 1.0) * interval, ping)


class DirectSockets:
    """Outermost middleware: keeps a direct writer for each WebSocket connection in its scope,
    made from the server's own `send` before any middleware wraps it, and staggers the
    connection's keepalive pings once it is accepted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            writer = DirectFrames.of(send)
            if writer is not None:
                scope[SCOPE_KEY] = writer
                send = _staggering(send, writer.protocol)
        await self.app(scope, receive, send)


def _staggering(send: Send, protocol: Any) -> Send:
    async def accepting(message: Message) -> None:
        await send(message)
        if message["type"] == "websocket.accept":
            stagger_keepalive(protocol)

    return accepting

"""A minimal WebSocket client for thousands of connections in one process: a non-blocking
socket per connection that records each text frame's arrival time and bytes and does nothing
else. A full client library spends tens of microseconds per message, which on two cores would
end up in the latency it is supposed to measure.

The arrival time is the kernel's (SO_TIMESTAMPNS: when the data reached this machine's
socket), not when this process got round to reading it. The clients of a benchmark share the
two cores with the servers they measure; reading 100,000 frames a second is most of a core,
and in a burst (one event reaching 5,000 sockets) the last socket is read tens or hundreds of
milliseconds after its data arrived. A real subscriber's device does not wait behind 15,999
others. Where the kernel gives no stamp, the time of reading stands in.

Enough of RFC 6455 for this: the handshake, masked client frames, unmasked server frames
(any length), pongs for the server's pings, close.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
# Linux's values; the socket module names them only on some builds.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS


def masked(opcode: int, payload: bytes) -> bytes:
    key = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    repeated = (key * (size // 4 + 1))[:size]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big") if size else b""
    return head + key + body


class FrameClient:
    def __init__(self, sock: socket.socket, on_text: Callable[[float, bytes], None]) -> None:
        self.sock = sock
        self.on_text = on_text
        self.loop = asyncio.get_running_loop()
        self.buffer = bytearray()
        self.outgoing = bytearray()  # what the socket did not take yet, sent before anything new
        self.upgraded: asyncio.Future[None] = self.loop.create_future()
        self.closed: asyncio.Future[None] = self.loop.create_future()
        self.loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            data, ancillary, _flags, _addr = self.sock.recvmsg(1 << 16, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(None)
            return
        now = kernel_time(ancillary)
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[:end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode()))
                return
            self.upgraded.set_result(None)
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            opcode, size = buf[0] & 0x0F, buf[1] & 0x7F
            start = 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, start = struct.unpack_from("!H", buf, 2)[0], 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, start = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < start + size:
                return
            payload = bytes(buf[start:start + size])
            del buf[:start + size]
            if opcode == TEXT:
                self.on_text(now, payload)
            elif opcode == PING:
                self.send(PONG, payload)
            elif opcode == CLOSE:
                self._lost(None)
                return

    def send(self, opcode: int, payload: bytes) -> None:
        self.write(masked(opcode, payload))

    def write(self, data: bytes) -> None:
        if self.closed.done():
            return
        if self.outgoing:  # rare: a full socket buffer earlier; keep the order
            self.outgoing += data
            return
        sent = self._send(data)
        if 0 <= sent < len(data):
            self.outgoing += data[sent:]
            self.loop.add_writer(self.sock.fileno(), self._writable)

    def _writable(self) -> None:
        sent = self._send(bytes(self.outgoing))
        if sent > 0:
            del self.outgoing[:sent]
        if not self.outgoing or sent < 0:
            self.loop.remove_writer(self.sock.fileno())

    def _send(self, data: bytes) -> int:
        """Bytes the socket took; -1 when the connection is gone."""
        try:
            return self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as exc:
            self._lost(exc)
            return -1

    def _lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
            self.sock.close()

    def close(self) -> None:
        if not self.closed.done():
            self.send(CLOSE, struct.pack("!H", 1000))
            self._lost(None)


# Room for one SCM_TIMESTAMPNS message (a struct timespec).
ANCILLARY = socket.CMSG_SPACE(16)


def kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack_from("qq", data)
            return float(seconds + nanoseconds / 1e9)
    return time.time()


async def open_connection(url: str, on_text: Callable[[float, bytes], None],
                          protocol: str | None = None) -> FrameClient:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        await loop.sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    client = FrameClient(sock, on_text)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}",
             "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    client.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    async with asyncio.timeout(120):
        await client.upgraded
    return client

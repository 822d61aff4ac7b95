"""The benchmarks' WebSocket client stamps a frame with the moment it reached this machine's
socket (the kernel's SO_TIMESTAMPNS), not with the moment the busy client read it: a client
sharing two cores with the servers it measures must not add its own backlog to their latency
(bench/wsclient.py)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from bench import members
from bench.wsclient import open_connection


def accept_upgrade(listener: socket.socket) -> socket.socket:
    """The server side of the WebSocket handshake, as little of it as the client needs."""
    conn, _ = listener.accept()
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    return conn


def one_frame_server(listener: socket.socket, sent: list[float]) -> None:
    conn = accept_upgrade(listener)
    with conn:
        time.sleep(0.05)
        sent.append(time.time())
        conn.sendall(bytes([0x81, 5]) + b"hello")
        sent.append(time.time())
        conn.recv(4096)  # until the client closes


async def test_a_frame_is_stamped_when_it_arrived_not_when_it_was_read():
    listener = socket.create_server(("127.0.0.1", 0))
    sent: list[float] = []
    server = threading.Thread(target=one_frame_server, args=(listener, sent), daemon=True)
    server.start()
    frames: list[tuple[float, bytes, float]] = []
    client = await open_connection(f"ws://127.0.0.1:{listener.getsockname()[1]}/",
                                   lambda now, payload: frames.append((now, payload, time.time())))
    time.sleep(0.5)  # noqa: ASYNC251 -- the loop held on purpose: the frame arrives unread
    for _ in range(100):
        await asyncio.sleep(0.01)
        if frames:
            break
    client.close()
    server.join(5)
    listener.close()
    [(stamped, payload, read)] = frames
    assert payload == b"hello"
    assert sent[0] - 0.01 <= stamped <= sent[1] + 0.01  # the clocks are the same (realtime)
    assert read - stamped > 0.3  # read after the client's busy half second, stamped before it


def upgrade_then_read_all(listener: socket.socket, got: list[bytes], size: int) -> None:
    conn = accept_upgrade(listener)
    with conn:
        time.sleep(0.3)  # not reading meanwhile: the client's socket buffer fills
        data = bytearray()
        while len(data) < size:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        got.append(bytes(data))


async def test_what_a_full_socket_did_not_take_goes_later_in_order():
    listener = socket.create_server(("127.0.0.1", 0))
    parts = [bytes([i]) * 1_000_000 for i in range(8)]  # far more than a socket buffer holds
    got: list[bytes] = []
    server = threading.Thread(target=upgrade_then_read_all,
                              args=(listener, got, sum(map(len, parts))), daemon=True)
    server.start()
    client = await open_connection(f"ws://127.0.0.1:{listener.getsockname()[1]}/",
                                   lambda now, payload: None)
    for part in parts:
        client.write(part)
    assert client.outgoing  # some of it waits for the socket
    for _ in range(500):
        await asyncio.sleep(0.01)
        if not client.outgoing:
            break
    await asyncio.to_thread(server.join, 10)
    client.close()
    listener.close()
    assert got == [b"".join(parts)]


async def test_the_members_benchmark_runs_small():
    """bench/members.py (the Python cost of a group's deliveries) must not rot between runs:
    at a toy size it runs and every member takes every frame (it raises otherwise)."""
    assert await members.main(members_count=20, events=3, rounds=2) > 0

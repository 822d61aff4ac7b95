"""What outbound webhooks cost the rest (`python -m bench --only webhooks`), on PostgreSQL with
two server processes sharing Redis:

- submitReport's p50 with webhooks off (WEBHOOK_POLL_SECONDS=0, no endpoint), then with the
  senders on in both processes and an IOC-wide endpoint that receives every event (answering
  at once): what webhooks cost a mutation. The mutation itself writes nothing for them (the
  timeline is the outbox); the processes turn its events into deliveries and send them on the
  same cores;
- 1,000 deliveries queued for an endpoint that takes 200 ms to answer, sent by a third process:
  how long it takes to send them all (concurrently, not one after another: that would be
  200 s), and submitReport's p50 on the other two meanwhile. On a 2-core machine the sender,
  PostgreSQL, the receiver and wrk share the cores with the measured processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import asyncpg

from bench.city import City
from bench.load import Sub, percentile, subscribe
from bench.process import ROOT, SECRET, Process
from bench.tools import Figure, Report, gql, login
from bench.writes import ENV, submit_rate

T = TypeVar("T")
SLOW_SECONDS = 0.2
QUEUED = 1000
CREATE = """mutation($url: String!, $kinds: [EventKind!]!) { createWebhookEndpoint(input: {
  url: $url, description: "Hệ thống chậm", kinds: $kinds}) { secret errors { code } } }"""


class Sender:
    """`python server.py send --nice 19`: the senders alone, in a process of their own."""

    def __init__(self, database_url: str, redis_url: str, log: Path, **env: str) -> None:
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "send", "--nice", "19"],
            env={**os.environ, "DATABASE_URL": database_url, "BROADCAST_URL": redis_url,
                 "SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT), **env},
            cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT)

    async def ready(self) -> None:
        for _ in range(300):
            if b"sending:" in self.log.read_bytes():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the sender did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.close()


class SlowReceiver:
    """Answers every POST 200, after `delay` seconds; counts them."""

    def __init__(self, delay: float = SLOW_SECONDS) -> None:
        self.delay = delay
        self.received = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            await asyncio.sleep(self.delay)
            self.received += 1
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hooks"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


async def pending(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM webhook_delivery d JOIN webhook_endpoint e"
            " ON e.id = d.endpoint_id WHERE d.status = 'PENDING' AND e.disabled_at IS NULL"))
    finally:
        await conn.close()


async def queue_tests(database_url: str, count: int) -> None:
    """`count` test deliveries for every endpoint, due now (what sendTestWebhook writes)."""
    conn = await asyncpg.connect(database_url)
    try:
        now = datetime.now(UTC)
        await conn.executemany(
            """INSERT INTO webhook_delivery (endpoint_id, event_id, message_id, payload, status,
               attempts, next_attempt_at, created_at)
               SELECT id, NULL, $1 || '_' || id, '{"type":"webhook.test"}', 'PENDING', 0, $2, $2
               FROM webhook_endpoint WHERE disabled_at IS NULL""",
            [(f"msg_bench_{i}", now) for i in range(count)])
    finally:
        await conn.close()


async def bench_webhooks(report: Report, database_url: str, redis_url: str, workdir: Path,
                         city: City, seconds: float) -> None:
    fast, slow = SlowReceiver(0), SlowReceiver()
    fast_url, slow_url = await fast.start(), await slow.start()
    off = {**ENV, "WEBHOOKS_ALLOW_PRIVATE": "true", "WEBHOOK_POLL_SECONDS": "0"}
    sending = {**off, "WEBHOOK_POLL_SECONDS": "0.5"}
    procs = [Process(database_url, redis_url, workdir / f"webhooks-{i}.log", **off)
             for i in range(2)]
    senders: list[Sender] = []
    everywhere: list[Process] = []
    try:
        await asyncio.gather(*(p.ready() for p in procs))
        token = await login(procs[0].http, city.citizen_phone)
        ioc = await login(procs[0].http, city.ioc_phone)
        (_, without), feed_off, seen_off = await watched(
            procs[1], ioc, submit_rate(procs, token, seconds))
        # An endpoint for every event; a process of its own sends, at nice 19.
        created = await gql(procs[0].http, CREATE, {"url": fast_url, "kinds": []}, ioc)
        assert created["createWebhookEndpoint"]["errors"] == [], created
        senders.append(Sender(database_url, redis_url, workdir / "webhooks-sender.log",
                              **sending))
        await senders[0].ready()
        before = fast.received
        _, apart = await submit_rate(procs, token, seconds)
        await drain(database_url)
        delivered = fast.received - before
        # The same, every API process sending too (the default: WEBHOOK_POLL_SECONDS=1).
        senders.pop().stop()
        everywhere = [Process(database_url, redis_url, workdir / f"webhooks-all-{i}.log",
                              **{**off, "WEBHOOK_POLL_SECONDS": "1"}) for i in range(2)]
        await asyncio.gather(*(p.ready() for p in everywhere))
        _, inside = await submit_rate(everywhere, token, seconds)
        await drain(database_url)
        for p in everywhere:
            p.stop()
        # 1,000 queued for a slow endpoint (it wants no event the submissions make).
        created = await gql(procs[0].http, CREATE, {"url": slow_url, "kinds": ["PUBLISHED"]},
                            ioc)
        assert created["createWebhookEndpoint"]["errors"] == [], created
        await disable_other_endpoints(database_url, slow_url)
        senders.append(Sender(database_url, redis_url, workdir / "webhooks-sender-2.log",
                              **sending))
        await senders[0].ready()
        before = slow.received
        await queue_tests(database_url, QUEUED)
        started = time.monotonic()
        (_, meanwhile), feed_on, seen_on = await watched(
            procs[1], ioc, submit_rate(procs, token, min(seconds, 5)))
        await drain(database_url, 0.2)
        drained = time.monotonic() - started
        sent = slow.received - before
    finally:
        for p in [*procs, *everywhere]:
            p.stop()
        for sender in senders:
            sender.stop()
        await fast.stop()
        await slow.stop()
    report.add(Figure(f"webhooks: submitReport p50, an endpoint for every event, sent by a "
                      f"process of its own at nice 19 ({delivered:,} delivered)",
                      apart.p50_ms, "ms", "webhooks off", without.p50_ms,
                      "≤ 1.1 × baseline", apart.p50_ms <= 1.1 * without.p50_ms))
    report.add(Figure("webhooks: the same, every API process sending (WEBHOOK_POLL_SECONDS=1)",
                      inside.p50_ms, "ms", "webhooks off", without.p50_ms))
    report.add(Figure(f"webhooks: {QUEUED:,} queued deliveries to a {SLOW_SECONDS * 1000:.0f} ms "
                      f"endpoint, all sent in ({sent:,} received)", drained, "s",
                      "one after another", QUEUED * SLOW_SECONDS, "concurrent",
                      drained < QUEUED * SLOW_SECONDS / 4))
    report.add(Figure("webhooks: submitReport p50 meanwhile (the sending process at nice 19)",
                      meanwhile.p50_ms, "ms",
                      "webhooks off", without.p50_ms, "≤ 1.1 × baseline",
                      meanwhile.p50_ms <= 1.1 * without.p50_ms))
    report.add(Figure(f"webhooks: an iocFeed subscriber's p99, event to arrival, meanwhile "
                      f"({seen_on:,} events; {seen_off:,} without)", feed_on, "ms",
                      "webhooks off", feed_off, "≤ 1.1 × baseline", feed_on <= 1.1 * feed_off))


FEED = "subscription { iocFeed { seq at kind } }"


async def watched(proc: Process, ioc: str, run: Awaitable[T]) -> tuple[T, float, int]:
    """`run`, with an IOC dashboard on `iocFeed` of `proc`: its result, and the p99 of event
    commit to arrival at the subscriber (ms) over what arrived, and how many."""
    sub = Sub(feed="ioc")
    ready: asyncio.Queue[bool] = asyncio.Queue()
    task = asyncio.create_task(subscribe(lambda _n: proc.ws, 0, FEED, ioc, sub, ready))
    try:
        await asyncio.wait_for(ready.get(), 30)
        await asyncio.sleep(0.5)
        result = await run
        await asyncio.sleep(1)  # the last events reach it
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    delays = [(got - at) * 1000 for _seq, at, got in sub.received]
    return result, percentile(delays, 99) if delays else float("nan"), len(delays)


async def drain(database_url: str, step: float = 0.5) -> None:
    """Until nothing is pending for an enabled endpoint (at most 5 minutes)."""
    for _ in range(int(300 / step)):
        if await pending(database_url) == 0:
            return
        await asyncio.sleep(step)


async def disable_other_endpoints(database_url: str, keep: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE webhook_endpoint SET disabled_at = now() WHERE url <> $1",
                           keep)
    finally:
        await conn.close()

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
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.city import City
from bench.process import Process
from bench.tools import Figure, Report, gql, login
from bench.writes import ENV, submit_rate

SLOW_SECONDS = 0.2
QUEUED = 1000
CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url,
  description: "Hệ thống chậm", kinds: []}) { secret errors { code } } }"""


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
    on = {**off, "WEBHOOK_POLL_SECONDS": "1"}
    procs = [Process(database_url, redis_url, workdir / f"webhooks-off-{i}.log", **off)
             for i in range(2)]
    sender: Process | None = None
    try:
        await asyncio.gather(*(p.ready() for p in procs))
        token = await login(procs[0].http, city.citizen_phone)
        _, without = await submit_rate(procs, token, seconds)
        for p in procs:
            p.stop()
        procs = [Process(database_url, redis_url, workdir / f"webhooks-on-{i}.log", **on)
                 for i in range(2)]
        await asyncio.gather(*(p.ready() for p in procs))
        ioc = await login(procs[0].http, city.ioc_phone)
        created = await gql(procs[0].http, CREATE, {"url": fast_url}, ioc)
        assert created["createWebhookEndpoint"]["errors"] == [], created
        before = fast.received
        _, with_webhooks = await submit_rate(procs, token, seconds)
        for _ in range(600):  # let them send what the submissions made
            if await pending(database_url) == 0:
                break
            await asyncio.sleep(0.5)
        delivered = fast.received - before
        for p in procs:  # the measured processes send nothing from here on
            p.stop()
        procs = [Process(database_url, redis_url, workdir / f"webhooks-{i}.log", **off)
                 for i in range(2)]
        sender = Process(database_url, redis_url, workdir / "webhooks-sender.log",
                         **{**off, "WEBHOOK_POLL_SECONDS": "0.5"})
        await asyncio.gather(*(p.ready() for p in [*procs, sender]))
        created = await gql(procs[0].http, CREATE, {"url": slow_url}, ioc)
        assert created["createWebhookEndpoint"]["errors"] == [], created
        await disable_other_endpoints(database_url, slow_url)
        before = slow.received
        await queue_tests(database_url, QUEUED)
        started = time.monotonic()
        _, meanwhile = await submit_rate(procs, token, min(seconds, 5))
        for _ in range(1500):  # at most 5 minutes
            if await pending(database_url) == 0:
                break
            await asyncio.sleep(0.2)
        drained = time.monotonic() - started
        sent = slow.received - before
    finally:
        for p in [*procs, *([sender] if sender else [])]:
            p.stop()
        await fast.stop()
        await slow.stop()
    report.add(Figure(f"webhooks: submitReport p50 with webhooks on (an endpoint for every "
                      f"event; {delivered:,} delivered)",
                      with_webhooks.p50_ms, "ms", "webhooks off", without.p50_ms,
                      "≤ 1.1 × baseline", with_webhooks.p50_ms <= 1.1 * without.p50_ms))
    report.add(Figure(f"webhooks: {QUEUED:,} queued deliveries to a {SLOW_SECONDS * 1000:.0f} ms "
                      f"endpoint, all sent in ({sent:,} received)", drained, "s",
                      "one after another", QUEUED * SLOW_SECONDS, "concurrent",
                      drained < QUEUED * SLOW_SECONDS / 4))
    report.add(Figure("webhooks: submitReport p50 meanwhile (another process sends)",
                      meanwhile.p50_ms, "ms",
                      "webhooks off", without.p50_ms, "≤ 1.1 × baseline",
                      meanwhile.p50_ms <= 1.1 * without.p50_ms))


async def disable_other_endpoints(database_url: str, keep: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE webhook_endpoint SET disabled_at = now() WHERE url <> $1",
                           keep)
    finally:
        await conn.close()

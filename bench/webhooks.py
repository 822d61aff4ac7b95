"""What outbound webhooks cost the rest (`python -m bench --only webhooks`), on PostgreSQL with
two server processes sharing Redis:

- submitReport's p50 with no endpoint, then with an IOC-wide endpoint that receives every event:
  what writing the outbox costs (the measured processes send nothing, WEBHOOK_POLL_SECONDS=0);
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
    """Answers every POST 200, after SLOW_SECONDS; counts them."""

    def __init__(self) -> None:
        self.received = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            await asyncio.sleep(SLOW_SECONDS)
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
            "SELECT count(*) FROM webhook_delivery WHERE status = 'PENDING'"))
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
               FROM webhook_endpoint""",
            [(f"msg_bench_{i}", now) for i in range(count)])
    finally:
        await conn.close()


async def bench_webhooks(report: Report, database_url: str, redis_url: str, workdir: Path,
                         city: City, seconds: float) -> None:
    receiver = SlowReceiver()
    url = await receiver.start()
    env = {**ENV, "WEBHOOKS_ALLOW_PRIVATE": "true", "WEBHOOK_POLL_SECONDS": "0"}
    procs = [Process(database_url, redis_url, workdir / f"webhooks-{i}.log", **env)
             for i in range(2)]
    sender: Process | None = None
    try:
        await asyncio.gather(*(p.ready() for p in procs))
        token = await login(procs[0].http, city.citizen_phone)
        _, without = await submit_rate(procs, token, seconds)
        ioc = await login(procs[0].http, city.ioc_phone)
        created = await gql(procs[0].http, CREATE, {"url": url}, ioc)
        assert created["createWebhookEndpoint"]["errors"] == [], created
        _, with_outbox = await submit_rate(procs, token, seconds)
        sender = Process(database_url, redis_url, workdir / "webhooks-sender.log",
                         **{**env, "WEBHOOK_POLL_SECONDS": "0.5"})
        await sender.ready()
        # Let the submissions' own deliveries drain, then queue 1,000 for the slow endpoint.
        for _ in range(600):
            if await pending(database_url) == 0:
                break
            await asyncio.sleep(0.5)
        before = receiver.received
        await queue_tests(database_url, QUEUED)
        started = time.monotonic()
        _, meanwhile = await submit_rate(procs, token, min(seconds, 5))
        for _ in range(1500):  # at most 5 minutes
            if await pending(database_url) == 0:
                break
            await asyncio.sleep(0.2)
        drained = time.monotonic() - started
        sent = receiver.received - before
    finally:
        for p in [*procs, *([sender] if sender else [])]:
            p.stop()
        await receiver.stop()
    report.add(Figure("webhooks: submitReport p50 writing the outbox (an endpoint for every "
                      "event)",
                      with_outbox.p50_ms, "ms", "no endpoint", without.p50_ms,
                      "≤ 1.1 × baseline", with_outbox.p50_ms <= 1.1 * without.p50_ms))
    report.add(Figure(f"webhooks: {QUEUED:,} queued deliveries to a {SLOW_SECONDS * 1000:.0f} ms "
                      f"endpoint, all sent in ({sent:,} received)", drained, "s",
                      "one after another", QUEUED * SLOW_SECONDS, "concurrent",
                      drained < QUEUED * SLOW_SECONDS / 4))
    report.add(Figure("webhooks: submitReport p50 meanwhile (another process sends)",
                      meanwhile.p50_ms, "ms",
                      "no endpoint", without.p50_ms, "≤ 1.1 × baseline",
                      meanwhile.p50_ms <= 1.1 * without.p50_ms))

"""Fan-out: thousands of `publicFeed` subscribers split over two server processes on Redis, a
series of events, and the same number of connections on the bare WebSocket ceiling
(bench/ws_ceiling.py) receiving frames of the same size.

Per configuration, one at a time so that they never compete for the two cores:
- memory per idle subscriber: growth of the server processes' RSS from before connecting to
  after every subscriber is in, divided by the subscribers;
- CPU per subscriber per event: user + system time of the server processes during the events,
  divided by subscribers × events (for ours this includes handling the mutation that made the
  event, about one request per event);
- publish-to-delivery: from the event's `at` (our servers) or the moment the frame was handed
  to the ceiling, to its arrival at the client, over every delivery.
Events go one at a time: the next is made once every subscriber has the previous one; or, given
a rate, on a clock whatever has arrived (the distinct-subscription benchmark's ceiling).
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.load import cpu_seconds, percentile, steady_clock_hand
from bench.process import Process
from bench.tools import Uvicorn
from bench.wsclient import TEXT, FrameClient, open_connection

WALL_FEED = """subscription Wall { publicFeed { seq at kind toStatus
  report { id title status category { name } agency { name } commentCount supportCount } } }"""
COMMENT = """mutation($id: ID!, $b: String!) { addComment(input: {reportId: $id, body: $b}) {
  errors { code message } } }"""


@dataclass
class Outcome:
    name: str
    subscribers: int
    events: int
    cpu_us_per_delivery: float
    rss_kb_per_subscriber: float
    p50_ms: float
    p99_ms: float
    delivered: int
    frame_bytes: int = 0
    missing: int = field(init=False)

    def __post_init__(self) -> None:
        self.missing = self.subscribers * self.events - self.delivered


def rss_kb(pid: int) -> int:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    raise RuntimeError("no VmRSS")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Tally:
    """Frames arrived at all clients; wakes the bench when a total is reached."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.reached.set()

    async def wait_for(self, target: int, within: float) -> bool:
        self.target = target
        self.reached.clear()
        if self.count >= target:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.reached.wait()
        return self.count >= target


class Client:
    """One subscriber: records the arrival time and the raw frame, nothing more (see
    bench/wsclient.py), so that the client costs as little as possible in the measurement."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.conn: FrameClient | None = None
        self.frames: list[tuple[float, bytes]] = []
        self.ack: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def on_text(self, now: float, payload: bytes) -> None:
        if not self.ack.done():
            self.ack.set_result(payload)
            return
        self.frames.append((now, payload))
        self.tally.add()

    async def open(self, url: str, subscribe: dict[str, Any] | None) -> None:
        self.conn = await open_connection(url, self.on_text,
                                          "graphql-transport-ws" if subscribe else None)
        if subscribe is None:
            self.ack.set_result(b"")
            return
        self.conn.send(TEXT, b'{"type":"connection_init","payload":{}}')
        async with asyncio.timeout(120):
            ack = await self.ack
        if b"connection_ack" not in ack:
            raise RuntimeError(f"not acknowledged: {ack!r}")
        self.conn.send(TEXT, orjson.dumps(subscribe))

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


async def open_all(urls: list[str], n: int, subscribe: dict[str, Any] | None) -> list[Client]:
    tally = Tally()
    clients = [Client(tally) for _ in range(n)]
    gate = asyncio.Semaphore(100)

    async def one(i: int) -> None:
        async with gate:
            await clients[i].open(urls[i % len(urls)], subscribe)

    await asyncio.gather(*(one(i) for i in range(n)))
    return clients


def latencies(clients: list[Client], sent: list[float]) -> tuple[list[float], int, int]:
    """From the moment each event was asked for (before the mutation or the publish request)
    to each arrival. Events follow each other only once every subscriber has the previous
    one, so a client's k-th `next` frame is the k-th event. (The events' own `at` is given to
    the second, the API's time convention: too coarse to measure with.)"""
    values: list[float] = []
    sizes: list[int] = []
    for client in clients:
        arrivals = [(got, raw) for got, raw in client.frames if b'"type":"next"' in raw]
        for k, (got, raw) in enumerate(arrivals[:len(sent)]):
            values.append((got - sent[k]) * 1000)
            sizes.append(len(raw))
    sizes.sort()
    return values, len(values), sizes[len(sizes) // 2] if sizes else 0


async def measure(name: str, pids: list[int], clients_for: Callable[[], Awaitable[list[Client]]],
                  make_event: Callable[[int], Awaitable[None]], events: int,
                  rate: float | None = None) -> Outcome:
    before = sum(rss_kb(p) for p in pids)
    clients = await clients_for()
    # A first event that everyone must receive: every subscription is in place after it.
    tally = clients[0].tally
    await make_event(-1)
    if not await tally.wait_for(len(clients), within=120):
        raise RuntimeError(f"{name}: only {tally.count} of {len(clients)} subscribers got the "
                           "first event")
    await asyncio.sleep(2)  # let the servers settle before reading memory
    after = sum(rss_kb(p) for p in pids)
    for client in clients:
        client.frames.clear()
    tally.count = 0
    cpu = sum(cpu_seconds(p) for p in pids)
    with steady_clock_hand():
        sent: list[float] = []
        start = time.monotonic()
        made: list[asyncio.Future[None]] = []
        for i in range(events):
            if rate is not None:
                await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent.append(time.time())  # the clock the client stamps arrivals with
            if rate is None:
                await make_event(i)
                await tally.wait_for(len(clients) * (i + 1), within=60)
            else:  # on the clock, whether or not the previous one was answered
                made.append(asyncio.ensure_future(make_event(i)))
        if rate is not None:
            await asyncio.gather(*made)
            await tally.wait_for(len(clients) * events, within=120)
    spent = sum(cpu_seconds(p) for p in pids) - cpu
    values, delivered, size = latencies(clients, sent)
    await asyncio.gather(*(c.close() for c in clients))
    n = len(clients)
    return Outcome(name, n, events, spent / (n * events) * 1e6, (after - before) / n,
                   percentile(values, 50), percentile(values, 99), delivered, size)


def ceiling_server(log: Path) -> Uvicorn:
    """bench/ws_ceiling.py with the same WebSocket options as our server."""
    return Uvicorn("bench.ws_ceiling:app", log, "/count", "--ws-per-message-deflate", "false",
                   "--ws-ping-interval", "20")


def commenting(http: httpx.AsyncClient, citizen_token: str, report_id: str
               ) -> Callable[[int], Awaitable[None]]:
    """Events for the wall: comment number i on a public report (COMMENT_INTERVAL_SECONDS=0)."""

    async def make_event(i: int) -> None:
        response = await http.post("/graphql", headers={
            "Authorization": f"Bearer {citizen_token}"}, json={
            "query": COMMENT, "variables": {"id": report_id, "b": f"Ý kiến số {i}"}})
        body = response.json()
        if body.get("errors") or body["data"]["addComment"]["errors"]:
            raise RuntimeError(f"could not comment: {body}")

    return make_event


async def ours(name: str, servers: list[Process], subscribers: int, events: int,
               citizen_token: str, report_id: str) -> Outcome:
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": WALL_FEED}}
    async with httpx.AsyncClient(base_url=servers[0].http, timeout=60) as http:
        make_event = commenting(http, citizen_token, report_id)

        async def clients() -> list[Client]:
            return await open_all([s.ws for s in servers], subscribers, subscribe)

        return await measure(name, [s.proc.pid for s in servers], clients, make_event, events)


async def ceiling(ceilings: list[Uvicorn], subscribers: int, events: int, frame_bytes: int,
                  rate: float | None = None) -> Outcome:
    async with httpx.AsyncClient(timeout=60) as http:

        async def make_event(i: int) -> None:
            at = datetime.now(UTC).isoformat()
            head = ('{"id":"1","type":"next","payload":{"data":{"publicFeed":'
                    f'{{"seq":{i},"at":"{at}","pad":"')
            frame = head + "x" * max(0, frame_bytes - len(head) - 6) + '"}}}}'
            await asyncio.gather(*(http.post(f"{c.http}/publish", content=frame)
                                   for c in ceilings))

        async def clients() -> list[Client]:
            urls = [c.http.replace("http", "ws", 1) + "/ws" for c in ceilings]
            return await open_all(urls, subscribers, None)

        return await measure("bare Starlette WebSocket ceiling", [c.proc.pid for c in ceilings],
                             clients, make_event, events, rate)

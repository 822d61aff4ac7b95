"""Bounded load test: reads, submissions, comments and hundreds of live subscribers for a fixed
time against real server processes on PostgreSQL and Redis, on loopback. It stops by itself.

    python -m bench.load [--duration 60] [--subscribers 500] [--processes 2]

starts its own throwaway PostgreSQL and Redis (Debian packages), prints the figures and writes
them to bench/results/load.json. `tests/load/test_load.py` runs the same thing in CI and fails
on any 5xx or on any committed event that did not reach every subscriber entitled to it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.process import SECRET, Process
from bench.servers import start_postgres, start_redis
from bench.world import World, gid, make_person, make_world
from models.db import database, migrate
from models.deps import Deps
from models.enums import Role
from models.rules.calendar import vietnam
from models.rules.lifecycle import PUBLIC_STATUSES
from realtime.channels import IOC_KINDS

RESULTS = Path(__file__).resolve().parent / "results"
PUBLIC_FEED = "subscription($after: String) { publicFeed(after: $after) { seq at kind } }"
IOC_FEED = "subscription($after: String) { iocFeed(after: $after) { seq at kind } }"
METRICS_TOKEN = "load-test-metrics"
READS = [
    """{ reports(first: 20) { totalCount nodes { id title status dueAt category { name }
        agency { name } commentCount supportCount } } }""",
    "{ stats { received processed processedRate onTimeRate satisfiedRate } }",
    "{ agencyRankings { rank score agency { name } received onTimeRate } }",
    """query($q: String) { reports(first: 10, filter: {text: $q}) { nodes { id title } } }""",
]
LIFECYCLE = [
    ("citizen", """mutation($d: String!) { submitReport(input: {description: $d}) {
       report { id } errors { code } } }"""),
    ("ioc", """mutation($id: ID!, $a: ID!) { assignReport(input: {id: $id, agencyId: $a}) {
       errors { code } } }"""),
    ("staff", """mutation($id: ID!) { acceptReport(input: {id: $id}) { errors { code } } }"""),
    ("commenter", """mutation($id: ID!) { addComment(input: {reportId: $id,
       body: "Khu vực này vẫn còn rác"}) { errors { code } } }"""),
    ("other", """mutation($id: ID!) { supportReport(input: {id: $id}) { errors { code } } }"""),
    ("staff", """mutation($id: ID!) { submitResult(input: {id: $id,
       text: "Đã thu gom và vệ sinh"}) { errors { code } } }"""),
    ("ioc", """mutation($id: ID!) { publishResult(input: {id: $id}) { errors { code } } }"""),
]
SERVER_ENV = {
    "RATE_LIMITS": "requests_ip=0, submitReport=0, supportReport=0, addComment=0",
    "COMMENT_INTERVAL_SECONDS": "0",
    "WS_MAX_CONNECTIONS_PER_IP": "100000",
    "EVENT_POLL_SECONDS": "5",
    "LOG_LEVEL": "WARNING",
    "METRICS_TOKEN": METRICS_TOKEN,
    "SHUTDOWN_DELAY_SECONDS": "0.5",
}


@dataclass
class Config:
    duration: float = 60.0
    subscribers: int = 500  # publicFeed, anonymous
    ioc_subscribers: int = 10  # iocFeed, signed in as the IOC
    readers: int = 8
    writers: int = 2
    lifecycle_seconds: float = 3.0  # each writer walks one report through its life this often
    processes: int = 2
    drain_seconds: float = 30.0  # how long delivery may lag behind the last commit
    # The soak: at these fractions of the run, server 0 is killed (SIGKILL, for good) and
    # server 1 restarted (SIGTERM, then a new process); None: nothing happens to them.
    kill_at: float | None = None
    restart_at: float | None = None


@dataclass
class Sub:
    feed: str
    received: list[tuple[int, float, float]] = field(default_factory=list)  # seq, at, got
    close_code: int | None = None  # of a connection that ended and was not resumed
    resumed: int = 0  # reconnections to another process, with `after`


@dataclass
class Result:
    duration: float
    processes: int
    subscribers: int
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    mutation_errors: list[str] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)
    lifecycles: int = 0
    read_p50_ms: float = 0.0
    read_p99_ms: float = 0.0
    write_p50_ms: float = 0.0
    write_p99_ms: float = 0.0
    events_committed: int = 0
    deliveries_expected: int = 0
    deliveries_received: int = 0
    missing: int = 0
    duplicates: int = 0
    unexpected: int = 0
    dropped_connections: int = 0
    delivery_p50_ms: float = 0.0
    delivery_p99_ms: float = 0.0
    delivery_max_ms: float = 0.0
    server_cpu_seconds: float = 0.0
    killed_in_flight: int = 0  # requests cut by the killed or restarted process
    lifecycles_interrupted: int = 0
    resumed_subscriptions: int = 0
    metrics_requests_before: float = 0.0  # summed over the processes scraped
    metrics_requests_after: float = 0.0
    metrics_hub_lag_after: float = 0.0

    def table(self) -> str:
        rows = [
            ("duration (s)", f"{self.duration:.0f}"),
            ("server processes", self.processes),
            ("live subscribers", self.subscribers),
            ("HTTP requests", self.requests),
            ("HTTP statuses", self.statuses),
            ("HTTP 5xx", self.server_errors),
            ("unexpected mutation / read errors",
             f"{len(self.mutation_errors)} / {len(self.read_errors)}"),
            ("report lifecycles completed", self.lifecycles),
            ("read latency p50 / p99 (ms)", f"{self.read_p50_ms:.1f} / {self.read_p99_ms:.1f}"),
            ("write latency p50 / p99 (ms)",
             f"{self.write_p50_ms:.1f} / {self.write_p99_ms:.1f}"),
            ("events committed", self.events_committed),
            ("deliveries expected / received",
             f"{self.deliveries_expected} / {self.deliveries_received}"),
            ("missing / duplicate / not entitled",
             f"{self.missing} / {self.duplicates} / {self.unexpected}"),
            ("connections dropped", self.dropped_connections),
            ("commit-to-delivery p50 / p99 / max (ms)",
             f"{self.delivery_p50_ms:.0f} / {self.delivery_p99_ms:.0f} / "
             f"{self.delivery_max_ms:.0f}"),
            ("server CPU (s, all processes)", f"{self.server_cpu_seconds:.1f}"),
            ("requests cut by a killed/restarted process", self.killed_in_flight),
            ("lifecycles interrupted by it", self.lifecycles_interrupted),
            ("subscriptions resumed elsewhere with `after`", self.resumed_subscriptions),
            ("/metrics: HTTP requests before / after; hub lag after",
             f"{self.metrics_requests_before:.0f} / {self.metrics_requests_after:.0f}; "
             f"{self.metrics_hub_lag_after:.0f}"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


@contextlib.contextmanager
def steady_clock_hand() -> Iterator[None]:
    """While a benchmark client stamps arrivals, its own garbage collector must not: with
    millions of recorded frames, one full collection in the client took 1.9 s (measured with a
    gc callback during the distinct-subscription benchmark) and every frame read after it was
    stamped that much late. What exists is frozen out of collection and the collector is off
    until the measurement ends; the servers measured keep theirs."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@contextlib.contextmanager
def stepping_aside(nice: int) -> Iterator[None]:
    """The measuring clients at a lower CPU priority while they measure (off by default). The
    idea: their reading costs most of a core on the two the servers run on, and with arrivals
    stamped by the kernel (bench/wsclient.py) reading late would change no figure. Measured
    (README, distinct subscriptions at nice 10): the servers' own latencies fell, but the
    clients got half the CPU they need (0.31 of 0.6 cores), fell behind, and the p99 rose to
    3.6 s, presumably as 16,000 sockets' receive buffers filled and the servers' writes waited
    (their CPU per delivery rose from 11.7 to 14.3 µs, as when writes queue). On one machine
    the clients must keep up. Child processes started meanwhile inherit it; back to normal
    afterwards where the system allows (root)."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > 0:
        os.setpriority(os.PRIO_PROCESS, 0, before + nice)
    try:
        yield
    finally:
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, 0, before)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def subscribe(urls: Callable[[int], str], first: int, query: str, token: str | None,
                    sub: Sub, ready: asyncio.Queue[bool]) -> None:
    """One subscriber for the whole run. When its process goes away (killed: the connection
    drops; restarted: close 1012), it does what graphql-ws clients do: connect to another
    process and resume after the last event it has."""
    payload = {"authorization": f"Bearer {token}"} if token else {}
    attempt = first
    while True:
        after = str(sub.received[-1][0]) if sub.received else None
        try:
            async with connect(urls(attempt), subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                               max_size=None, open_timeout=60, ping_interval=None) as ws:
                await ws.send(orjson.dumps({"type": "connection_init",
                                            "payload": payload}).decode())
                ack = orjson.loads(await ws.recv())
                assert ack["type"] == "connection_ack", ack
                variables = {"after": after} if after is not None else {}
                await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": query, "variables": variables}}).decode())
                if attempt == first:
                    ready.put_nowait(True)
                try:
                    async for raw in ws:
                        got = time.time()
                        message = orjson.loads(raw)
                        if message["type"] != "next":
                            continue
                        event = next(iter(message["payload"]["data"].values()))
                        at = datetime.fromisoformat(event["at"]).timestamp()
                        sub.received.append((event["seq"], at, got))
                finally:
                    sub.close_code = ws.close_code
        except (OSError, ConnectionClosed, TimeoutError):
            pass  # refused or cut: the process is away
        if sub.close_code not in (None, 1006, 1011, 1012):
            return  # closed by the server for a reason of its own: a failure to report
        attempt += 1
        sub.resumed += 1
        sub.close_code = None
        await asyncio.sleep(0.2)


# uvicorn closes a keep-alive connection idle for 5 s; httpx keeps one for 5 s too, so a request
# sent on it at that moment is cut (ReadError) by a healthy server. Clients let go first.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)


class Workload:
    def __init__(self, servers: list[Process], world: World, config: Config,
                 commenters: list[str]) -> None:
        self.servers = servers
        self.world = world
        self.config = config
        self.statuses: Counter[int] = Counter()
        self.read_ms: list[float] = []
        self.write_ms: list[float] = []
        self.mutation_errors: list[str] = []
        self.read_errors: list[str] = []
        self.lifecycles = 0
        self.tokens = {"citizen": world.citizen.token, "ioc": world.ioc.token,
                       "staff": world.staff_a.token, "other": world.other_citizen.token}
        self.commenters = commenters  # one per writer: the one-comment-per-interval rule
        self.down: set[str] = set()  # URLs of processes killed or stopping (the soak)
        self.cut = 0
        self.interrupted = 0

    async def _post(self, client: httpx.AsyncClient, url: str, query: str,
                    variables: dict[str, Any], token: str | None, timings: list[float]
                    ) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = await client.post(f"{url}/graphql", headers=headers,
                                         json={"query": query, "variables": variables})
        except httpx.TransportError as error:
            if url not in self.down:
                raise RuntimeError(f"{url} (a live process) cut {query.split('(')[0]!r}: "
                                   f"{error!r}") from error
            self.cut += 1  # in flight on the process that was killed: what a kill costs
            return None
        timings.append((time.perf_counter() - started) * 1000)
        self.statuses[response.status_code] += 1
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body

    async def reader(self, n: int, until: float) -> None:
        async with httpx.AsyncClient(timeout=30, limits=CLIENT_LIMITS) as client:
            i = n
            while time.monotonic() < until:
                i += 1
                url = self.servers[i % len(self.servers)].http
                query = READS[i % len(READS)]
                variables = {"q": "duong"} if "$q" in query else {}
                body = await self._post(client, url, query, variables, None, self.read_ms)
                if body is not None and body.get("errors"):
                    self.read_errors.append(str(body["errors"])[:500])

    async def writer(self, n: int, until: float) -> None:
        async with httpx.AsyncClient(timeout=30, limits=CLIENT_LIMITS) as client:
            i = 0
            while time.monotonic() < until:
                started = time.monotonic()
                i += 1
                report_id = ""
                for step, (who, query) in enumerate(LIFECYCLE):
                    url = self.servers[(i + step + n) % len(self.servers)].http
                    variables: dict[str, Any] = {"d": f"Phản ánh tải {n}-{i}: rác ở đường"}
                    if report_id:
                        variables = {"id": report_id}
                        if "$a" in query:
                            variables["a"] = gid("Agency", self.world.agency_a.id)
                    token = self.commenters[n] if who == "commenter" else self.tokens[who]
                    cut_before = self.cut
                    body = await self._post(client, url, query, variables, token,
                                            self.write_ms)
                    if body is None:
                        self.interrupted += self.cut > cut_before
                        break
                    name, payload = next(iter((body.get("data") or {"?": None}).items()))
                    if payload is None or payload["errors"]:
                        self.mutation_errors.append(f"{name}: {body}")
                        break
                    report_id = report_id or payload["report"]["id"]
                else:
                    self.lifecycles += 1
                pause = self.config.lifecycle_seconds - (time.monotonic() - started)
                if pause > 0:
                    await asyncio.sleep(min(pause, max(0.0, until - time.monotonic())))


async def expected_deliveries(database_url: str, after: int
                              ) -> tuple[set[int], set[int], int, dict[int, float]]:
    """What each kind of subscriber is entitled to, decided from the database after the run:
    public steps of reports that are public, and the IOC's kinds of every report; and when
    each event happened, to the microsecond (the API gives `at` to the second)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT e.id, e.kind, e.to_status, e.at, r.status FROM report_event e
               JOIN report r ON r.id = e.report_id WHERE e.id > $1""", after)
    finally:
        await conn.close()
    public_statuses = {s.value for s in PUBLIC_STATUSES}
    public = {r["id"] for r in rows if r["status"] in public_statuses
              and (r["to_status"] is None or r["to_status"] in public_statuses)}
    ioc = {r["id"] for r in rows if r["kind"] in {k.value for k in IOC_KINDS}}
    return public, ioc, len(rows), {r["id"]: r["at"].timestamp() for r in rows}


async def max_event_id(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        value = await conn.fetchval("SELECT coalesce(max(id), 0) FROM report_event")
    finally:
        await conn.close()
    return int(value)


async def run(database_url: str, broadcast_url: str, workdir: Path, config: Config) -> Result:
    """Migrate, create the accounts, start the servers, run the load, check every delivery."""
    await migrate(database_url)
    async with database(database_url, global_fallback=False):
        deps = Deps(calendar=vietnam(), secret_key=SECRET)
        world = await make_world(deps)
        commenters = [(await make_person(deps, Role.CITIZEN)).token
                      for _ in range(config.writers)]
    servers = [Process(database_url, broadcast_url, workdir / f"server-{i}.log", **SERVER_ENV)
               for i in range(config.processes)]
    everyone = list(servers)  # to stop at the end, whatever happened to them
    subs: list[Sub] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        await asyncio.gather(*(server.ready() for server in servers))
        ready: asyncio.Queue[bool] = asyncio.Queue()
        plan = [(PUBLIC_FEED, None)] * config.subscribers + \
            [(IOC_FEED, world.ioc.token)] * config.ioc_subscribers
        for i, (query, token) in enumerate(plan):
            sub = Sub("public" if query == PUBLIC_FEED else "ioc")
            subs.append(sub)
            tasks.append(asyncio.create_task(subscribe(
                lambda n: servers[n % len(servers)].ws, i, query, token, sub, ready)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not flood the accept backlog
        for _ in plan:
            await asyncio.wait_for(ready.get(), 60)
        await asyncio.sleep(1.0)  # the subscribe messages are registered with the hubs
        start_seq = await max_event_id(database_url)
        cpu_before = {s.proc.pid: cpu_seconds(s.proc.pid) for s in servers}
        requests_before, _ = await scrape(servers)

        workload = Workload(servers, world, config, commenters)
        started = time.monotonic()
        until = started + config.duration
        await asyncio.gather(
            *(workload.reader(n, until) for n in range(config.readers)),
            *(workload.writer(n, until) for n in range(config.writers)),
            chaos(servers, everyone, workload, config, started, database_url, broadcast_url,
                  workdir),
        )
        public, ioc, committed, at_of = await expected_deliveries(database_url, start_seq)
        deadline = time.monotonic() + config.drain_seconds
        while time.monotonic() < deadline:
            if all({seq for seq, _, _ in s.received} >= (public if s.feed == "public" else ioc)
                   for s in subs):
                break
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        cpu = sum(cpu_seconds(s.proc.pid) - cpu_before.get(s.proc.pid, 0.0) for s in servers)

        result = Result(duration=elapsed, processes=config.processes,
                        subscribers=len(subs), events_committed=committed)
        latencies: list[float] = []
        for sub in subs:
            expected = public if sub.feed == "public" else ioc
            seqs = [seq for seq, _, _ in sub.received]
            got = set(seqs)
            result.deliveries_expected += len(expected)
            result.deliveries_received += len(seqs)
            result.missing += len(expected - got)
            result.duplicates += len(seqs) - len(got)
            result.unexpected += len(got - expected)
            result.dropped_connections += sub.close_code is not None
            latencies += [(received - at_of[seq]) * 1000 for seq, _, received in sub.received
                          if seq in at_of]
        result.requests = sum(workload.statuses.values())
        result.statuses = {str(k): v for k, v in sorted(workload.statuses.items())}
        result.server_errors = sum(v for k, v in workload.statuses.items() if k >= 500)
        result.mutation_errors = workload.mutation_errors
        result.read_errors = workload.read_errors
        result.lifecycles = workload.lifecycles
        result.read_p50_ms = percentile(workload.read_ms, 50)
        result.read_p99_ms = percentile(workload.read_ms, 99)
        result.write_p50_ms = percentile(workload.write_ms, 50)
        result.write_p99_ms = percentile(workload.write_ms, 99)
        result.delivery_p50_ms = percentile(latencies, 50)
        result.delivery_p99_ms = percentile(latencies, 99)
        result.delivery_max_ms = max(latencies, default=0.0)
        result.server_cpu_seconds = cpu
        result.killed_in_flight = workload.cut
        result.lifecycles_interrupted = workload.interrupted
        result.resumed_subscriptions = sum(sub.resumed for sub in subs)
        result.metrics_requests_before = requests_before
        await asyncio.sleep(0.5)  # the hubs' lag gauge is sampled at the scrape
        result.metrics_requests_after, result.metrics_hub_lag_after = await scrape(servers)
        return result
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for server in everyone:
            server.stop()


async def metrics_texts(servers: list[Process]) -> list[str]:
    """Each process's /metrics, as text."""
    async with httpx.AsyncClient(timeout=30) as client:
        return [(await client.get(f"{server.http}/metrics", headers={
            "Authorization": f"Bearer {METRICS_TOKEN}"})).text for server in servers]


async def scrape(servers: list[Process]) -> tuple[float, float]:
    """/metrics of each process: HTTP requests answered (summed) and the hub lag (largest)."""
    requests = lag = 0.0
    for text in await metrics_texts(servers):
        for line in text.splitlines():
            if line.startswith("hien_truong_http_requests_total{"):
                requests += float(line.rsplit(" ", 1)[1])
            elif line.startswith("hien_truong_hub_lag_events "):
                lag = max(lag, float(line.rsplit(" ", 1)[1]))
    return requests, lag


async def chaos(servers: list[Process], everyone: list[Process], workload: Workload,
                config: Config, started: float, database_url: str, broadcast_url: str,
                workdir: Path) -> None:
    """The soak's faults: one process killed for good, another restarted, both while the
    load runs. The balancer's part is played here: a process leaves the rotation when it is
    killed (the balancer's next probe would find it dead) and when it is told to stop (its
    /readyz says 503 from then on); the new one joins once ready."""
    if config.kill_at is not None:
        await asyncio.sleep(max(0.0, started + config.duration * config.kill_at
                                - time.monotonic()))
        victim = servers[0]
        workload.down.add(victim.http)
        servers.remove(victim)
        victim.kill()
    if config.restart_at is not None:
        await asyncio.sleep(max(0.0, started + config.duration * config.restart_at
                                - time.monotonic()))
        old = servers[0]
        servers.remove(old)
        workload.down.add(old.http)
        await asyncio.to_thread(old.stop)  # SIGTERM: in flight finishes, sockets close 1012
        new = Process(database_url, broadcast_url, workdir / f"server-{len(everyone)}.log",
                      **SERVER_ENV)
        everyone.append(new)
        await new.ready()
        servers.append(new)


def save(result: Result) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "load.json"
    path.write_text(json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=Config.duration)
    parser.add_argument("--subscribers", type=int, default=Config.subscribers)
    parser.add_argument("--processes", type=int, default=Config.processes)
    parser.add_argument("--lifecycle-seconds", type=float, default=Config.lifecycle_seconds)
    args = parser.parse_args()
    config = Config(duration=args.duration, subscribers=args.subscribers,
                    processes=args.processes, lifecycle_seconds=args.lifecycle_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="hien-truong-load-"))
    postgres = start_postgres()
    redis = start_redis(workdir / "redis")
    try:
        async def go() -> Result:
            admin = await asyncpg.connect(f"{postgres.url}/postgres")
            await admin.execute("CREATE DATABASE load")
            await admin.close()
            return await run(f"{postgres.url}/load", redis.url, workdir, config)

        result = asyncio.run(go())
    finally:
        redis.stop()
        postgres.stop()
    print(result.table())
    print(f"written to {save(result)}")


if __name__ == "__main__":
    main()

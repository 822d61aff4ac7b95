"""Distinct live subscriptions at scale: signed-in citizens each on `reportEvents` of their own
report, agency staff on `agencyFeed` (one account each, so nothing is shared between them),
anonymous `publicFeed` walls, split over two server processes on Redis.

First the subscribers sit idle (how much CPU the servers spend when nothing happens: the cost of
keeping signed-in sessions checked), then comments arrive at a steady rate on the citizens'
reports for a fixed time. Every delivery is checked: each citizen must receive exactly the
events of their report, each staff member those of their agency's reports, each wall all of
them, none twice. CPU per delivered message is set beside the bare broadcast ceiling measured in
the same run (bench/ws_ceiling.py, the same number of connections).
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import secrets
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench import fanout
from bench.city import City
from bench.commenter import BODY
from bench.load import (
    METRICS_TOKEN,
    cpu_seconds,
    metrics_texts,
    percentile,
    steady_clock_hand,
    stepping_aside,
)
from bench.process import ROOT, SECRET, Process
from bench.tools import Figure, Report, login
from bench.world import gid
from bench.wsclient import TEXT, open_connection
from models.actions.sessions import token_hash
from models.rules.lifecycle import PUBLIC_STATUSES

MINE = "subscription($id: ID!) { reportEvents(reportId: $id) { seq at kind } }"
AGENCY = "subscription { agencyFeed { seq at kind } }"
WALL = "subscription { publicFeed { seq at kind } }"
SEQ = re.compile(rb'"seq":(\d+)')
ENV = {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "EVENT_POLL_SECONDS": "5",
       "RATE_LIMITS": "requests_ip=0, addComment=0", "COMMENT_INTERVAL_SECONDS": "0",
       "WS_MAX_CONNECTIONS_PER_IP": "1000000", "WS_MAX_CONNECTIONS_PER_USER": "1000",
       # As a deployment holding thousands of subscribers a process should run (README).
       "GC_FREEZE_SECONDS": "30", "METRICS_TOKEN": METRICS_TOKEN}


@dataclass
class Subscriber:
    kind: str  # citizen, staff, wall
    key: int  # the report (citizen), the agency (staff), 0 (wall)
    client: fanout.Client


async def people(database_url: str, citizens: int, staff: int, agencies: int
                 ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]], dict[int, str]]:
    """(user, report, agency) for citizens with a public report of their own, assigned;
    (user, agency) for staff accounts made here, spread over the busiest agencies; and a
    token for each, written straight into the token table."""
    conn = await asyncpg.connect(database_url)
    try:
        mine = [tuple(r) for r in await conn.fetch(
            "SELECT DISTINCT ON (reporter_id) reporter_id, id, agency_id FROM report "
            "WHERE status = ANY($1::text[]) AND agency_id IS NOT NULL "
            "ORDER BY reporter_id, id DESC LIMIT $2",
            [s.value for s in PUBLIC_STATUSES], citizens)]
        busiest = [r["agency_id"] for r in await conn.fetch(
            "SELECT agency_id FROM report WHERE agency_id IS NOT NULL GROUP BY agency_id "
            "ORDER BY count(*) DESC LIMIT $1", agencies)]
        first = int(await conn.fetchval("SELECT max(id) FROM user_account")) + 1
        now = datetime.now(UTC)
        made = [(first + i, f"+84950{i:06d}", "x", f"Cán bộ thử {i}", "AGENCY_STAFF", True, now,
                 None, busiest[i % len(busiest)]) for i in range(staff)]
        await conn.copy_records_to_table("user_account", records=made, columns=[
            "id", "phone", "password_hash", "display_name", "role", "is_active", "created_at",
            "last_comment_at", "agency_id"])
        workers = [(row[0], row[8]) for row in made]
        tokens = {user: secrets.token_urlsafe(32) for user in
                  [m[0] for m in mine] + [w[0] for w in workers]}
        await conn.copy_records_to_table("auth_token", records=[
            (user, token_hash(token, SECRET), now, now + timedelta(days=30))
            for user, token in tokens.items()],
            columns=["user_id", "token_hash", "created_at", "expires_at"])
        return mine, workers, tokens
    finally:
        await conn.close()


async def open_one(url: str, token: str | None, document: str, variables: dict[str, Any],
                   tally: fanout.Tally) -> fanout.Client:
    client = fanout.Client(tally)
    client.conn = await open_connection(url, client.on_text, "graphql-transport-ws")
    init = {"type": "connection_init",
            "payload": {"authorization": f"Bearer {token}"} if token else {}}
    client.conn.send(TEXT, orjson.dumps(init))
    async with asyncio.timeout(120):
        ack = await client.ack
    if b"connection_ack" not in ack:
        raise RuntimeError(f"not acknowledged: {ack!r}")
    client.conn.send(TEXT, orjson.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": document, "variables": variables}}))
    return client


@dataclass
class Outcome:
    subscribers: int
    events: int
    delivered: int
    expected: int
    missing: int
    duplicated: int
    p99_ms: float
    cpu_us_per_delivery: float
    idle_cores: float
    mutation_p99_ms: float
    client_cores: float
    servers_view: str  # the servers' own latency histograms over the events (tails())
    # One event's deliveries by one process, first to last socket, in ms: median and p90
    # over events. Beyond the CPU they take (at most deliveries × CPU per delivery), the
    # process was waiting for a core.
    spread_ms: tuple[float, float] = (0.0, 0.0)


async def run(database_url: str, servers: list[Process], citizens: list[tuple[int, int, int]],
              staff: list[tuple[int, int]], tokens: dict[int, str], walls: int, rate: float,
              seconds: float, commenter: str, workdir: Path, idle_seconds: float = 20,
              client_nice: int = 0, comments_to: str = "first") -> Outcome:
    tally = fanout.Tally()
    gate = asyncio.Semaphore(100)
    urls = [s.ws for s in servers]
    plan: list[tuple[str, int, str | None, str, dict[str, Any]]] = (
        [("citizen", report, tokens[user], MINE, {"id": gid("Report", report)})
         for user, report, _agency in citizens]
        + [("staff", agency, tokens[user], AGENCY, {}) for user, agency in staff]
        + [("wall", 0, None, WALL, {}) for _ in range(walls)])

    async def one(i: int) -> Subscriber:
        kind, key, token, document, variables = plan[i]
        async with gate:
            return Subscriber(kind, key, await open_one(urls[i % len(urls)], token, document,
                                                        variables, tally))

    subscribers = await asyncio.gather(*(one(i) for i in range(len(plan))))
    await asyncio.sleep(5)  # every subscription registered
    pids = [s.proc.pid for s in servers]
    idle_from, cpu = time.perf_counter(), sum(cpu_seconds(p) for p in pids)
    await asyncio.sleep(idle_seconds)  # nothing happens: what do the servers spend?
    idle_cores = (sum(cpu_seconds(p) for p in pids) - cpu) / (
        time.perf_counter() - idle_from)

    agency_of = {report: agency for _user, report, agency in citizens}
    staff_per_agency = Counter(agency for _user, agency in staff)
    rng = random.Random(11)
    made: Counter[int] = Counter()
    histograms = await latency_buckets(servers)
    cpu = sum(cpu_seconds(p) for p in pids)
    # The measuring client shares the two cores: what it spends is latency it adds.
    client_cpu, client_from = time.process_time(), time.perf_counter()
    total = round(rate * seconds)
    choices = [rng.choice(citizens)[1] for _ in range(total)]
    with steady_clock_hand():
        asks, out = workdir / "comments-plan.json", workdir / "comments-out.json"
        to = servers if comments_to == "all" else servers[:1]
        asks.write_bytes(orjson.dumps({"urls": [s.http for s in to], "token": commenter,
                                       "rate": rate, "reports": choices}))
        maker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.commenter", str(asks), str(out), cwd=ROOT)
        with stepping_aside(client_nice):  # the commenter, started before, keeps its priority
            code = await maker.wait()
            events = len(choices)
            made.update(choices)
            per_agency: Counter[int] = Counter()
            for report, n in made.items():
                per_agency[agency_of[report]] += n
            expected = (sum(made[report] for _u, report, _a in citizens)
                        + sum(per_agency[agency] * n for agency, n in staff_per_agency.items())
                        + walls * events)
            await tally.wait_for(expected, within=60)
        if code != 0:
            raise RuntimeError("the comments could not all be made (bench/commenter.py)")
        answered = orjson.loads(out.read_bytes())
        sent, mutation_ms = answered["sent"], answered["ms"]
    spent = sum(cpu_seconds(p) for p in pids) - cpu
    client_cores = (time.process_time() - client_cpu) / (time.perf_counter() - client_from)
    servers_view = tails(histograms, await latency_buckets(servers))
    missing = duplicated = 0
    for sub in subscribers:
        seqs = [int(m.group(1)) for _got, raw in sub.client.frames
                if (m := SEQ.search(raw)) is not None]
        duplicated += len(seqs) - len(set(seqs))
        want = (made[sub.key] if sub.kind == "citizen" else per_agency[sub.key]
                if sub.kind == "staff" else events)
        missing += max(0, want - len(set(seqs)))
    # Which event is which comment: its body carries the number of the request that made it.
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT e.id, c.body FROM report_event e JOIN comment c ON c.id = e.comment_id "
            "WHERE e.kind = 'COMMENTED' AND c.body LIKE $1", f"{BODY} %")
    finally:
        await conn.close()
    sent_of = {row["id"]: sent[int(row["body"].rsplit(" ", 1)[1])] for row in rows}
    values: list[float] = []
    arrivals: dict[tuple[int, int], list[float]] = defaultdict(lambda: [math.inf, -math.inf])
    for i, sub in enumerate(subscribers):
        for got, raw in sub.client.frames:
            if (m := SEQ.search(raw)) is None or (seq := int(m.group(1))) not in sent_of:
                continue
            values.append((got - sent_of[seq]) * 1000)
            bounds = arrivals[(seq, i % len(urls))]  # the process it subscribed through
            bounds[0], bounds[1] = min(bounds[0], got), max(bounds[1], got)
    spreads = [(last - first) * 1000 for first, last in arrivals.values()]
    delivered = len(values)
    await asyncio.gather(*(s.client.close() for s in subscribers))
    return Outcome(len(subscribers), events, delivered, expected, missing, duplicated,
                   percentile(values, 99), spent / max(1, delivered) * 1e6, idle_cores,
                   percentile(mutation_ms, 99), client_cores, servers_view,
                   (percentile(spreads, 50), percentile(spreads, 90)))


Buckets = dict[str, dict[float, float]]
TAILS = {"addComment": "hien_truong_http_request_seconds_bucket{",
         "hand-off": "hien_truong_event_delivery_seconds_bucket{",
         "full collections": 'hien_truong_gc_pause_seconds_bucket{generation="2"'}


async def latency_buckets(servers: list[Process]) -> Buckets:
    """The servers' own latency histograms (/metrics of both processes, summed): addComment
    from arrival to last byte, an event's hand-off from its commit to this process's
    subscribers, and full garbage collections."""
    buckets: Buckets = {k: defaultdict(float) for k in TAILS}
    for text in await metrics_texts(servers):
        for line in text.splitlines():
            for key, prefix in TAILS.items():
                # The comments are the only mutations once the subscribers are in.
                if line.startswith(prefix) and (
                        key != "addComment" or 'operation_type="mutation"' in line):
                    le = line.split('le="', 1)[1].split('"', 1)[0]
                    buckets[key][float(le)] += float(line.rsplit(" ", 1)[1])
    return buckets


def tails(before: Buckets, after: Buckets, bounds: tuple[float, ...] = (0.1, 0.25, 0.5)
          ) -> str:
    """What happened between two scrapes: how many, and the share slower than each bound."""
    parts = []
    for key in TAILS:
        def count(le: float, key: str = key) -> float:
            return after[key].get(le, 0.0) - before[key].get(le, 0.0)
        total = count(float("inf"))
        over = ", ".join(f"> {b:g} s: {(total - count(b)) / total:.1%}" for b in bounds
                         ) if total else "none"
        parts.append(f"{key} {total:.0f} ({over})")
    return "; ".join(parts)


async def bench_distinct(report: Report, database_url: str, redis_url: str, workdir: Path,
                         city: City, citizens: int, staff: int, walls: int, rate: float,
                         seconds: float, idle_seconds: float = 20, client_nice: int = 0,
                         comments_to: str = "first") -> None:
    fanout.raise_file_limit()
    mine, workers, tokens = await people(database_url, citizens, staff, 23)
    servers = [Process(database_url, redis_url, workdir / f"distinct-{i}.log", **ENV)
               for i in range(2)]
    try:
        await asyncio.gather(*(s.ready() for s in servers))
        commenter = await login(servers[0].http, city.citizen_phone)
        ours = await run(database_url, servers, mine, workers, tokens, walls, rate, seconds,
                         commenter, workdir, idle_seconds, client_nice, comments_to)
    finally:
        for server in servers:
            server.stop()
    print(f"  ({ours})", flush=True)
    total = len(mine) + len(workers) + walls
    ceilings = [fanout.ceiling_server(workdir / f"distinct-ceiling-{i}.log") for i in range(2)]
    try:
        await asyncio.gather(*(c.ready() for c in ceilings))
        base = await fanout.ceiling(ceilings, total, 10, 200)
        # The latency baseline: the bare broadcast at the rate of deliveries our servers had
        # to make (each event reaches the walls, its agency's staff and its reporter), for
        # as long, on the same machine.
        reached = walls + round(len(workers) / 23) + 1
        paced = await fanout.ceiling(ceilings, reached, round(rate * seconds), 200, rate)
    finally:
        for c in ceilings:
            c.stop()
    what = (f"{len(mine):,} citizens on their own reports, {len(workers):,} staff, "
            f"{walls:,} walls, 2 processes, {rate:g} events/s for {seconds:g} s, "
            f"clients at nice {client_nice}, comments to "
            f"{'every process' if comments_to == 'all' else 'the first process'}")
    report.add(Figure(f"distinct subscriptions: p99 publish-to-delivery ({what})", ours.p99_ms,
                      "ms", f"bare broadcast to {reached:,} at {rate:g}/s", paced.p99_ms,
                      "< 500 ms", ours.p99_ms < 500))
    report.add(Figure("distinct subscriptions: deliveries missing / duplicated",
                      ours.missing + ours.duplicated, "", target="0",
                      met=ours.missing == ours.duplicated == 0))
    report.add(Figure("distinct subscriptions: CPU per delivered message",
                      ours.cpu_us_per_delivery, "µs", "bare WebSocket broadcast ceiling",
                      base.cpu_us_per_delivery, "≤ 2 × ceiling",
                      ours.cpu_us_per_delivery <= 2 * base.cpu_us_per_delivery))
    report.add(Figure("distinct subscriptions: server CPU while idle (no events)",
                      ours.idle_cores, "cores"))
    report.add(Figure("distinct subscriptions: addComment p99 meanwhile", ours.mutation_p99_ms,
                      "ms"))
    report.add(Figure("distinct subscriptions: the measuring client's own CPU meanwhile",
                      ours.client_cores, "cores"))
    report.add(Figure("distinct subscriptions: one event's deliveries by one process, first "
                      "to last socket (median over events; p90 "
                      f"{ours.spread_ms[1]:,.0f} ms)", ours.spread_ms[0], "ms"))

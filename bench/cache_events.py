"""The response cache under a stream of events: how many public reads it still answers.

One server (production settings, Redis) is read by 8 concurrent anonymous clients cycling over
20 distinct public queries (wall pages, category and status filters, the support order, six
popular reports, statistics, rankings, the directory), while a second server process makes
events at a steady rate: comments (40%), "me too" support (30%), new reports (15%) and the IOC
assigning them (15%), on reports spread over the whole city. Their events reach the read
server only through Redis and its hub, as in a deployment with several processes.

The hit ratio is the share of reads answered without executing GraphQL for that read (`X-Cache:
HIT`, which includes waiting for a computation already running). Baseline, measured in the same
run: RESPONSE_CACHE_TAGS=false, where every event empties the whole cache (the old behaviour).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.city import City
from bench.process import Process
from bench.tools import Figure, Report, gql, login
from bench.world import gid

WALL = """query Wall($first: Int!, $filter: ReportFilter, $order: ReportOrder) {
  reports(first: $first, filter: $filter, orderBy: $order) { totalCount nodes {
  id title status submittedAt dueAt category { name } agency { name }
  location { latitude longitude address } commentCount supportCount
  rating { satisfaction } lastEvent { seq kind at toStatus } } } }"""
ONE = """query One($id: ID!) { report(id: $id) { id code title status description
  commentCount supportCount lastEvent { seq kind at } timeline { seq kind at note }
  comments(first: 10) { totalCount nodes { body createdAt } } } }"""
STATS = "query S($q: String) { stats(quarter: $q) { received processed onTimeRate satisfiedRate }}"
RANKINGS = "query R($q: String) { agencyRankings(quarter: $q) { rank score agency { name } } }"
DIRECTORY = "{ categories { name } agencies { name } }"
SECONDS = 20.0
READERS = 8
ENV = {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "EVENT_POLL_SECONDS": "5",
       "RATE_LIMITS": "requests_ip=0, addComment=0, supportReport=0, submitReport=0",
       "COMMENT_INTERVAL_SECONDS": "0"}


@dataclass
class Outcome:
    reads: int
    hits: int
    events: int
    seconds: float

    @property
    def ratio(self) -> float:
        return self.hits / self.reads if self.reads else 0.0


async def public_queries(url: str) -> list[dict[str, Any]]:
    categories = [c["id"] for c in (await gql(url, "{ categories { id } }"))["categories"]][:5]
    newest = await gql(url, WALL, {"first": 6})
    bodies: list[dict[str, Any]] = [{"query": WALL, "variables": {"first": n}}
                                    for n in (10, 20, 30, 50)]
    bodies += [{"query": WALL, "variables": {"first": 20, "filter": {"categoryIds": [c]}}}
               for c in categories]
    bodies += [{"query": WALL, "variables": {"first": 20, "filter": {"statuses": ["RESOLVED"]}}},
               {"query": WALL, "variables": {"first": 20, "order": "SUPPORT"}}]
    bodies += [{"query": ONE, "variables": {"id": node["id"]}}
               for node in newest["reports"]["nodes"]]
    bodies += [{"query": STATS, "variables": {"q": "2026-Q4"}},
               {"query": RANKINGS, "variables": {"q": "2026-Q3"}},
               {"query": DIRECTORY}]
    return bodies


async def read(url: str, bodies: list[dict[str, Any]], until: float, seen: Counter[str],
               seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while time.perf_counter() < until:
            response = await client.post("/graphql", json=rng.choice(bodies))
            assert response.status_code == 200, response.text
            seen[response.headers.get("x-cache") or "NONE"] += 1


async def write(url: str, rate: float, until: float, citizen: str, ioc: str, agency: str,
                report_ids: list[str]) -> int:
    rng = random.Random(7)
    made, pending = 0, list[str]()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def mutate(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query,
                                                           "variables": variables},
                                         headers={"Authorization": f"Bearer {token}"})
            body: dict[str, Any] = response.json()
            assert not body.get("errors"), body
            data: dict[str, Any] = body["data"]
            return data

        next_at = time.perf_counter()
        while next_at < until:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += 1 / rate
            roll = rng.random()
            if roll < 0.4:
                await mutate("mutation($r: ID!, $b: String!) { addComment(input: {reportId: $r, "
                             "body: $b}) { errors { code } } }",
                             {"r": rng.choice(report_ids), "b": "Đồng ý, cần xử lý sớm."},
                             citizen)
            elif roll < 0.7:
                await mutate("mutation($r: ID!) { supportReport(input: {id: $r}) "
                             "{ errors { code } } }", {"r": rng.choice(report_ids)}, citizen)
            elif roll < 0.85 or not pending:
                data = await mutate("mutation { submitReport(input: {description: "
                                    '"Rác thải ven đường cần thu gom"}) { report { id } } }',
                                    {}, citizen)
                pending.append(data["submitReport"]["report"]["id"])
            else:
                await mutate("mutation($r: ID!, $a: ID!) { assignReport(input: {id: $r, "
                             "agencyId: $a}) { errors { code } } }",
                             {"r": pending.pop(), "a": agency}, ioc)
            made += 1
    return made


async def once(database_url: str, redis_url: str, workdir: Path, city: City, rate: float,
               tags: bool, report_ids: list[str]) -> Outcome:
    flag = "true" if tags else "false"
    reader = Process(database_url, redis_url, workdir / f"cache-read-{rate}-{flag}.log",
                     RESPONSE_CACHE_TAGS=flag, **ENV)
    writer = Process(database_url, redis_url, workdir / f"cache-write-{rate}-{flag}.log",
                     **ENV)
    try:
        await asyncio.gather(reader.ready(), writer.ready())
        citizen = await login(writer.http, city.citizen_phone)
        ioc = await login(writer.http, city.ioc_phone)
        bodies = await public_queries(reader.http)
        assert len(bodies) == 20, len(bodies)
        for body in bodies:  # every answer computed once before the clock starts
            await gql(reader.http, body["query"], body.get("variables"))
        seen: Counter[str] = Counter()
        started = time.perf_counter()
        until = started + SECONDS
        readers = [read(reader.http, bodies, until, seen, i) for i in range(READERS)]
        writing = write(writer.http, rate, until, citizen, ioc,
                        gid("Agency", city.busiest_agency_id), report_ids)
        events, *_ = await asyncio.gather(writing, *readers)
        return Outcome(sum(seen.values()), seen["HIT"], int(events or 0),
                       time.perf_counter() - started)
    finally:
        reader.stop()
        writer.stop()


async def bench_cache_events(report: Report, database_url: str, redis_url: str, workdir: Path,
                             city: City) -> None:
    report_ids = [gid("Report", i) for i in random.Random(3).sample(
        range(1, city.reports + 1), 2000)]
    for rate in (1.0, 10.0):
        tagged = await once(database_url, redis_url, workdir, city, rate, True, report_ids)
        flat = await once(database_url, redis_url, workdir, city, rate, False, report_ids)
        print(f"  ({rate:g} events/s: tags {tagged}, everything {flat})", flush=True)
        target = "≥ 95 %" if rate == 1 else ""
        report.add(Figure(
            f"cache: hit ratio, {rate:g} event/s, 20 public queries, {READERS} readers",
            100 * tagged.ratio, "%", "every event empties the cache", 100 * flat.ratio,
            target, tagged.ratio >= 0.95 if rate == 1 else None))
        report.add(Figure(f"cache: reads per second at {rate:g} event/s",
                          tagged.reads / tagged.seconds, "req/s",
                          "every event empties the cache", flat.reads / flat.seconds))

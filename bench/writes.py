"""Writes on PostgreSQL with two server processes sharing Redis.

- submitReport: wrk against both processes at once, every request a new report; the same with
  `memory://` as the bus (each process only wakes itself) for comparison, though the difference
  is within run-to-run noise;
- what publishing adds to a mutation after commit: the server's EventBus.publish to Redis, timed
  call by call;
- the full lifecycle (submit, assign, accept, comment, support, result, publish) walked by
  concurrent Python clients, alternating the two processes: mutations and lifecycles per second.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx

from bench.city import City, phone
from bench.load import LIFECYCLE, percentile
from bench.process import Process
from bench.tools import Wrk, gql, login, wrk
from models.enums import EventKind
from models.orm.reports import ReportEvent
from realtime.bus import EventBus

SUBMIT = """mutation { submitReport(input: {description: "Đèn đường hỏng trước nhà số 5",
  location: {latitude: 16.4637, longitude: 107.5909}}) { report { id } errors { code } } }"""
ENV = {"RATE_LIMITS": "requests_ip=0, submitReport=0, supportReport=0, addComment=0",
       "COMMENT_INTERVAL_SECONDS": "0", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}


@dataclass
class Walk:
    mutations: int = 0
    lifecycles: int = 0
    errors: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.mutations / self.seconds

    @property
    def p99_ms(self) -> float:
        return percentile(self.ms, 99)


def servers(database_url: str, broadcast_url: str, workdir: Path, tag: str) -> list[Process]:
    return [Process(database_url, broadcast_url, workdir / f"writes-{tag}-{i}.log", **ENV)
            for i in range(2)]


async def submit_rate(procs: list[Process], token: str, seconds: float) -> tuple[float, Wrk]:
    """Both processes at once, 8 connections each; the sum of their rates."""
    body = {"query": SUBMIT}
    runs = await asyncio.gather(*(asyncio.to_thread(
        wrk, f"{p.http}/graphql", body, seconds, 8, token) for p in procs))
    for run in runs:
        if run.non2xx:
            raise RuntimeError(f"submitReport answered non-2xx: {run}")
    data = await gql(procs[0].http, "{ reports(first: 1, filter: {text: \"den duong hong\"}) "
                     "{ totalCount } }")
    if data["reports"]["totalCount"] == 0:
        raise RuntimeError("the submitted reports are not there")
    slowest = max(runs, key=lambda r: r.p50_ms)
    return sum(r.rps for r in runs), slowest


async def walk(procs: list[Process], tokens: dict[str, str], agency_id: str, walkers: int,
               seconds: float) -> Walk:
    result = Walk()
    until = time.monotonic() + seconds

    async def walker(n: int) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            i = 0
            while time.monotonic() < until:
                i += 1
                report_id = ""
                for step, (who, query) in enumerate(LIFECYCLE):
                    url = procs[(i + step + n) % len(procs)].http
                    variables: dict[str, Any] = {"d": f"Phản ánh {n}-{i}: rác ở đường"}
                    if report_id:
                        variables = {"id": report_id, "a": agency_id} if "$a" in query else {
                            "id": report_id}
                    token = tokens[f"commenter{n}"] if who == "commenter" else tokens[who]
                    started = time.perf_counter()
                    response = await client.post(
                        f"{url}/graphql", headers={"Authorization": f"Bearer {token}"},
                        json={"query": query, "variables": variables})
                    result.ms.append((time.perf_counter() - started) * 1000)
                    body = response.json()
                    name, payload = next(iter((body.get("data") or {"?": None}).items()))
                    if response.status_code != 200 or payload is None or payload["errors"]:
                        result.errors.append(f"{name}: {str(body)[:300]}")
                        break
                    result.mutations += 1
                    report_id = report_id or payload["report"]["id"]
                else:
                    result.lifecycles += 1

    started = time.monotonic()
    await asyncio.gather(*(walker(n) for n in range(walkers)))
    result.seconds = time.monotonic() - started
    return result


async def publish_ms(redis_url: str, count: int = 2000) -> tuple[float, float]:
    """What publishing adds to a mutation after its commit: EventBus.publish (the server's own
    code path) to a real Redis, timed one call at a time; p50 and p99 in ms."""
    bus = EventBus(redis_url)
    await bus.connect()
    try:
        for _ in range(100):
            if bus.connected:
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("the bus did not connect to Redis")
        times = []
        for i in range(count):
            # Only the fields a bus message carries (realtime/events.py); no database here.
            event = SimpleNamespace(id=i + 1, report_id=1, kind=EventKind.COMMENTED,
                                    agency_id=None, to_status=None)
            started = time.perf_counter()
            await bus.publish([cast(ReportEvent, event)])
            times.append((time.perf_counter() - started) * 1000)
        if bus.failed:
            raise RuntimeError(f"{bus.failed} publishes failed")
        return percentile(times, 50), percentile(times, 99)
    finally:
        await bus.disconnect()


async def tokens_for(url: str, city: City, walkers: int) -> dict[str, str]:
    """The reporter, the IOC, staff of the agency that gets the reports, someone else who
    supports them, and one commenter per walker."""
    tokens = {"citizen": await login(url, city.citizen_phone),
              "ioc": await login(url, city.ioc_phone),
              "staff": await login(url, city.staff_phone),
              "other": await login(url, phone(2))}
    for n in range(walkers):
        tokens[f"commenter{n}"] = await login(url, phone(10 + n))
    return tokens

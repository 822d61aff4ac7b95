"""What one heavy anonymous query does to everyone else: /healthz latency on a server process
while clients fire the worst question shapes at a report with hundreds of events, beside the
same latency with no load, measured in the same run.

    python -m bench.guard [--events 300] [--seconds 10] [--clients 4]

Starts its own PostgreSQL; prints /healthz p50, p99 and max, idle and under load, against the
target (no operation holds the event loop for more than about 100 ms), and how the heavy
queries were answered (answered, refused by the cost estimate, stopped by the budget).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.process import SECRET, Process
from bench.servers import start_postgres
from bench.world import World, gid, make_world
from models.db import database, migrate
from models.deps import Deps
from models.enums import EventKind, Role, Status
from models.orm.reports import Report, ReportEvent
from models.rules.calendar import vietnam

# The worst shapes found so far: cycles through ReportEvent.report, one report asked a hundred
# times, and an honest but big list page. tests/api/test_query_budget.py asks them too.
SHAPES = {
    "cycle, three deep": """query($id: ID!) { report(id: $id) { timeline { report {
      timeline { report { timeline { kind } } } } } } }""",
    "cycle, two deep": """query($id: ID!) { report(id: $id) { timeline { report {
      timeline { kind note at } } } } }""",
    "cycle, two deep and wide": """query($id: ID!) { report(id: $id) { timeline { seq cursor at
      kind fromStatus toStatus note actorRole agency { name } report { title status
      timeline { seq cursor at kind note agency { name } } } } } }""",
    "the same report a hundred times": """query($ids: [ID!]!) { nodes(ids: $ids) {
      ... on Report { timeline { kind note at seq } } } }""",
    "a timeline page": """query($id: ID!) { report(id: $id) { timeline(last: 50) {
      kind at note agency { name } } } }""",
    "a big list page": """{ reports(first: 100) { nodes { id code title description status
      dueAt overdue category { name } agency { name } media { url } lastEvent { kind at }
      timeline(last: 20) { kind at } comments(first: 20) { totalCount nodes { body } } } } }""",
}


async def worst_report(world: World, events: int) -> Report:
    """A public report with `events` events, as a flood of ratings would leave it."""
    report = await world.report(Status.RESOLVED)
    await ReportEvent.bulk_create([
        ReportEvent(report_id=report.id, at=report.submitted_at + timedelta(seconds=i),
                    kind=EventKind.RATED, note="SATISFIED", actor_id=world.citizen.id,
                    actor_role=Role.CITIZEN) for i in range(events)])
    return report


def health_latencies(url: str, seconds: float) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return latencies


def hammer(url: str, report_id: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    variables = {"id": report_id, "ids": [report_id] * 100}
    with httpx.Client(base_url=url, timeout=60) as client:
        while not stop.is_set():
            for document in SHAPES.values():
                body = client.post("/graphql", json={"query": document,
                                                     "variables": variables}).json()
                codes = {(e.get("extensions") or {}).get("code")
                         for e in body.get("errors") or []}
                outcomes[",".join(sorted(c for c in codes if c)) or "answered"] += 1


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (f"p50 {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms   "
            f"max {ordered[-1]:6.1f} ms   ({len(ordered)} probes)")


async def main_async(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="hien-truong-guard-"))
    postgres = start_postgres()
    server = None
    try:
        admin = await asyncpg.connect(f"{postgres.url}/postgres")
        await admin.execute("CREATE DATABASE guard")
        await admin.close()
        url = f"{postgres.url}/guard"
        await migrate(url)
        async with database(url, global_fallback=False):
            world = await make_world(Deps(calendar=vietnam(), secret_key=SECRET))
            report = await worst_report(world, args.events)
        server = Process(url, "memory://", workdir / "server.log", RATE_LIMITS="requests_ip=0",
                         LOG_LEVEL="WARNING")
        await server.ready()
        idle = await asyncio.to_thread(health_latencies, server.http, 3)
        stop, outcomes = threading.Event(), Counter[str]()
        clients = [threading.Thread(target=hammer, args=(server.http, gid("Report", report.id),
                                                         stop, outcomes))
                   for _ in range(args.clients)]
        for client in clients:
            client.start()
        loaded = await asyncio.to_thread(health_latencies, server.http, args.seconds)
        stop.set()
        for client in clients:
            client.join()
        print(f"report with {args.events} events, {args.clients} clients asking "
              f"{len(SHAPES)} shapes in a loop for {args.seconds:g} s (one server process)")
        print(f"/healthz idle        {summary(idle)}")
        print(f"/healthz under load  {summary(loaded)}   target: max < 100 ms: "
              f"{'met' if max(loaded) < 100 else 'NOT met'}")
        print("heavy queries:", dict(outcomes))
    finally:
        if server is not None:
            server.stop()
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()

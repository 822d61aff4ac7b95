"""Nearby reports at scale, on SQLite and on PostgreSQL, in-process (the query the `near`
filter runs, paginated, no HTTP): the 50 nearest within a radius against the plain first page
of the same table, measured in the same run.

    python -m bench.geo [--scale 1000000] [--backend sqlite,postgres]

Reports are spread uniformly over a 13 × 13 km city (as bench/city.py does): at 1,000,000
reports that is about 6,000 per square kilometre, far denser than a real city's reports.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bench.servers import start_postgres
from models.db import database, migrate
from models.queries.pagination import PageArgs, paginate
from models.queries.reports import Near, ReportFilter, ReportOrder, reports_for
from models.rules import geo
from models.rules.policy import ANONYMOUS

COLUMNS = ("id", "title", "description", "original_description", "search_text", "channel",
           "status", "submitted_at", "due_at", "extended", "contested", "reopen_count",
           "support_count", "comment_count", "version", "updated_at", "reporter_id",
           "latitude", "longitude", "geo_cell", "ux", "uy", "uz")


def rows(n: int) -> list[tuple[object, ...]]:
    rng = random.Random(42)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    out: list[tuple[object, ...]] = []
    for i in range(1, n + 1):
        lat, lon = 16.40 + rng.random() * 0.12, 107.53 + rng.random() * 0.12
        place = geo.located(lat, lon)
        at = start + timedelta(seconds=i * 30)
        out.append((i, f"Phản ánh {i}", "Đèn đường hỏng", "Đèn đường hỏng", "den duong hong",
                    "APP", "ASSIGNED", at, at + timedelta(days=9), False, False, 0, 0, 0, 0, at,
                    1, lat, lon, place["geo_cell"], place["ux"], place["uy"], place["uz"]))
    return out


USER = ("INSERT INTO user_account (id, phone, password_hash, display_name, role, is_active, "
        "created_at) VALUES (1, '+84900000001', 'x', 'Bench', 'CITIZEN', TRUE, "
        "'2025-01-01T00:00:00+00:00')")


async def fill_sqlite(path: Path, n: int) -> str:
    url = f"sqlite://{path}"
    await migrate(url)
    conn = sqlite3.connect(path)
    conn.execute(USER)
    marks = ",".join("?" * len(COLUMNS))
    iso = [tuple(v.isoformat() if isinstance(v, datetime) else v for v in r) for r in rows(n)]
    conn.executemany(f"INSERT INTO report ({','.join(COLUMNS)}) VALUES ({marks})", iso)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return url


async def fill_postgres(url: str, n: int) -> str:
    await migrate(url)
    conn = await asyncpg.connect(url)
    await conn.execute(USER.replace("'2025-01-01T00:00:00+00:00'", "now()"))
    # The id sequence is not moved by explicit ids; nothing here inserts more rows.
    await conn.copy_records_to_table("report", records=rows(n), columns=list(COLUMNS))
    await conn.execute("ANALYZE")
    await conn.close()
    return url


async def p50_ms(run: Callable[[], Awaitable[None]], times: int = 30) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(url: str, backend: str, n: int) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    async with database(url):
        for radius in (150, 500, 2000):
            f = ReportFilter(near=Near(16.46, 107.59, radius))

            async def near(f: ReportFilter = f) -> None:
                qs = reports_for(ANONYMOUS, f, now)
                await paginate(qs, ReportOrder.DISTANCE.value, PageArgs(first=50))

            async def plain() -> None:
                qs = reports_for(ANONYMOUS, ReportFilter(), now)
                await paginate(qs, ReportOrder.NEWEST.value, PageArgs(first=50))

            within = await reports_for(ANONYMOUS, f, now).count()
            a, b = await p50_ms(near), await p50_ms(plain)
            print(f"  {backend:8} {n:>9,} reports: 50 nearest within {radius:>5} m "
                  f"({within:>6,} inside) p50 {a:6.1f} ms | first page {b:5.1f} ms "
                  f"→ ratio {a / b:4.2f}", flush=True)


async def main_async(scale: int, backends: list[str]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="hien-truong-geo-"))
    if "sqlite" in backends:
        started = time.perf_counter()
        url = await fill_sqlite(workdir / "geo.sqlite3", scale)
        print(f"SQLite filled in {time.perf_counter() - started:.0f} s", flush=True)
        await measure(url, "sqlite", scale)
    if "postgres" in backends:
        EXECUTOR_CACHE.clear()  # Tortoise caches INSERTs per connection name, not per dialect
        server = start_postgres()
        try:
            admin = await asyncpg.connect(f"{server.url}/postgres")
            await admin.execute("CREATE DATABASE geo")
            await admin.close()
            started = time.perf_counter()
            url = await fill_postgres(f"{server.url}/geo", scale)
            print(f"PostgreSQL filled in {time.perf_counter() - started:.0f} s", flush=True)
            await measure(url, "postgres", scale)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Nearby reports at scale.")
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--backend", default="sqlite,postgres")
    args = parser.parse_args()
    asyncio.run(main_async(args.scale, args.backend.split(",")))


if __name__ == "__main__":
    main()

"""Building model instances from rows, in this process, on the benchmark's PostgreSQL: the
compiled constructor (models/orm/rows.py) beside Tortoise's own `Model._init_from_db`, both
from the same driver rows (a page of 50 reports, 39 columns each), and Tortoise's own way
counted as it calls it (the row copied into keyword arguments)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tortoise.models import Model

from bench.tools import Figure, Report
from models.db import database
from models.orm.reports import Report as ReportRow
from models.orm.rows import builder

SECONDS = 2.0


def per_row_us(rows: list[Any], build: Callable[[Any], object]) -> float:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        for row in rows:
            build(row)
        count += len(rows)
    return (time.perf_counter() - started) / count * 1e6


async def bench_rows(report: Report, database_url: str) -> None:
    async with database(database_url, global_fallback=False) as ctx:
        _, raw = await ctx.db().execute_query(
            'SELECT * FROM "report" ORDER BY submitted_at DESC, id DESC LIMIT 50')
        rows = list(raw)
        tortoise_own = Model._init_from_db.__func__  # type: ignore[attr-defined]
        theirs = per_row_us(rows, lambda row: tortoise_own(ReportRow, **dict(row)))
        build = builder(ReportRow)
        ours = per_row_us(rows, build)
    report.add(Figure("rows: a report row (39 columns) to its instance, in-process", ours, "µs",
                      "Tortoise's own _init_from_db(**row)", theirs))

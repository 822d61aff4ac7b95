"""Keeping the daily aggregates (models/orm/figures.py) equal to the reports they count.

Every change of a report moves its share from the row it counted in to the row it counts in now,
in the change's own transaction (`move`, called from actions/changes.py), so the figures are
never ahead of or behind the reports. `rebuild` recomputes every row from the reports, for
existing data and after a bulk import; a test compares the two after random lifecycles.

On PostgreSQL the upserts run under the event-order lock every change takes anyway
(actions/changes.py), so two transactions never lock the same aggregate rows in opposite orders.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.db import PRIMARY
from models.enums import Satisfaction, Status
from models.orm.figures import COLUMNS, DailyFigures
from models.orm.reports import Report
from models.orm.rows import placeholders
from models.rules.calendar import local_date

EVENT_ORDER_LOCK = 724202
Key = tuple[date, int, int, str]  # day, agency (0: none), category (0: none), status
REBUILD_BATCH = 20_000


@dataclass(frozen=True)
class Share:
    """What one report adds to the row of its key."""

    key: Key
    values: tuple[int, ...]


def share(submitted_at: datetime, agency_id: int | None, category_id: int | None,
          status: Status | str, on_time: bool | None, satisfaction: Satisfaction | str | None,
          working_days: int | None) -> Share:
    rating = Satisfaction(satisfaction) if satisfaction is not None else None
    return Share(
        (local_date(submitted_at), agency_id or 0, category_id or 0, Status(status).value),
        (1, int(on_time is True), int(on_time is False),
         int(rating is Satisfaction.SATISFIED), int(rating is Satisfaction.ACCEPTABLE),
         int(rating is Satisfaction.UNSATISFIED), working_days or 0),
    )


def share_of(report: Report) -> Share:
    return share(report.submitted_at, report.agency_id, report.category_id, report.status,
                 report.on_time, report.satisfaction, report.working_days)


async def lock_event_order(conn: BaseDBAsyncClient) -> None:
    """Serialise writers until commit (PostgreSQL; SQLite has one writer). Re-entrant."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [EVENT_ORDER_LOCK])


def _upsert_sql(conn: BaseDBAsyncClient) -> str:
    names = ("day", "agency_id", "category_id", "status", *COLUMNS)
    marks = placeholders(conn, len(names))
    adds = ", ".join(f"{c} = daily_figures.{c} + excluded.{c}" for c in COLUMNS)
    return (f"INSERT INTO daily_figures ({', '.join(names)}) VALUES ({', '.join(marks)}) "
            f"ON CONFLICT (day, agency_id, category_id, status) DO UPDATE SET {adds}")


def _params(dialect: str, key: Key, values: Iterable[int]) -> list[Any]:
    day, agency_id, category_id, status = key
    # SQLite's default date adapter is deprecated: give it the text Tortoise stores.
    return [day if dialect == "postgres" else day.isoformat(), agency_id, category_id, status,
            *values]


async def move(conn: BaseDBAsyncClient, before: Share | None, after: Share | None) -> None:
    """Take `before` out of its row and put `after` into its own (either may be None: a new
    report has no before)."""
    deltas: dict[Key, list[int]] = {}
    for part, sign in ((before, -1), (after, 1)):
        if part is None:
            continue
        row = deltas.setdefault(part.key, [0] * len(COLUMNS))
        for i, value in enumerate(part.values):
            row[i] += sign * value
    changed = {key: row for key, row in deltas.items() if any(row)}
    if not changed:
        return
    await lock_event_order(conn)
    dialect = conn.capabilities.dialect
    sql = _upsert_sql(conn)
    for key in sorted(changed):
        await conn.execute_query(sql, _params(dialect, key, changed[key]))


async def computed(report_model: type[Model] = Report,
                   conn: BaseDBAsyncClient | None = None) -> dict[Key, tuple[int, ...]]:
    """Every row as the reports make it now, read in batches by id."""
    totals: dict[Key, list[int]] = defaultdict(lambda: [0] * len(COLUMNS))
    last = 0
    fields = ("id", "submitted_at", "agency_id", "category_id", "status", "on_time",
              "satisfaction", "working_days")
    while True:
        batch = await (report_model.filter(id__gt=last).using_db(conn).order_by("id")
                       .limit(REBUILD_BATCH).values_list(*fields))
        if not batch:
            break
        for row in batch:
            part = share(*row[1:])
            total = totals[part.key]
            for i, value in enumerate(part.values):
                total[i] += value
        last = batch[-1][0]
    return {key: tuple(row) for key, row in totals.items()}


async def stored(conn: BaseDBAsyncClient | None = None) -> dict[Key, tuple[int, ...]]:
    """Every row as kept, rows that count nothing left out."""
    rows = await DailyFigures.all().using_db(conn).values_list(
        "day", "agency_id", "category_id", "status", *COLUMNS)
    return {(r[0], r[1], r[2], Status(r[3]).value): tuple(r[4:]) for r in rows if any(r[4:])}


async def rebuild(report_model: type[Model] = Report,
                  conn: BaseDBAsyncClient | None = None) -> int:
    """Recompute every row from the reports; returns the number of rows. Runs in one
    transaction under the event-order lock, so no change is counted twice or lost meanwhile."""
    async with in_transaction(PRIMARY) if conn is None else contextlib.nullcontext(conn) as tx:
        await lock_event_order(tx)
        rows = await computed(report_model, tx)
        await tx.execute_query("DELETE FROM daily_figures")
        dialect = tx.capabilities.dialect
        sql = _upsert_sql(tx)
        params = [_params(dialect, key, values) for key, values in sorted(rows.items())]
        for start in range(0, len(params), 1000):
            await tx.execute_many(sql, params[start:start + 1000])
        return len(rows)


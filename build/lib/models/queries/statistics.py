"""Aggregates for rankings and public statistics, computed by the database (SQL GROUP BY) over
the daily aggregates (models/orm/figures.py), never by loading reports into Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models.enums import AgencyKind, Status
from models.errors import Invalid
from models.messages import _
from models.orm.directory import Agency
from models.orm.figures import COLUMNS, DailyFigures
from models.orm.reports import Report
from models.rules.calendar import TZ
from models.rules.lifecycle import OPEN_STATUSES
from models.rules.period import Period, midnight
from models.rules.ranking import AgencyCounts, rate

EXCLUDED = [Status.REJECTED, Status.MERGED]
RESOLVED = Status.RESOLVED


def _days(qs: QuerySet[DailyFigures], period: Period) -> QuerySet[DailyFigures]:
    # Periods start and end at local midnight, so whole local days are exactly the period.
    if period.start is not None:
        qs = qs.filter(day__gte=period.start.astimezone(TZ).date())
    if period.end is not None:
        qs = qs.filter(day__lt=period.end.astimezone(TZ).date())
    return qs


def _in_period(qs: QuerySet[Report], period: Period) -> QuerySet[Report]:
    if period.start is not None:
        qs = qs.filter(submitted_at__gte=period.start)
    if period.end is not None:
        qs = qs.filter(submitted_at__lt=period.end)
    return qs


# Annotation names must not shadow model fields (Tortoise then resolves a filter on the field
# as the annotation): hence the s_ prefix.
SUMS = {f"s_{column}": Sum(column) for column in COLUMNS}


def _tally(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The contract's counts from rows summed per status: `received` leaves out rejected and
    merged reports; resolved, on time, late and working days count resolved reports only;
    ratings count every received report that has one."""
    counts = dict.fromkeys(("received", "resolved", "on_time", "late", "satisfied", "acceptable",
                       "unsatisfied", "working_days"), 0)
    for row in rows:
        status = Status(row["status"])
        if status in EXCLUDED:
            continue
        counts["received"] += int(row["s_reports"] or 0)
        for rating in ("satisfied", "acceptable", "unsatisfied"):
            counts[rating] += int(row[f"s_{rating}"] or 0)
        if status is RESOLVED:
            counts["resolved"] += int(row["s_reports"] or 0)
            for column in ("on_time", "late", "working_days"):
                counts[column] += int(row[f"s_{column}"] or 0)
    return counts


async def _overdue_open(period: Period, now: datetime, agency_ids: list[int],
                        category_id: int | None) -> dict[int, int]:
    """Open past their deadline: depends on the clock, so counted live, over open reports only
    (the index on agency, status and deadline), never over history."""
    if not agency_ids:
        return {}
    qs = _in_period(Report.filter(agency_id__in=agency_ids, status__in=list(OPEN_STATUSES),
                                  due_at__lt=now), period)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    rows = await qs.annotate(n=Count("id")).group_by("agency_id").values_list("agency_id", "n")
    return {agency_id: int(n) for agency_id, n in rows}


async def agency_counts(
    period: Period, now: datetime, *, kind: AgencyKind | None = None,
    category_id: int | None = None,
) -> list[AgencyCounts]:
    """One row per agency with reports received in the period (by submittedAt, assigned to that
    agency now; rejected and merged reports excluded). Three queries whatever the data size, over
    the daily aggregates and the open reports: the cost does not grow with history."""
    qs = _days(DailyFigures.filter(agency_id__gt=0).exclude(status__in=EXCLUDED), period)
    if kind is not None:
        qs = qs.filter(agency_id__in=Subquery(Agency.filter(kind=kind).values("id")))
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    per_agency: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await qs.annotate(**SUMS).group_by("agency_id", "status").values(
            "agency_id", "status", *SUMS):
        per_agency[row["agency_id"]].append(row)
    tallies = {agency_id: _tally(rows) for agency_id, rows in per_agency.items()}
    ids = [agency_id for agency_id, tally in tallies.items() if tally["received"]]
    names = dict(await Agency.filter(id__in=ids).values_list("id", "name"))
    overdue = await _overdue_open(period, now, ids, category_id)
    return [
        AgencyCounts(agency_id=agency_id, name=names[agency_id],
                     overdue_open=overdue.get(agency_id, 0), **tallies[agency_id])
        for agency_id in ids
    ]


@dataclass(frozen=True)
class Stats:
    received: int
    processed: int
    on_time: int
    late: int
    satisfied: int
    acceptable: int
    unsatisfied: int
    working_days: int  # summed over the processed (resolved) reports
    by_status: dict[Status, int]
    by_category: dict[int | None, int]

    @property
    def rated(self) -> int:
        return self.satisfied + self.acceptable + self.unsatisfied

    @property
    def average_working_days(self) -> float | None:
        return self.working_days / self.processed if self.processed else None

    @property
    def processed_rate(self) -> float:
        return rate(self.processed, self.received)

    @property
    def on_time_rate(self) -> float:
        return rate(self.on_time, self.processed)

    @property
    def late_rate(self) -> float:
        return rate(self.late, self.processed)

    @property
    def satisfied_rate(self) -> float:
        return rate(self.satisfied, self.rated)

    @property
    def acceptable_rate(self) -> float:
        return rate(self.acceptable, self.rated)

    @property
    def unsatisfied_rate(self) -> float:
        return rate(self.unsatisfied, self.rated)


async def stats(
    period: Period, now: datetime, *, category_id: int | None = None,
    agency_id: int | None = None,
) -> Stats:
    """The figures the province publishes. `received` leaves out rejected and merged reports,
    like the ranking; `by_status` shows every status, those two included. From the daily
    aggregates: the cost follows the period's length, not the number of reports."""
    every = _days(DailyFigures.all(), period)
    if category_id is not None:
        every = every.filter(category_id=category_id)
    if agency_id is not None:
        every = every.filter(agency_id=agency_id)
    # One scan: summed per status and category, everything else follows from those rows.
    rows = await every.annotate(**SUMS).group_by("status", "category_id").values(
        "status", "category_id", *SUMS)
    totals = _tally(rows)
    by_status: dict[Status, int] = defaultdict(int)
    by_category: dict[int | None, int] = defaultdict(int)
    for row in rows:
        status, n = Status(row["status"]), int(row["s_reports"] or 0)
        by_status[status] += n
        if status not in EXCLUDED:
            by_category[row["category_id"] or None] += n
    return Stats(
        received=totals["received"],
        processed=totals["resolved"],
        on_time=totals["on_time"],
        late=totals["late"],
        satisfied=totals["satisfied"],
        acceptable=totals["acceptable"],
        unsatisfied=totals["unsatisfied"],
        working_days=totals["working_days"],
        by_status={k: v for k, v in by_status.items() if v},
        by_category={k: v for k, v in by_category.items() if v},
    )


MAX_DAILY_DAYS = 92  # a quarter: one query of 2 x days conditional counts


@dataclass(frozen=True)
class DayCount:
    day: date
    received: int  # submitted that day (rejected and merged left out, as in `received`)
    resolved: int  # result published that day, whenever submitted


async def daily(period: Period, *, category_id: int | None = None,
                agency_id: int | None = None) -> list[DayCount]:
    """Day by day (Huế's calendar days) over a bounded period, in one query: conditional counts
    over the period's own range are portable SQL, where grouping by local date is not."""
    if period.start is None or period.end is None:
        raise Invalid(_("daily needs a period with a start and an end (quarter or from/to)."),
                      field="daily")
    first = period.start.astimezone(TZ).date()
    days = [first + timedelta(days=i)
            for i in range((period.end.astimezone(TZ).date() - first).days)]
    if len(days) > MAX_DAILY_DAYS:
        raise Invalid(_("daily covers at most {count} days."), field="daily",
                      count=MAX_DAILY_DAYS)
    qs = Report.filter(
        Q(submitted_at__gte=period.start, submitted_at__lt=period.end)
        | Q(resolved_at__gte=period.start, resolved_at__lt=period.end)
    ).exclude(status__in=EXCLUDED)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    fields: dict[str, Count] = {}
    for i, day in enumerate(days):
        start, end = midnight(day), midnight(day + timedelta(days=1))
        fields[f"r{i}"] = Count("id", _filter=Q(submitted_at__gte=start, submitted_at__lt=end))
        fields[f"p{i}"] = Count("id", _filter=Q(status=RESOLVED, resolved_at__gte=start,
                                                 resolved_at__lt=end))
    if not fields:
        return []
    row = (await qs.annotate(**fields).values(*fields))[0]
    return [DayCount(day, int(row[f"r{i}"] or 0), int(row[f"p{i}"] or 0))
            for i, day in enumerate(days)]

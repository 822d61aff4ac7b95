"""Aggregates for rankings and public statistics, computed by the database (SQL GROUP BY),
never by loading reports into Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models.enums import AgencyKind, Satisfaction, Status
from models.errors import Invalid
from models.messages import _
from models.orm.directory import Agency
from models.orm.reports import Report
from models.rules.calendar import TZ
from models.rules.lifecycle import OPEN_STATUSES
from models.rules.period import Period, midnight
from models.rules.ranking import AgencyCounts, rate

EXCLUDED = [Status.REJECTED, Status.MERGED]
RESOLVED = Status.RESOLVED


def _in_period(qs: QuerySet[Report], period: Period) -> QuerySet[Report]:
    if period.start is not None:
        qs = qs.filter(submitted_at__gte=period.start)
    if period.end is not None:
        qs = qs.filter(submitted_at__lt=period.end)
    return qs


def _counted(now: datetime) -> dict[str, Count | Sum]:
    # Annotation names must not shadow model fields (Tortoise then resolves `on_time=True` in a
    # filter as the annotation, recursively): hence the n_ prefix.
    return {
        "n_received": Count("id"),
        "n_resolved": Count("id", _filter=Q(status=RESOLVED)),
        "n_on_time": Count("id", _filter=Q(status=RESOLVED, on_time=True)),
        "n_late": Count("id", _filter=Q(status=RESOLVED, on_time=False)),
        "n_overdue_open": Count("id", _filter=Q(status__in=list(OPEN_STATUSES), due_at__lt=now)),
        "n_satisfied": Count("id", _filter=Q(satisfaction=Satisfaction.SATISFIED)),
        "n_acceptable": Count("id", _filter=Q(satisfaction=Satisfaction.ACCEPTABLE)),
        "n_unsatisfied": Count("id", _filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
        # Summed, not averaged in SQL: Tortoise converts an aggregate to its column's type,
        # and an average of an integer column came back truncated (6.6 as 6).
        "n_working_days": Sum("working_days", _filter=Q(status=RESOLVED)),
    }


def _ints(row: dict[str, object]) -> dict[str, int]:
    return {k.removeprefix("n_"): int(v or 0) for k, v in row.items()  # type: ignore[call-overload]
            if k.startswith("n_")}


async def agency_counts(
    period: Period, now: datetime, *, kind: AgencyKind | None = None,
    category_id: int | None = None,
) -> list[AgencyCounts]:
    """One row per agency with reports received in the period (by submittedAt, assigned to that
    agency now; rejected and merged reports excluded). Two queries whatever the data size."""
    qs = _in_period(Report.filter(agency_id__isnull=False).exclude(status__in=EXCLUDED), period)
    if kind is not None:
        qs = qs.filter(agency__kind=kind)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    fields = _counted(now)
    rows = await qs.annotate(**fields).group_by("agency_id").values("agency_id", *fields)
    names = dict(
        await Agency.filter(id__in=[r["agency_id"] for r in rows]).values_list("id", "name")
    )
    return [
        AgencyCounts(agency_id=r["agency_id"], name=names[r["agency_id"]], **_ints(r))
        for r in rows
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
    like the ranking; `by_status` shows every status, those two included."""
    every = _in_period(Report.all(), period)
    if category_id is not None:
        every = every.filter(category_id=category_id)
    if agency_id is not None:
        every = every.filter(agency_id=agency_id)
    fields = _counted(now)
    row = (await every.exclude(status__in=EXCLUDED).annotate(**fields).values(*fields))[0]
    totals = _ints(row)
    by_status = await every.annotate(n=Count("id")).group_by("status").values_list("status", "n")
    by_category = await (
        every.exclude(status__in=EXCLUDED).annotate(n=Count("id")).group_by("category_id")
        .values_list("category_id", "n")
    )
    return Stats(
        received=totals["received"],
        processed=totals["resolved"],
        on_time=totals["on_time"],
        late=totals["late"],
        satisfied=totals["satisfied"],
        acceptable=totals["acceptable"],
        unsatisfied=totals["unsatisfied"],
        working_days=totals["working_days"],
        by_status={Status(s): int(n) for s, n in by_status},
        by_category={c: int(n) for c, n in by_category},
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

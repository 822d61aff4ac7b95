"""Agency rankings and the public statistics."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry

from models.actions.directory import MAX_AGENCIES, MAX_CATEGORIES
from models.orm.directory import Agency as AgencyRow
from models.queries import statistics
from models.queries.statistics import MAX_DAILY_DAYS
from models.rules.period import Period
from models.rules.ranking import RankedRow
from schema.context import Info
from schema.declared import max_items
from schema.directory import Agency, Category, load_category
from schema.enums import ReportStatus
from schema.loaders import now_or_later


def _existing(row: AgencyRow | None) -> Agency:
    assert row is not None  # ranked agencies come from the agency table itself
    return Agency.from_row(row)


@strawberry.type(description="One agency's row in the ranking. Rates are fractions (0.974).")
class AgencyRanking:
    rank: int | None = strawberry.field(
        description="null when the agency received fewer than minReceived reports."
    )
    received: int
    resolved: int
    on_time: int
    late: int
    overdue_open: int
    satisfied: int
    acceptable: int
    unsatisfied: int
    rated: int
    resolution_rate: float
    on_time_rate: float
    satisfaction_rate: float
    average_working_days: float | None
    score: float
    agency_id: strawberry.Private[int]

    @strawberry.field
    def agency(self, info: Info) -> Agency:
        # Synchronous when the ranking resolver prefetched every agency (one table, 227 rows).
        return now_or_later(info.context.loaders.agency_by_id, self.agency_id, _existing)

    @classmethod
    def from_row(cls, row: RankedRow) -> Self:
        c = row.counts
        return cls(
            rank=row.rank, received=c.received, resolved=c.resolved, on_time=c.on_time,
            late=c.late, overdue_open=c.overdue_open, satisfied=c.satisfied,
            acceptable=c.acceptable, unsatisfied=c.unsatisfied, rated=c.rated,
            resolution_rate=c.resolution_rate, on_time_rate=c.on_time_rate,
            satisfaction_rate=c.satisfaction_rate,
            average_working_days=c.average_working_days, score=round(c.score, 2),
            agency_id=c.agency_id,
        )


@strawberry.type
class RankingTable:
    period: str
    rows: list[AgencyRanking] = strawberry.field(metadata=max_items(MAX_AGENCIES))


@strawberry.type
class StatusCount:
    status: ReportStatus
    count: int


@strawberry.type
class CategoryCount:
    count: int
    category_id: strawberry.Private[int | None]

    @strawberry.field(description="null for reports without a category.")
    async def category(self, info: Info) -> Category | None:
        return await load_category(info, self.category_id)


@strawberry.type(description="One calendar day (Huế time) of a period.")
class DayCount:
    date: date
    received: int = strawberry.field(description="Reports submitted that day (rejected and "
                                                 "merged ones left out).")
    resolved: int = strawberry.field(description="Results published that day.")


@strawberry.type(description="The figures the province publishes. Rates are fractions.")
class Stats:
    period: str
    received: int
    processed: int
    processed_rate: float
    on_time: int
    late: int
    on_time_rate: float
    late_rate: float
    satisfied: int
    acceptable: int
    unsatisfied: int
    satisfied_rate: float
    acceptable_rate: float
    unsatisfied_rate: float
    average_working_days: float | None
    by_status: list[StatusCount] = strawberry.field(metadata=max_items(len(ReportStatus)))
    by_category: list[CategoryCount] = strawberry.field(
        metadata=max_items(MAX_CATEGORIES + 1))  # and reports without one
    scope: strawberry.Private[tuple[Period, int | None, int | None]]

    @strawberry.field(description="Day by day over the period, for a chart: the period must "
                                  "have a start and an end and span at most 92 days.",
                      metadata=max_items(MAX_DAILY_DAYS))
    async def daily(self, info: Info) -> list[DayCount]:
        chosen, category, agency = self.scope
        rows = await info.context.memo.get_or_compute(
            ("daily", *self.scope),
            lambda: statistics.daily(chosen, category_id=category, agency_id=agency))
        return [DayCount(date=r.day, received=r.received, resolved=r.resolved) for r in rows]

    @classmethod
    def from_stats(cls, chosen: Period, s: statistics.Stats, category: int | None = None,
                   agency: int | None = None) -> Self:
        return cls(
            period=chosen.label, scope=(chosen, category, agency), received=s.received,
            processed=s.processed, processed_rate=s.processed_rate, on_time=s.on_time, late=s.late,
            on_time_rate=s.on_time_rate, late_rate=s.late_rate, satisfied=s.satisfied,
            acceptable=s.acceptable, unsatisfied=s.unsatisfied, satisfied_rate=s.satisfied_rate,
            acceptable_rate=s.acceptable_rate, unsatisfied_rate=s.unsatisfied_rate,
            average_working_days=s.average_working_days,
            by_status=[StatusCount(status=k, count=v) for k, v in sorted(s.by_status.items())],
            by_category=[CategoryCount(category_id=k, count=v)
                         for k, v in sorted(s.by_category.items(), key=lambda kv: -kv[1])],
        )

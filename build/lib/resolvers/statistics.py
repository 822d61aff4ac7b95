"""Rankings and statistics queries: decode arguments, aggregate in SQL, rank in Python."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from models.actions.directory import MAX_AGENCIES
from models.errors import Invalid
from models.messages import _
from models.queries import statistics
from models.rules import period, ranking
from realtime import answer_tags
from schema.context import Info
from schema.declared import max_items
from schema.enums import AgencyKind
from schema.relay import decode_id
from schema.statistics import AgencyRanking, Stats

FromDate = Annotated[date | None, strawberry.argument(name="from", description="First day.")]
ToDate = Annotated[date | None, strawberry.argument(description="Last day, included.")]
Quarter = Annotated[str | None, strawberry.argument(description='e.g. "2026-Q3"')]


async def ranking_rows(
    now: datetime, chosen: period.Period, kind: AgencyKind | None = None,
    category: int | None = None, min_received: int = ranking.DEFAULT_MIN_RECEIVED,
) -> list[AgencyRanking]:
    counts = await statistics.agency_counts(chosen, now, kind=kind, category_id=category)
    return [AgencyRanking.from_row(r) for r in ranking.rank(counts, min_received)]


async def stats_of(now: datetime, chosen: period.Period, category: int | None = None,
                   agency: int | None = None) -> Stats:
    result = await statistics.stats(chosen, now, category_id=category, agency_id=agency)
    return Stats.from_stats(chosen, result, category, agency)


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="Agencies ranked for a period (all time when none is given).",
                      metadata=max_items(MAX_AGENCIES))
    async def agency_rankings(
        self,
        info: Info,
        quarter: Quarter = None,
        from_: FromDate = None,
        to: ToDate = None,
        kind: AgencyKind | None = None,
        category_id: strawberry.ID | None = None,
        min_received: int = ranking.DEFAULT_MIN_RECEIVED,
    ) -> list[AgencyRanking]:
        if not 0 <= min_received <= 1_000_000:
            raise Invalid(_("minReceived must be between 0 and 1000000."), field="minReceived")
        answer_tags.tag(answer_tags.FIGURES)
        chosen = period.resolve(quarter, from_, to)
        category = decode_id(category_id, "Category", "categoryId") if category_id else None
        now = info.context.deps.now()
        rows = await info.context.memo.get_or_compute(
            ("rankings", chosen, kind, category, min_received),
            lambda: ranking_rows(now, chosen, kind, category, min_received))
        await info.context.loaders.agency_by_id.load_many([r.agency_id for r in rows])
        return rows

    @strawberry.field(description="The province's published figures for a period.")
    async def stats(
        self,
        info: Info,
        quarter: Quarter = None,
        from_: FromDate = None,
        to: ToDate = None,
        category_id: strawberry.ID | None = None,
        agency_id: strawberry.ID | None = None,
    ) -> Stats:
        answer_tags.tag(answer_tags.FIGURES)
        chosen = period.resolve(quarter, from_, to)
        category = decode_id(category_id, "Category", "categoryId") if category_id else None
        agency = decode_id(agency_id, "Agency", "agencyId") if agency_id else None
        now = info.context.deps.now()
        return await info.context.memo.get_or_compute(("stats", chosen, category, agency),
                                           lambda: stats_of(now, chosen, category, agency))

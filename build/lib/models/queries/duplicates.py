"""Duplicate hints for the IOC: open public reports near a report, in its category, recent,
ranked by closeness and by how alike their words are (diacritics ignored)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from tortoise.expressions import Q

from models.orm.reports import Report
from models.queries.reports import box_q
from models.rules import geo
from models.rules.lifecycle import OPEN_STATUSES, PUBLIC_STATUSES
from models.rules.text import fold

RADIUS_M = 150.0
WINDOW = timedelta(days=30)
MAX_HINTS = 10
CANDIDATE_STATUSES = sorted(OPEN_STATUSES & PUBLIC_STATUSES)
# Half closeness, half wording: two reports of the same pothole 140 m apart that say the same
# thing rank above an unrelated one next door.
DISTANCE_WEIGHT = 0.5


@dataclass(frozen=True)
class Hint:
    report: Report
    distance_m: float
    similarity: float  # 0..1

    @property
    def score(self) -> float:
        closeness = 1 - min(self.distance_m / RADIUS_M, 1.0)
        return DISTANCE_WEIGHT * closeness + (1 - DISTANCE_WEIGHT) * self.similarity


def trigrams(text: str) -> frozenset[str]:
    padded = f"  {fold(text)} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character trigrams: robust to word order, typos and diacritics."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return 2 * len(ta & tb) / (len(ta) + len(tb))


def _words(report: Report) -> str:
    return f"{report.title} {report.description}"


def _eligible(report: Report) -> bool:
    return (report.category_id is not None and report.latitude is not None
            and report.longitude is not None)


async def similar_nearby(reports: Sequence[Report], now: datetime) -> dict[int, list[Hint]]:
    """Hints for each report, in one query for the whole batch."""
    hints: dict[int, list[Hint]] = {r.id: [] for r in reports}
    sources = [r for r in reports if _eligible(r)]
    if not sources:
        return hints
    areas = [
        Q(category_id=r.category_id)
        & box_q(geo.box_around(r.latitude, r.longitude, RADIUS_M))  # type: ignore[arg-type]
        for r in sources
    ]
    candidates = await Report.filter(
        reduce(or_, areas), status__in=CANDIDATE_STATUSES, submitted_at__gte=now - WINDOW,
    )
    for source in sources:
        assert source.latitude is not None
        assert source.longitude is not None
        found = []
        for other in candidates:
            if other.id == source.id or other.category_id != source.category_id:
                continue
            assert other.latitude is not None
            assert other.longitude is not None
            d = geo.distance_m(source.latitude, source.longitude, other.latitude, other.longitude)
            if d <= RADIUS_M:
                found.append(Hint(other, d, similarity(_words(source), _words(other))))
        found.sort(key=lambda h: (-h.score, h.distance_m, h.report.id))
        hints[source.id] = found[:MAX_HINTS]
    return hints

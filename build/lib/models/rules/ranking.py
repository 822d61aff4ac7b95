"""The agency ranking: rates, score, ordering and shared ranks, as the contract defines them.

Pure: it takes counts (computed by SQL aggregates in models/statistics.py) and returns rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.rules.text import fold

WEIGHT_RESOLUTION = 0.3
WEIGHT_ON_TIME = 0.4
WEIGHT_SATISFACTION = 0.3
DEFAULT_MIN_RECEIVED = 5


def rate(numerator: float, denominator: float) -> float:
    """A rate with a zero denominator counts as 0."""
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class AgencyCounts:
    agency_id: int
    name: str
    received: int
    resolved: int
    on_time: int
    late: int
    overdue_open: int
    satisfied: int
    acceptable: int
    unsatisfied: int
    working_days: int  # summed over the resolved reports

    @property
    def average_working_days(self) -> float | None:
        """The mean, unrounded: a wrong digit here is a wrong public judgement of an agency."""
        return self.working_days / self.resolved if self.resolved else None

    @property
    def rated(self) -> int:
        return self.satisfied + self.acceptable + self.unsatisfied

    @property
    def resolution_rate(self) -> float:
        return rate(self.resolved, self.received)

    @property
    def on_time_rate(self) -> float:
        return rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> float:
        return rate(self.satisfied + self.acceptable, self.rated)

    @property
    def score(self) -> float:
        weighted_satisfaction = rate(self.satisfied + 0.5 * self.acceptable, self.rated)
        return 100 * (
            WEIGHT_RESOLUTION * self.resolution_rate
            + WEIGHT_ON_TIME * self.on_time_rate
            + WEIGHT_SATISFACTION * weighted_satisfaction
        )


@dataclass(frozen=True)
class RankedRow:
    counts: AgencyCounts
    rank: int | None  # None: fewer than min_received reports, listed last


def _order_key(c: AgencyCounts) -> tuple[float, float, int, str, str]:
    # Scores equal to 2 decimals are equal: the tie-breakers decide the order, the rank is shared.
    return (-round(c.score, 2), -c.on_time_rate, -c.resolved, fold(c.name), c.name)


def rank(rows: Iterable[AgencyCounts], min_received: int = DEFAULT_MIN_RECEIVED) -> list[RankedRow]:
    rows = list(rows)
    eligible = sorted((r for r in rows if r.received >= min_received), key=_order_key)
    too_few = sorted((r for r in rows if r.received < min_received), key=_order_key)
    ranked: list[RankedRow] = []
    for position, counts in enumerate(eligible, start=1):
        previous = ranked[-1] if ranked else None
        if previous is not None and round(previous.counts.score, 2) == round(counts.score, 2):
            ranked.append(RankedRow(counts, previous.rank))  # 1, 2, 2, 4
        else:
            ranked.append(RankedRow(counts, position))
    return ranked + [RankedRow(counts, None) for counts in too_few]

"""The ranking formula, ordering and shared ranks, on counts worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models.errors import Invalid
from models.rules.period import between, current_quarter, quarter, resolve
from models.rules.ranking import AgencyCounts, rank


def counts(name: str, received: int, resolved: int, on_time: int, satisfied: int = 0,
           acceptable: int = 0, unsatisfied: int = 0, agency_id: int = 0) -> AgencyCounts:
    return AgencyCounts(agency_id=agency_id or hash(name) % 1000, name=name, received=received,
                        resolved=resolved, on_time=on_time, late=resolved - on_time,
                        overdue_open=0, satisfied=satisfied, acceptable=acceptable,
                        unsatisfied=unsatisfied, working_days=0)


def test_score_formula():
    # resolution 4/6, on time 2/4, satisfaction (2 + 0.5 * 1) / 4:
    # 100 * (0.3 * 0.6667 + 0.4 * 0.5 + 0.3 * 0.625) = 20 + 20 + 18.75 = 58.75
    c = counts("A", 6, 4, 2, satisfied=2, acceptable=1, unsatisfied=1)
    assert c.score == pytest.approx(58.75)
    assert c.satisfaction_rate == pytest.approx(0.75)
    assert c.resolution_rate == pytest.approx(4 / 6)


def test_zero_denominators_count_as_zero():
    nothing = counts("Z", 0, 0, 0)
    assert (nothing.resolution_rate, nothing.on_time_rate, nothing.satisfaction_rate) == (0, 0, 0)
    assert nothing.score == 0
    unrated = counts("U", 5, 5, 5)  # 100 * (0.3 + 0.4 + 0) = 70
    assert unrated.score == pytest.approx(70)


def test_order_ties_and_minimum_volume():
    rows = [
        counts("UBND phường Vĩnh Ninh", 5, 5, 5),          # 70.00
        counts("Công ty Cấp nước", 5, 5, 5),                # 70.00, same score: name decides
        counts("Sở Xây dựng", 6, 4, 2, 2, 1, 1),            # 58.75
        counts("Đội tiny", 2, 2, 2, satisfied=2),           # 100, but fewer than 5 received
        counts("Sở Du lịch", 10, 10, 10, unsatisfied=10),   # 70.00, ties again
        counts("Ánh Dương", 8, 8, 4),                       # 100 * (0.3 + 0.2) = 50
    ]
    ranked = rank(rows, min_received=5)
    assert [(r.counts.name, r.rank) for r in ranked] == [
        # Equal scores: on-time rate (all 1.0), then resolved desc, then name (diacritics folded).
        ("Sở Du lịch", 1),
        ("Công ty Cấp nước", 1),
        ("UBND phường Vĩnh Ninh", 1),
        ("Sở Xây dựng", 4),
        ("Ánh Dương", 5),
        ("Đội tiny", None),
    ]


def test_scores_equal_to_two_decimals_share_a_rank():
    a = counts("A", 3, 3, 1)  # 100 * (0.3 + 0.4/3) = 43.333…
    b = counts("B", 300, 300, 100)  # the same to two decimals
    c = counts("C", 3, 3, 0)  # 30
    assert [(r.counts.name, r.rank) for r in rank([c, a, b], min_received=1)] == [
        ("B", 1), ("A", 1), ("C", 3)]


def test_periods():
    q3 = quarter("2026-q3")
    assert q3.label == "2026-Q3"
    assert q3.start is not None
    assert q3.end is not None
    assert q3.start.isoformat() == "2026-07-01T00:00:00+07:00"
    assert q3.end.isoformat() == "2026-10-01T00:00:00+07:00"
    q4 = quarter("2026-Q4")
    assert q4.end is not None
    assert q4.end.isoformat() == "2027-01-01T00:00:00+07:00"
    days = between(date(2026, 7, 1), date(2026, 7, 31))
    assert days.end is not None
    assert days.end.isoformat() == "2026-08-01T00:00:00+07:00"
    assert resolve(None, None, None).start is None
    for bad in ("2026-Q5", "Q3-2026", "1999-Q1", ""):
        with pytest.raises(Invalid):
            quarter(bad)
    with pytest.raises(Invalid):
        between(date(2026, 7, 2), date(2026, 7, 1))
    with pytest.raises(Invalid):
        resolve("2026-Q3", date(2026, 7, 1), None)
    # 30 Sep 2026 20:00 UTC is already 1 Oct in Huế.
    assert current_quarter(datetime(2026, 9, 30, 20, tzinfo=UTC)) == "2026-Q4"

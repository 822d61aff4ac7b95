"""Reporting periods ("2026-Q3", or from/to dates), in Huế's local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from models.errors import Invalid
from models.messages import _
from models.rules.calendar import TZ

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
MAX_DAYS = 3660  # ten years: enough for any report, small enough to refuse nonsense


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime | None  # inclusive
    end: datetime | None  # exclusive


ALL_TIME = Period("all", None, None)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def quarter(text: str) -> Period:
    match = _QUARTER.fullmatch(text.strip().upper())
    if not match:
        raise Invalid(_('quarter looks like "2026-Q3".'), field="quarter")
    year, q = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise Invalid(_("quarter is out of range."), field="quarter")
    first = date(year, 3 * q - 2, 1)
    after = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return Period(f"{year}-Q{q}", midnight(first), midnight(after))


def between(start: date | None, end: date | None) -> Period:
    """Both days included."""
    if start is not None and end is not None:
        if end < start:
            raise Invalid(_("to must not be before from."), field="to")
        if (end - start).days > MAX_DAYS:
            raise Invalid(_("The period is too long."), field="to")
    label = f"{start.isoformat() if start else '…'}/{end.isoformat() if end else '…'}"
    return Period(
        label,
        midnight(start) if start else None,
        midnight(end + timedelta(days=1)) if end else None,
    )


def resolve(quarter_text: str | None, start: date | None, end: date | None) -> Period:
    if quarter_text is not None:
        if start is not None or end is not None:
            raise Invalid(_("Give a quarter or from/to, not both."), field="quarter")
        return quarter(quarter_text)
    if start is None and end is None:
        return ALL_TIME
    return between(start, end)


def current_quarter(now: datetime) -> str:
    local = now.astimezone(TZ)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"

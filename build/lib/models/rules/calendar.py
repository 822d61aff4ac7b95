"""Working-day calendar for deadlines.

Pure: the holiday rule and `now` are passed in, so tests use fixed dates. `vietnam()` builds the
production calendar from the `holidays` package plus the admin's extra days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEADLINE_WORKING_DAYS = 7
# A calendar with no working day for this long is misconfigured; stop instead of looping forever.
_MAX_SCAN_DAYS = 366


@dataclass(frozen=True)
class WorkingCalendar:
    is_official_working_day: Callable[[date], bool]
    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        return self.is_official_working_day(day)

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day`."""
        if n < 1:
            raise ValueError("n must be at least 1")
        current, found, scanned = day, 0, 0
        while found < n:
            current += timedelta(days=1)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS * n:
                raise RuntimeError("the calendar has no working days")
            if self.is_working_day(current):
                found += 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when handled on the day it arrived."""
        if end <= start:
            return 0
        return sum(
            1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(i))
        )


def local_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: deadlines need an aware instant")
    return instant.astimezone(TZ).date()


def rfc3339(instant: datetime) -> str:
    """The one way an instant is written on every surface (GraphQL, Open311, exports, notes):
    RFC 3339 with Huế's offset, to the second, e.g. 2026-12-09T23:59:59+07:00."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: an instant needs its offset")
    return instant.astimezone(TZ).isoformat(timespec="seconds")


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TZ)


def due_at(
    received_at: datetime, calendar: WorkingCalendar, days: int = DEADLINE_WORKING_DAYS
) -> datetime:
    """23:59:59 local time of the `days`-th working day strictly after the local receipt date."""
    return end_of_local_day(calendar.nth_working_day_after(local_date(received_at), days))


def vietnam(
    extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()
) -> WorkingCalendar:
    import holidays  # imported here so the pure part of this module needs nothing installed

    official = holidays.country_holidays("VN")
    return WorkingCalendar(
        is_official_working_day=official.is_working_day,
        extra_days_off=frozenset(extra_days_off),
        extra_working_days=frozenset(extra_working_days),
    )


def parse_dates(text: str) -> list[date]:
    """Parse a comma-separated list of ISO dates, as found in settings."""
    return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]

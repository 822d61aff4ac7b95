"""Working-day deadlines on fixed dates, with the expected dueAt worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models.rules import calendar
from models.rules.calendar import TZ, WorkingCalendar, due_at

VN = calendar.vietnam()


def local(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


def expected(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=TZ)


def test_tet_2027():
    # Received Fri 5 Feb 2027 (Lunar New Year's Eve, itself a day off). Days off after it:
    # Sat 6 (Tết), Sun 7, Mon 8, Tue 9, Wed 10 (Tết holidays). Working days: Thu 11 (1),
    # Fri 12 (2), [Sat 13, Sun 14], Mon 15 (3), Tue 16 (4), Wed 17 (5), Thu 18 (6), Fri 19 (7).
    assert due_at(local(2027, 2, 5), VN) == expected(2027, 2, 19)


def test_hung_kings_and_reunification_2026():
    # Received Fri 24 Apr 2026. Sat 25, Sun 26 (Hùng Kings), Mon 27 (Hùng Kings, observed) off;
    # Tue 28 (1), Wed 29 (2); Thu 30/4 and Fri 1/5 off; Sat 2, Sun 3; Mon 4 (3), Tue 5 (4),
    # Wed 6 (5), Thu 7 (6), Fri 8 May (7).
    assert due_at(local(2026, 4, 24), VN) == expected(2026, 5, 8)


def test_make_up_saturday_then_national_day_2026():
    # Received Fri 21 Aug 2026. Sat 22 Aug is a make-up working day (1); Sun 23 off;
    # Mon 24 (2), Tue 25 (3), Wed 26 (4), Thu 27 (5), Fri 28 (6); Sat 29, Sun 30;
    # Mon 31 Aug (day off, swapped for 22 Aug), Tue 1 and Wed 2 Sep (National Day) off;
    # Thu 3 Sep (7).
    assert due_at(local(2026, 8, 21), VN) == expected(2026, 9, 3)


def test_the_local_date_counts_not_the_utc_date():
    # 17:30 UTC on Thu 23 Apr is already 00:30 on Fri 24 Apr in Huế: same as the case above.
    received = datetime(2026, 4, 23, 17, 30, tzinfo=UTC)
    assert due_at(received, VN) == expected(2026, 5, 8)
    # 16:59 UTC is still 23:59 on Thu 23 Apr: Fri 24 (1), Tue 28 (2), Wed 29 (3), Mon 4 (4),
    # Tue 5 (5), Wed 6 (6), Thu 7 May (7).
    assert due_at(datetime(2026, 4, 23, 16, 59, tzinfo=UTC), VN) == expected(2026, 5, 7)


def test_deadline_is_the_last_second_of_the_local_day():
    d = due_at(local(2026, 11, 23), VN)
    assert d.astimezone(UTC) == datetime(2026, 12, 3, 16, 59, 59, tzinfo=UTC)


def test_admin_extra_days_off_and_extra_working_days():
    # Normal: received Mon 2 Nov 2026 -> Tue 3 (1) ... Wed 11 Nov (7).
    assert due_at(local(2026, 11, 2), VN) == expected(2026, 11, 11)
    # A storm closes offices on Wed 4 and Thu 5: the deadline moves two working days later.
    stormy = calendar.vietnam(extra_days_off=[date(2026, 11, 4), date(2026, 11, 5)])
    assert due_at(local(2026, 11, 2), stormy) == expected(2026, 11, 13)
    # An extra working Saturday 7 Nov brings it one day earlier.
    busy = calendar.vietnam(extra_working_days=[date(2026, 11, 7)])
    assert due_at(local(2026, 11, 2), busy) == expected(2026, 11, 10)


def test_pure_calendar_with_a_holiday_list_passed_in():
    holidays = {date(2030, 1, 2)}
    cal = WorkingCalendar(lambda d: d.weekday() < 5 and d not in holidays)
    # Tue 1 Jan 2030: Wed 2 is a holiday; Thu 3 (1), Fri 4 (2), Mon 7 (3).
    assert cal.nth_working_day_after(date(2030, 1, 1), 3) == date(2030, 1, 7)
    assert cal.working_days_between(date(2030, 1, 1), date(2030, 1, 7)) == 3
    assert cal.working_days_between(date(2030, 1, 7), date(2030, 1, 1)) == 0


def test_a_calendar_without_working_days_fails_loudly():
    with pytest.raises(RuntimeError):
        WorkingCalendar(lambda d: False).nth_working_day_after(date(2030, 1, 1), 1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        due_at(datetime(2026, 1, 5, 10), VN)


def test_parse_dates_from_settings():
    assert calendar.parse_dates(" 2026-11-04, 2026-11-05 ,") == [date(2026, 11, 4),
                                                                  date(2026, 11, 5)]
    assert calendar.parse_dates("") == []

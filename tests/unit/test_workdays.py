from datetime import date, datetime, time, timezone

import pytest

from services.common.workdays import WorkingCalendar

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 11, 23), 1, date(2026, 11, 24)),  # Monday -> Tuesday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday -> Monday
        (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Christmas, Boxing Day (observed Monday 28th)
        (date(2026, 12, 24), 3, date(2026, 12, 31)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day is a Friday
        (date(2027, 3, 25), 1, date(2027, 3, 30)),  # Good Friday and Easter Monday
        (date(2026, 11, 23), 20, date(2026, 12, 21)),
    ],
)
def test_nth_working_day_after_skips_weekends_and_bank_holidays(day: date, n: int, expected: date) -> None:
    assert CAL.nth_working_day_after(day, n) == expected


def test_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        CAL.nth_working_day_after(date(2026, 11, 23), 0)


def test_local_day_uses_london_time_not_utc() -> None:
    # 23:30 UTC on 30 June is already 1 July in London (BST).
    assert CAL.local_day(datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)) == date(2026, 7, 1)


def test_due_time_carries_the_summer_time_offset() -> None:
    due = CAL.due_after_working_days(datetime(2026, 11, 23, 10, tzinfo=timezone.utc), 90, time(17))
    assert due.isoformat() == "2027-04-05T17:00:00+01:00"

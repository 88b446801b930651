from datetime import date, datetime, time, timezone

import pytest

from services.common.workdays import WorkingCalendar


@pytest.fixture
def cal() -> WorkingCalendar:
    """A new calendar for each test: its working-day cache must not carry answers from one test to the next."""
    return WorkingCalendar()


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
def test_nth_working_day_after_skips_weekends_and_bank_holidays(
    cal: WorkingCalendar, day: date, n: int, expected: date
) -> None:
    assert cal.nth_working_day_after(day, n) == expected


def test_zero_working_days_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="^n must be at least 1$"):
        cal.nth_working_day_after(date(2026, 11, 23), 0)


def test_local_day_uses_london_time_not_utc(cal: WorkingCalendar) -> None:
    # 23:30 UTC on 30 June is already 1 July in London (BST).
    assert cal.local_day(datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)) == date(2026, 7, 1)


def test_due_time_carries_the_summer_time_offset(cal: WorkingCalendar) -> None:
    due = cal.due_after_working_days(datetime(2026, 11, 23, 10, tzinfo=timezone.utc), 90, time(17))
    assert due.isoformat() == "2027-04-05T17:00:00+01:00"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 27), True),  # a Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 11, 30), True),  # a Monday (St Andrew's Day is a bank holiday in Scotland only)
        (date(2027, 3, 26), False),  # Good Friday
        (date(2027, 3, 29), False),  # Easter Monday: England and Wales, not Scotland
    ],
)
def test_a_working_day_is_monday_to_friday_less_english_bank_holidays(
    cal: WorkingCalendar, day: date, working: bool
) -> None:
    assert cal.is_working_day(day) is working


def test_one_working_day_is_the_least_that_can_be_asked_for(cal: WorkingCalendar) -> None:
    assert cal.nth_working_day_after(date(2026, 11, 27), 1) == date(2026, 11, 30)
    with pytest.raises(ValueError, match="^n must be at least 1$"):
        cal.nth_working_day_after(date(2026, 11, 27), -1)

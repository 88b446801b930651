"""A worker's lists beyond today (issue 23, item 9), the pure parts: the child's age as a worklist shows it (years, or
months under 2, as of today; birthdays, month ends and 29 February), the clock a request runs on in words (what
"Accept" commits to), and which requests a list shows (open ones always; finished ones received in the window)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.workdays import WorkingCalendar
from services.worklists.domain import child_age, clock_words
from services.worklists.rules import LIST_STATES, in_list, list_order_key, state_counts

UTC = timezone.utc


@pytest.mark.parametrize(("born", "today", "words"), [
    ("2026-03-04", date(2026, 3, 4), "Under 1 month"),  # born today
    ("2026-02-05", date(2026, 3, 4), "Under 1 month"),  # a day short of a month
    ("2026-02-04", date(2026, 3, 4), "1 month"),
    ("2025-03-05", date(2026, 3, 4), "11 months"),  # the day before the first birthday
    ("2025-03-04", date(2026, 3, 4), "12 months"),  # the first birthday: still in months
    ("2024-03-05", date(2026, 3, 4), "23 months"),  # the day before the second birthday
    ("2024-03-04", date(2026, 3, 4), "2 years"),  # the second birthday
    ("2014-03-05", date(2026, 3, 4), "11 years"),  # the day before a birthday
    ("2014-03-04", date(2026, 3, 4), "12 years"),  # the birthday itself
    ("2026-01-31", date(2026, 2, 28), "Under 1 month"),  # born on the 31st: a month is reached on 1 March
    ("2026-01-31", date(2026, 3, 1), "1 month"),
    ("2024-02-29", date(2026, 2, 28), "23 months"),  # a leap-day child: the birthday is 1 March in other years
    ("2024-02-29", date(2026, 3, 1), "2 years"),
    ("2012-02-29", date(2026, 2, 28), "13 years"),
    ("2012-02-29", date(2026, 3, 1), "14 years"),
    ("2012-02-29", date(2028, 2, 29), "16 years"),  # in a leap year, on the day
    ("2024-01-29", date(2024, 2, 29), "1 month"),  # a month on in a leap February
])
def test_a_childs_age_is_in_years_or_in_months_under_two(born: str, today: date, words: str) -> None:
    assert child_age(born, today) == words


@pytest.mark.parametrize("born", [None, "", "not a date", "2026-03-05", "2026-13-01"])
def test_no_readable_date_of_birth_before_today_is_no_age(born: str | None) -> None:
    """Not shared with the service (None), unreadable, or after today: no age rather than a wrong one."""
    assert child_age(born, date(2026, 3, 4)) is None


CALENDAR = WorkingCalendar()


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CALENDAR.tz)


@pytest.mark.parametrize(("received", "due_by", "priority", "words"), [
    # Wednesday 4 March 2026 + 10 working days: Wednesday 18 March
    (london(2026, 3, 4, 10, 30), london(2026, 3, 18, 17), "soon", "10 working days from when it was received"),
    (london(2026, 3, 4, 10, 30), london(2026, 3, 5, 17), "urgent", "1 working day from when it was received"),
    # over Easter 2026 (Good Friday 3 April, Easter Monday 6 April are not working days)
    (london(2026, 4, 2, 9), london(2026, 4, 9, 17), "soon", "3 working days from when it was received"),
    # received on a Saturday: the first working day is the Monday
    (london(2026, 3, 7, 11), london(2026, 3, 9, 17), "urgent", "1 working day from when it was received"),
    (london(2026, 3, 4, 10, 30), london(2026, 3, 4, 14, 30), "emergency", "4 hours from when it was received"),
    (london(2026, 3, 4, 10, 30), london(2026, 3, 4, 11, 30), "emergency", "1 hour from when it was received"),
])
def test_the_clock_in_words(received: datetime, due_by: datetime, priority: str, words: str) -> None:
    assert clock_words(received.astimezone(UTC), due_by.astimezone(UTC), priority, CALENDAR) == words


NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("status", "received_days_ago", "states", "days", "shown"), [
    ("created", 400, ("open",), 90, True),  # an open request is shown however long ago it came
    ("accepted", 400, ("open",), 30, True),
    ("completed", 10, ("open",), 90, False),  # the default: open ones only
    ("completed", 10, ("completed",), 90, True),
    ("completed", 89, ("completed",), 90, True),
    ("completed", 90, ("completed",), 90, True),  # received at the window's very start: in it
    ("completed", 91, ("completed",), 90, False),  # received before the window
    ("completed", 91, ("completed",), 365, True),
    ("declined", 31, ("declined", "redirected"), 30, False),
    ("redirected", 29, ("declined", "redirected"), 30, True),
    ("withdrawn", 5, ("completed", "declined", "redirected"), 90, False),
    ("withdrawn", 5, ("withdrawn",), 90, True),
    ("created", 5, ("completed",), 90, False),
])
def test_which_requests_a_list_shows(status: str, received_days_ago: int, states: tuple[str, ...], days: int,
                                     shown: bool) -> None:
    assert in_list(status, NOW - received_days_ago * DAY, states=states, days=days, now=NOW) is shown


def test_every_state_a_worker_can_ask_for() -> None:
    assert LIST_STATES == ("open", "completed", "declined", "redirected", "withdrawn")


def test_open_requests_come_first_in_queue_order_then_finished_ones_latest_first() -> None:
    rows = [  # (name, status, priority, due_by, updated_at)
        ("done-early", "completed", "urgent", NOW, NOW - 9 * DAY),
        ("routine", "created", "routine", NOW + DAY, NOW),
        ("done-late", "declined", "routine", NOW, NOW - DAY),
        ("urgent", "accepted", "urgent", NOW + 5 * DAY, NOW),
    ]
    ordered = sorted(rows, key=lambda r: list_order_key(r[1], r[2], r[3], r[4], r[0]))
    assert [r[0] for r in ordered] == ["urgent", "routine", "done-late", "done-early"]


def test_counts_per_state_in_the_window() -> None:
    rows = [("created", NOW - 400 * DAY), ("accepted", NOW), ("completed", NOW - 10 * DAY),
            ("completed", NOW - 100 * DAY), ("withdrawn", NOW - DAY), ("declined", NOW - 31 * DAY)]
    assert state_counts(rows, days=90, now=NOW) == {
        "open": 2, "completed": 1, "declined": 1, "redirected": 0, "withdrawn": 1}
    assert state_counts(rows, days=30, now=NOW)["declined"] == 0

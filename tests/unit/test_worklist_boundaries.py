"""Worklist rules at their edges: the exact due time, fractions of an hour, a priority the table does not know.
Found by `make mutate`."""

from datetime import datetime, timedelta, timezone

import pytest

from services.worklists.rules import is_breached, queue_order_key, time_left

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("status", "due", "breached"),
    [
        ("created", NOW, False),  # due now: not yet breached
        ("created", NOW - timedelta(seconds=1), True),
        ("redirected", NOW - timedelta(seconds=1), False),
    ],
)
def test_a_breach_starts_after_the_due_time_not_at_it(status: str, due: datetime, breached: bool) -> None:
    assert is_breached(status=status, due_by=due, now=NOW) is breached


@pytest.mark.parametrize(
    ("due", "overdue", "hours"),
    [
        (NOW, False, 0.0),  # at the due time: not overdue (as for breaches)
        (NOW + timedelta(minutes=30), False, 0.5),
        (NOW + timedelta(minutes=100), False, 1.7),  # rounded to a tenth of an hour
        (NOW + timedelta(hours=1000), False, 1000.0),
        (NOW - timedelta(minutes=6), True, -0.1),
    ],
)
def test_time_left_to_a_tenth_of_an_hour(due: datetime, overdue: bool, hours: float) -> None:
    left = time_left(due, NOW)
    assert (left.overdue, left.hours) == (overdue, hours)


def test_a_priority_the_table_does_not_know_sorts_after_routine() -> None:
    items = [("unknown", NOW, "a"), ("routine", NOW + timedelta(days=9), "b")]
    assert [i[2] for i in sorted(items, key=lambda i: queue_order_key(*i))] == ["b", "a"]

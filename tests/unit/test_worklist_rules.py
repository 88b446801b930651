from datetime import datetime, timedelta, timezone

import pytest

from services.worklists.rules import ActionRefusedError, check_action, is_breached, queue_order_key, time_left

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("action", "status", "held", "result"),
    [
        ("accept", "created", False, "accepted"),
        ("decline", "created", False, "declined"),
        ("redirect", "created", False, "redirected"),
        ("redirect", "accepted", False, "redirected"),
        ("complete", "accepted", False, "completed"),
        ("decline", "created", True, "declined"),
    ],
)
def test_allowed_transitions(action: str, status: str, held: bool, result: str) -> None:
    assert check_action(action, status=status, held=held) == result


@pytest.mark.parametrize(
    ("action", "status", "held", "why"),
    [
        ("accept", "created", True, "held"),
        ("complete", "created", False, "cannot complete"),
        ("accept", "accepted", False, "cannot accept"),
        ("decline", "completed", False, "cannot decline"),
        ("accept", "redirected", False, "cannot accept"),
    ],
)
def test_refused_transitions(action: str, status: str, held: bool, why: str) -> None:
    with pytest.raises(ActionRefusedError, match=why):
        check_action(action, status=status, held=held)


def test_queue_order_is_priority_then_due_date() -> None:
    items = [("routine", NOW, "a"), ("urgent", NOW + timedelta(days=1), "b"), ("urgent", NOW, "c"),
             ("emergency", NOW + timedelta(days=9), "d")]
    assert [i[2] for i in sorted(items, key=lambda i: queue_order_key(*i))] == ["d", "c", "b", "a"]


def test_time_left_and_overdue() -> None:
    assert time_left(NOW + timedelta(hours=5), NOW).text == "5 hours left"
    assert time_left(NOW + timedelta(days=3), NOW).text == "3 days left"
    late = time_left(NOW - timedelta(hours=30), NOW)
    assert late.overdue and late.text == "overdue by 30 hours"


@pytest.mark.parametrize(
    ("status", "due", "breached"),
    [("created", NOW - timedelta(minutes=1), True), ("created", NOW + timedelta(minutes=1), False),
     ("accepted", NOW - timedelta(days=5), False), ("declined", NOW - timedelta(days=5), False)],
)
def test_breach_means_not_accepted_by_the_due_date(status: str, due: datetime, breached: bool) -> None:
    assert is_breached(status=status, due_by=due, now=NOW) is breached

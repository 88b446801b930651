"""Report figures checked against a small data set worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.intake.reports import (
    ReferralRow,
    RequestRow,
    breaches,
    concerns_by_school,
    referrals_by_week,
    waiting_times,
)

MON = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)  # Monday 2 November 2026


def at(days: float) -> datetime:
    return MON + timedelta(days=days)


REFERRALS = [
    ReferralRow("r1", at(0), "routed", "Seaview Primary", ("anxiety", "housing")),
    ReferralRow("r2", at(2), "routed", "Seaview Primary", ("anxiety",)),
    ReferralRow("r3", at(6.5), "needs_information", "Eastwood Academy", ("stammering",)),  # Sunday 21:00: same week
    ReferralRow("r4", at(7), "routed", None, ("anxiety",)),  # the next Monday
]
# SALT waits (days): 1, 2, 3, 10 -> median (2+3)/2 = 2.5; p90 nearest rank ceil(0.9*4)=4 -> 10.
# SEMH waits: 5 -> median 5, p90 5. Early help: none accepted.
REQUESTS = [
    RequestRow("salt", "accepted", at(0), at(1), False),
    RequestRow("salt", "accepted", at(0), at(2), False),
    RequestRow("salt", "completed", at(2), at(5), True),
    RequestRow("salt", "accepted", at(7), at(17), True),
    RequestRow("semh", "accepted", at(0), at(5), False),
    RequestRow("early_help", "declined", at(2), None, False),
    RequestRow("early_help", "created", at(7), None, True),
]


def test_waiting_times_median_and_90th_percentile() -> None:
    assert waiting_times(REQUESTS) == [
        {"service": "salt", "accepted": 4, "median_days": 2.5, "p90_days": 10.0},
        {"service": "semh", "accepted": 1, "median_days": 5.0, "p90_days": 5.0},
    ]


def test_breaches_per_service() -> None:
    assert breaches(REQUESTS) == [
        {"service": "early_help", "requests": 2, "breached": 1},
        {"service": "salt", "requests": 4, "breached": 2},
        {"service": "semh", "requests": 1, "breached": 0},
    ]


def test_referrals_per_week_by_service_and_outcome() -> None:
    rows = {(r["week_starting"], r["service"], r["outcome"]): r["count"]
            for r in referrals_by_week(REFERRALS, REQUESTS)}
    assert rows == {
        ("2026-11-02", "all", "routed"): 2,
        ("2026-11-02", "all", "needs_information"): 1,
        ("2026-11-09", "all", "routed"): 1,
        ("2026-11-02", "salt", "accepted"): 2,
        ("2026-11-02", "salt", "completed"): 1,
        ("2026-11-09", "salt", "accepted"): 1,
        ("2026-11-02", "semh", "accepted"): 1,
        ("2026-11-02", "early_help", "declined"): 1,
        ("2026-11-09", "early_help", "created"): 1,
    }


def test_concerns_by_school() -> None:
    assert concerns_by_school(REFERRALS) == [
        {"school": "(no education setting)", "concern": "anxiety", "count": 1},
        {"school": "Eastwood Academy", "concern": "stammering", "count": 1},
        {"school": "Seaview Primary", "concern": "anxiety", "count": 2},
        {"school": "Seaview Primary", "concern": "housing", "count": 1},
    ]


def test_weeks_follow_london_time() -> None:
    sunday_late = datetime(2026, 6, 14, 23, 30, tzinfo=timezone.utc)  # already Monday 15 June in London (BST)
    rows = referrals_by_week([ReferralRow("x", sunday_late, "routed", None, ())], [])
    assert rows[0]["week_starting"] == "2026-06-15"

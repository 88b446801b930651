"""Report figures checked against a small data set worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.intake.reports.domain import (
    Change,
    DecisionRow,
    OverrideRow,
    ReferralRow,
    RequestRow,
    breaches,
    concerns_by_school,
    disagreement,
    how_changed,
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


# Disagreement: seven decisions, the rules each fired, and what people changed.
DECISIONS = [
    DecisionRow("d1", ("semh.specialist", "boost.looked_after", "consent.health_services")),
    DecisionRow("d2", ("semh.specialist", "consent.health_services")),
    DecisionRow("d3", ("salt.community",)),
    DecisionRow("d4", ("scope.out_of_scope",)),
    DecisionRow("d5", ("semh.early", "semh.early")),  # a rule listed twice fired in one decision
    DecisionRow("d6", ("semh.specialist",)),  # nobody overrode it
    DecisionRow("d7", ("early_help.family_support",)),  # nobody overrode it
]
OVERRIDES = [
    OverrideRow("d1", (Change("change_priority", "urgent", "routine"), Change("add_route"))),  # up, added
    OverrideRow("d1", (Change("withdraw_route"),)),  # a second decision on d1: withdrawn
    OverrideRow("d2", (Change("change_priority", "routine", "urgent"),)),  # down
    OverrideRow("d3", (Change("close"),)),  # closed
    OverrideRow("d4", (Change("add_route"),)),  # a manual decision on an out-of-scope referral: added
    OverrideRow("d5", (Change("change_priority", "soon", "soon"),  # the same priority: neither up nor down
                       Change("change_priority", "urgent", None))),  # the old priority unknown: not counted
    OverrideRow("dX", (Change("close"),)),  # a referral outside the period: not counted anywhere
]
# By hand:
#   semh.specialist          fired d1 d2 d6 = 3; overridden d1 d2 = 2; d1: up, added, withdrawn; d2: down
#   consent.health_services  fired d1 d2 = 2;    overridden 2;          the same changes as semh.specialist
#   boost.looked_after       fired d1 = 1;       overridden 1;          up, added, withdrawn
#   salt.community           fired d3 = 1;       overridden 1;          closed
#   scope.out_of_scope       fired d4 = 1;       overridden 1;          added
#   semh.early               fired d5 = 1 (once, though listed twice); overridden 1; nothing counted
#   early_help.family_support fired d7 = 1;      overridden 0
# Sorted by overridden (most first), then rule id.


def figures(rule: str, fired: int, overridden: int, added: int = 0, withdrawn: int = 0, up: int = 0, down: int = 0,
            closed: int = 0) -> dict[str, object]:
    return {"rule_id": rule, "fired": fired, "overridden": overridden, "route_added": added,
            "route_withdrawn": withdrawn, "priority_up": up, "priority_down": down, "closed": closed}


def test_disagreement_per_rule_matches_the_hand_worked_figures() -> None:
    assert disagreement(DECISIONS, OVERRIDES) == [
        figures("consent.health_services", 2, 2, added=1, withdrawn=1, up=1, down=1),
        figures("semh.specialist", 3, 2, added=1, withdrawn=1, up=1, down=1),
        figures("boost.looked_after", 1, 1, added=1, withdrawn=1, up=1),
        figures("salt.community", 1, 1, closed=1),
        figures("scope.out_of_scope", 1, 1, added=1),
        figures("semh.early", 1, 1),
        figures("early_help.family_support", 1, 0),
    ]


def test_disagreement_with_no_decisions_is_empty() -> None:
    assert disagreement([], OVERRIDES) == []


def test_a_priority_goes_up_towards_emergency() -> None:
    assert how_changed(Change("change_priority", "emergency", "urgent")) == "priority_up"
    assert how_changed(Change("change_priority", "urgent", "emergency")) == "priority_down"
    assert how_changed(Change("change_priority", "soon", "routine")) == "priority_up"
    assert how_changed(Change("change_priority", "routine", "soon")) == "priority_down"
    assert how_changed(Change("change_priority", "routine", "whatever")) is None
    assert how_changed(Change("something_else")) is None

"""Disclosure control in the commissioning reports: counts below the threshold suppressed, and no suppressed
count recoverable from a published total by subtraction (services.intake.reports, "disclosure control")."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from services.intake.reports import (
    ACCEPTED_STATUSES,
    ReferralRow,
    RequestRow,
    disagreement,
    disclosed,
    disclosed_disagreement,
    hidden_cells,
)
from tests.unit.test_reports import DECISIONS, OVERRIDES, REFERRALS, REQUESTS

MON = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)


def referrals(school: str, concerns: tuple[str, ...], n: int, day: float = 0) -> list[ReferralRow]:
    return [ReferralRow(f"{school}-{concerns}-{day}-{i}", MON + timedelta(days=day), "routed", school, concerns)
            for i in range(n)]


def row(rows: list[dict[str, Any]], **match: str) -> dict[str, Any]:
    [found] = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


@pytest.mark.parametrize(("counts", "groups", "hidden"), [
    ({"a": 1, "b": 7, "c": 9}, [["a", "b", "c"]], {"a", "b"}),  # one small: the smallest other is hidden too
    ({"a": 1, "b": 2, "c": 9}, [["a", "b", "c"]], {"a", "b"}),  # two small: nothing more
    ({"a": 4, "b": 5, "c": 5}, [["a", "b", "c"]], {"a", "b"}),  # first of equals
    ({"a": 0, "b": 7, "c": 9}, [["a", "b", "c"]], set()),  # zero is shown, and is no reason to hide another
    ({"a": 1, "b": 0, "c": 9}, [["a", "b", "c"]], {"a", "c"}),  # a zero is never the one hidden beside it
    ({"a": 3}, [["a"]], {"a"}),  # a total of 3 is suppressed itself: nothing to protect
    ({"a": 5, "b": 6}, [["a", "b"]], set()),  # nothing small
    # b is hidden for group 1, which leaves group 2 with one hidden: c (its smallest other) goes too
    ({"a": 1, "b": 6, "c": 8, "d": 20}, [["a", "b", "d"], ["b", "c"]], {"a", "b", "c"}),
])
def test_primary_and_secondary_suppression(counts: dict[str, int], groups: list[list[str]], hidden: set[str]) -> None:
    assert hidden_cells(counts, groups, 5) == hidden


def test_a_school_with_one_self_harm_referral_in_a_week_is_not_shown_as_one() -> None:
    data = (referrals("Seaview Primary", ("anxiety",), 7) + referrals("Eastwood Academy", ("self_harm",), 6)
            + referrals("Cliffside School", ("self_harm",), 1))
    out = disclosed(data, [], threshold=5)
    cliffside = row(out["concerns-by-school"], school="Cliffside School", concern="self_harm")
    assert cliffside == {"school": "Cliffside School", "concern": "self_harm", "count": None, "suppressed": True}
    # the self-harm total is 7: with Eastwood's 6 shown, Cliffside's would be 7 - 6; so Eastwood's is hidden too
    assert row(out["per_concern"], concern="self_harm") == {"concern": "self_harm", "count": 7, "suppressed": False}
    assert row(out["concerns-by-school"], school="Eastwood Academy")["count"] is None
    assert row(out["concerns-by-school"], school="Seaview Primary") == {
        "school": "Seaview Primary", "concern": "anxiety", "count": 7, "suppressed": False}
    assert out["per_week"] == [{"week_starting": "2026-11-02", "count": 14, "suppressed": False}]


def test_the_threshold_is_a_setting_and_one_suppresses_nothing() -> None:
    out = disclosed(REFERRALS, REQUESTS, threshold=1)
    assert not any(r["suppressed"] for name in ("referrals-by-week", "concerns-by-school", "waiting-times", "breaches",
                                                "per_week", "per_service", "per_concern") for r in out[name])
    assert out["waiting-times"][1] == {"service": "semh", "accepted": 1, "median_days": 5.0, "p90_days": 5.0,
                                       "suppressed": False}
    assert disclosed(REFERRALS, REQUESTS, threshold=3)["concerns-by-school"][2]["count"] is None  # Seaview's 2


def test_waits_over_few_requests_and_small_breach_counts_are_suppressed() -> None:
    out = disclosed(REFERRALS, REQUESTS, threshold=5)
    assert out["waiting-times"] == [  # SALT: 4 accepted, so its median would be nearly one child's wait
        {"service": "salt", "accepted": None, "median_days": None, "p90_days": None, "suppressed": True},
        {"service": "semh", "accepted": None, "median_days": None, "p90_days": None, "suppressed": True},
    ]
    assert out["breaches"] == [
        {"service": "early_help", "requests": None, "breached": None, "suppressed": True},
        {"service": "salt", "requests": None, "breached": None, "suppressed": True},
        {"service": "semh", "requests": None, "breached": 0, "suppressed": True},  # zero is shown
    ]


def test_disagreement_counts_are_suppressed_and_ordered_without_giving_them_away() -> None:
    rows = disagreement(DECISIONS, OVERRIDES)
    assert disclosed_disagreement(rows, 1) == [r | {"suppressed": False} for r in rows]
    out = disclosed_disagreement(rows, 3)
    assert [r["rule_id"] for r in out] == [  # overridden 1 or 2 all read "suppressed": by rule id; then 0
        "boost.looked_after", "consent.health_services", "salt.community", "scope.out_of_scope", "semh.early",
        "semh.specialist", "early_help.family_support"]
    assert row(out, rule_id="semh.specialist") == {
        "rule_id": "semh.specialist", "fired": 3, "overridden": None, "route_added": None, "route_withdrawn": None,
        "priority_up": None, "priority_down": None, "closed": 0, "suppressed": True}


@pytest.mark.parametrize("seed", range(40))
def test_no_published_total_gives_away_a_suppressed_count(seed: int) -> None:
    """Random small areas: every published total either is suppressed itself or holds no suppressed count, or two or
    more, so subtraction never recovers one; shown counts are the true ones."""
    rng = random.Random(seed)
    schools = [f"School {i}" for i in range(rng.randint(1, 6))]
    concerns = ["anxiety", "self_harm", "housing", "stammering"]
    refs = [ReferralRow(str(i), MON + timedelta(days=rng.randint(0, 20)), rng.choice(["routed", "closed"]),
                        rng.choice(schools), tuple(rng.sample(concerns, rng.randint(1, 2))))
            for i in range(rng.randint(1, 60))]
    reqs = [RequestRow(rng.choice(["salt", "semh"]), rng.choice(["created", "accepted", "completed", "declined"]),
                       r.submitted_at, None, rng.random() < 0.2) for r in refs]
    k = rng.randint(2, 6)
    out = disclosed(refs, reqs, threshold=k)
    truth = disclosed(refs, reqs, threshold=1)
    cells, true_cells = out["referrals-by-week"], truth["referrals-by-week"]
    key = ("week_starting", "service", "outcome")
    raw = {tuple(c[f] for f in key): c["count"] for c in true_cells}
    groups = [[c for c in cells if c["service"] == "all" and c["week_starting"] == week]
              for week in {c["week_starting"] for c in cells}]
    for service in {c["service"] for c in cells} - {"all"}:
        groups.append([c for c in cells if c["service"] == service])
        groups.append([c for c in cells if c["service"] == service and c["outcome"] in ACCEPTED_STATUSES])
    for group in groups:  # every total a week, a service or its accepted requests publishes
        if sum(raw[tuple(c[f] for f in key)] for c in group) >= k:  # a total shown
            assert sum(1 for c in group if c["suppressed"]) != 1, group
    pairs = {(c["school"], c["concern"]): c["count"] for c in truth["concerns-by-school"]}
    for concern in {c["concern"] for c in out["concerns-by-school"]}:
        group = [c for c in out["concerns-by-school"] if c["concern"] == concern]
        if sum(pairs[(c["school"], concern)] for c in group) >= k:
            assert sum(1 for c in group if c["suppressed"]) != 1, group
    every = cells + out["concerns-by-school"] + out["per_week"] + out["per_service"] + out["per_concern"]
    assert all(c["count"] is None or c["count"] == 0 or c["count"] >= k for c in every)
    assert all(c["count"] == raw[tuple(c[f] for f in key)] for c in cells if not c["suppressed"])
    assert [t["count"] for t in out["per_week"] if not t["suppressed"]] == [
        t["count"] for t in truth["per_week"] if t["count"] >= k]  # totals are true figures

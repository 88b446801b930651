"""Disclosure control in the commissioning reports: counts below the threshold suppressed, and no suppressed
count recoverable from a published total by subtraction (services.intake.reports.domain, "disclosure control")."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from services.intake.reports.domain import (
    ACCEPTED_STATUSES,
    ReferralRow,
    RequestRow,
    disagreement,
    disclosed,
    disclosed_disagreement,
    hidden_cells,
    suppression,
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


def test_a_total_whose_one_count_was_hidden_to_protect_another_is_withheld() -> None:
    hidden, withheld = suppression({"a": 1, "b": 6, "c": 7}, [["a", "b", "c"], ["b"], ["c"]], 5)
    assert hidden == {"a", "b"} and withheld == [False, True, False]  # ["b"]'s total would be b itself


def test_an_accepted_count_that_would_undo_the_protection_is_withheld() -> None:
    """SALT: 6 accepted in the first week, 1 declined there and 7 the next. The declined 1 is hidden, and the 6
    with it (else SALT's total 14 - 7 - 6 gives the 1 away); waiting-times' accepted (6) would give the 6 back."""
    week1, week2 = referrals("Seaview", ("anxiety",), 7), referrals("Seaview", ("anxiety",), 7, day=7)
    reqs = ([RequestRow("salt", "accepted", r.submitted_at, r.submitted_at + timedelta(days=2), False)
             for r in week1[:6]] + [RequestRow("salt", "declined", week1[6].submitted_at, None, False)]
            + [RequestRow("salt", "declined", r.submitted_at, None, False) for r in week2])
    out = disclosed(week1 + week2, reqs, threshold=5)
    assert [(r["outcome"], r["count"]) for r in out["referrals-by-week"] if r["service"] == "salt"] == [
        ("accepted", None), ("declined", None), ("declined", 7)]
    assert out["per_service"] == [{"service": "salt", "count": 14, "suppressed": False}]
    assert out["waiting-times"] == [
        {"service": "salt", "accepted": None, "median_days": None, "p90_days": None, "suppressed": True}]


def test_a_school_with_one_self_harm_referral_in_a_week_is_not_shown_as_one() -> None:
    data = (referrals("Seaview Primary", ("anxiety",), 7) + referrals("Eastwood Academy", ("self_harm",), 6)
            + referrals("Cliffside School", ("self_harm",), 1))
    out = disclosed(data, [], threshold=5)
    cliffside = row(out["concerns-by-school"], school="Cliffside School", concern="self_harm")
    assert cliffside == {"school": "Cliffside School", "concern": "self_harm", "count": None, "suppressed": True}
    # the self-harm total is 7: with Eastwood's 6 shown, Cliffside's would be 7 - 6; so Eastwood's is hidden too
    assert row(out["per_concern"], concern="self_harm") == {"concern": "self_harm", "count": 7, "suppressed": False}
    assert row(out["concerns-by-school"], school="Eastwood Academy", concern="self_harm")["count"] is None
    assert row(out["concerns-by-school"], school="Seaview Primary", concern="anxiety") == {
        "school": "Seaview Primary", "concern": "anxiety", "count": 7, "suppressed": False}
    assert out["per_week"] == [{"week_starting": "2026-11-02", "count": 14, "suppressed": False}]


def test_the_threshold_is_a_setting_and_one_suppresses_nothing() -> None:
    out = disclosed(REFERRALS, REQUESTS, threshold=1)
    assert not any(r["suppressed"] for name in ("referrals-by-week", "concerns-by-school", "waiting-times", "breaches",
                                                "per_week", "per_service", "per_concern") for r in out[name])
    assert out["waiting-times"][1] == {"service": "semh", "accepted": 1, "median_days": 5.0, "p90_days": 5.0,
                                       "suppressed": False}
    assert row(disclosed(REFERRALS, REQUESTS, threshold=3)["concerns-by-school"], school="Seaview Primary",
               concern="anxiety")["count"] is None  # Seaview's 2


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


@pytest.mark.parametrize("seed", range(60))
def test_no_published_total_gives_away_a_suppressed_count(seed: int) -> None:
    """Random small areas: a published total that is shown holds no suppressed count, or two or more, so subtraction
    never recovers one; shown counts and totals are the true ones."""
    rng = random.Random(seed)
    schools = [f"School {i}" for i in range(rng.randint(1, 6))]
    concerns = ["anxiety", "self_harm", "housing", "stammering"]
    refs = [ReferralRow(str(i), MON + timedelta(days=rng.randint(0, 20)), rng.choice(["routed", "closed"]),
                        rng.choice(schools), tuple(rng.sample(concerns, rng.randint(1, 2))))
            for i in range(rng.randint(1, 60))]
    reqs = []
    for r in refs:
        status = rng.choice(["created", "accepted", "completed", "declined", "redirected"])
        was_accepted = status in ("accepted", "completed") or (status == "redirected" and rng.random() < 0.5)
        reqs.append(RequestRow(rng.choice(["salt", "semh"]), status, r.submitted_at,
                               r.submitted_at + timedelta(days=1) if was_accepted else None, rng.random() < 0.2))
    k = rng.randint(2, 6)
    out, truth = disclosed(refs, reqs, threshold=k), disclosed(refs, reqs, threshold=1)
    cells, schools_out = out["referrals-by-week"], out["concerns-by-school"]

    def one_hidden(group: list[dict[str, Any]]) -> bool:
        return sum(1 for c in group if c["suppressed"]) == 1

    for total in out["per_week"]:
        group = [c for c in cells if c["service"] == "all" and c["week_starting"] == total["week_starting"]]
        assert total["suppressed"] or not one_hidden(group), (total, group)
    for total in out["per_service"]:
        group = [c for c in cells if c["service"] == total["service"]]
        assert total["suppressed"] or not one_hidden(group), (total, group)
        assert row(out["breaches"], service=total["service"])["requests"] == total["count"]
    for waits in out["waiting-times"]:
        for statuses in ACCEPTED_STATUSES:
            group = [c for c in cells if c["service"] == waits["service"] and c["outcome"] in statuses]
            assert waits["suppressed"] or not one_hidden(group), (waits, group)
    for total in out["per_concern"]:
        group = [c for c in schools_out if c["concern"] == total["concern"]]
        assert total["suppressed"] or not one_hidden(group), (total, group)
    labels = {"referrals-by-week": ("week_starting", "service", "outcome"), "concerns-by-school": ("school", "concern"),
              "per_week": ("week_starting",), "per_service": ("service",), "per_concern": ("concern",)}
    for name, label in labels.items():
        true_rows = {tuple(t[f] for f in label): t for t in truth[name]}
        assert len(true_rows) == len(out[name])
        for shown in out[name]:
            true = true_rows[tuple(shown[f] for f in label)]
            assert shown["count"] in (None, true["count"]) and (shown["count"] is None) == shown["suppressed"]
            assert shown["count"] is None or shown["count"] == 0 or shown["count"] >= k
    for shown, true in zip(out["waiting-times"], truth["waiting-times"], strict=True):
        assert shown == (true | {"suppressed": False} if not shown["suppressed"] else shown)
        assert shown["suppressed"] or shown["accepted"] >= k


def test_a_suppressed_cell_does_not_say_at_least_one() -> None:
    """Issue 20, item 9: listing only non-zero cells made "suppressed" mean 1 to 4 (Cliffside has a self-harm
    referral). Every cell of the published grid (each school in the period by each concern in it) is listed, and
    a zero is suppressed alike, so a suppressed cell may be none at all."""
    data = (referrals("Seaview Primary", ("anxiety",), 7) + referrals("Eastwood Academy", ("self_harm",), 6)
            + referrals("Cliffside School", ("self_harm",), 1) + referrals("Cliffside School", ("anxiety",), 6))
    out = disclosed(data, [], threshold=5)["concerns-by-school"]
    grid = {(r["school"], r["concern"]): r for r in out}
    assert len(grid) == len(out) == 6  # 3 schools x 2 concerns, each once
    assert grid[("Seaview Primary", "self_harm")] == {"school": "Seaview Primary", "concern": "self_harm",
                                                      "count": None, "suppressed": True}  # a zero, as the 1 reads
    assert grid[("Cliffside School", "self_harm")] == grid[("Seaview Primary", "self_harm")] | {
        "school": "Cliffside School"}
    # the anxiety total (13) with Seaview's 7 shown and Eastwood's 0 hidden would give the 0 back: Cliffside's 6 goes
    assert [grid[(s, "anxiety")]["count"] for s in ("Cliffside School", "Eastwood Academy", "Seaview Primary")] == [
        None, None, 7]
    assert not any(r["suppressed"] for r in disclosed(data, [], threshold=1)["concerns-by-school"])  # off: zeros shown

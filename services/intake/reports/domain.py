"""Commissioning reports (pure): referrals per week by service and outcome, waiting time to
acceptance per service, breaches per service, concerns by school, and the front door's disagreement
with the rules (how often people overrode the decisions each rule fired in). Weeks start on Monday, London time.
Percentiles use the nearest-rank method (the value at rank ceil(p/100 * n)), so every figure is one
of the observed waits and can be checked by hand."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ReferralRow:
    referral_id: str
    submitted_at: datetime
    outcome: str | None  # the decision's outcome; None while undecided
    school: str | None
    concerns: tuple[str, ...]


@dataclass(frozen=True)
class RequestRow:
    service: str
    status: str
    submitted_at: datetime  # the referral's
    accepted_at: datetime | None
    breached: bool


def week_of(instant: datetime) -> date:
    day = instant.astimezone(LONDON).date()
    return day - timedelta(days=day.weekday())


def referrals_by_week(referrals: list[ReferralRow], requests: list[RequestRow]) -> list[dict[str, Any]]:
    """Per week: referrals by decision outcome (service "all"), and service requests by service and status."""
    counts: Counter[tuple[date, str, str]] = Counter()
    for r in referrals:
        counts[(week_of(r.submitted_at), "all", r.outcome or "undecided")] += 1
    for q in requests:
        counts[(week_of(q.submitted_at), q.service, q.status)] += 1
    return [
        {"week_starting": week.isoformat(), "service": service, "outcome": outcome, "count": n}
        for (week, service, outcome), n in sorted(counts.items())
    ]


def nearest_rank(sorted_values: list[float], percent: float) -> float:
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def waiting_times(requests: list[RequestRow]) -> list[dict[str, Any]]:
    """Days from submission to acceptance, per service, over accepted requests."""
    waits: dict[str, list[float]] = {}
    for q in requests:
        if q.accepted_at is not None:
            waits.setdefault(q.service, []).append((q.accepted_at - q.submitted_at).total_seconds() / 86400)
    out = []
    for service, values in sorted(waits.items()):
        values.sort()
        middle = len(values) // 2
        median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        out.append({"service": service, "accepted": len(values), "median_days": round(median, 1),
                    "p90_days": round(nearest_rank(values, 90), 1)})
    return out


def breaches(requests: list[RequestRow]) -> list[dict[str, Any]]:
    counts = Counter(q.service for q in requests if q.breached)
    totals = Counter(q.service for q in requests)
    return [{"service": s, "requests": totals[s], "breached": counts[s]} for s in sorted(totals)]


def concerns_by_school(referrals: list[ReferralRow]) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter()
    for r in referrals:
        for concern in r.concerns:
            counts[(r.school or "(no education setting)", concern)] += 1
    return [{"school": school, "concern": concern, "count": n} for (school, concern), n in sorted(counts.items())]


def published_grid(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every school in `cells` by every concern in them, zeros included, sorted as `concerns_by_school`: the grid
    the report publishes, so that which cells are listed says nothing (issue 20, item 9)."""
    count = {(r["school"], r["concern"]): r["count"] for r in cells}
    schools = sorted({school for school, _ in count})
    concerns = sorted({concern for _, concern in count})
    return [{"school": s, "concern": c, "count": count.get((s, c), 0)} for s in schools for c in concerns]


PRIORITIES = ("emergency", "urgent", "soon", "routine")  # most urgent first
HOW = ("route_added", "route_withdrawn", "priority_up", "priority_down", "closed")


@dataclass(frozen=True)
class DecisionRow:
    referral_id: str
    rules: tuple[str, ...]  # the rule ids of triage's decision (its explanation)


@dataclass(frozen=True)
class Change:
    kind: str  # add_route | withdraw_route | change_priority | close
    priority: str | None = None  # change_priority: the new priority
    was: str | None = None  # change_priority: the request's priority before (None when unknown)


@dataclass(frozen=True)
class OverrideRow:
    referral_id: str
    changes: tuple[Change, ...]


def how_changed(change: Change) -> str | None:
    """Which column of the disagreement report a change counts in (None: a priority left as it was, or unknown)."""
    if change.kind == "change_priority":
        if change.priority not in PRIORITIES or change.was not in PRIORITIES or change.priority == change.was:
            return None
        return "priority_up" if PRIORITIES.index(change.priority) < PRIORITIES.index(change.was) else "priority_down"
    return {"add_route": "route_added", "withdraw_route": "route_withdrawn", "close": "closed"}.get(change.kind)


def disagreement(decisions: list[DecisionRow], overrides: list[OverrideRow]) -> list[dict[str, Any]]:
    """Per rule id: the decisions it fired in, how many of those a person overrode (one or more times), and
    every change people made to them, by kind. Most overridden first, then by rule id."""
    changes: dict[str, list[Change]] = {}
    for o in overrides:
        changes.setdefault(o.referral_id, []).extend(o.changes)
    rows: dict[str, dict[str, Any]] = {}
    for d in decisions:
        for rule in dict.fromkeys(d.rules):  # a rule counts once per decision
            row = rows.setdefault(rule, {"rule_id": rule, "fired": 0, "overridden": 0} | dict.fromkeys(HOW, 0))
            row["fired"] += 1
            if d.referral_id in changes:
                row["overridden"] += 1
                for how in filter(None, map(how_changed, changes[d.referral_id])):
                    row[how] += 1
    return sorted(rows.values(), key=lambda r: (-r["overridden"], r["rule_id"]))


REPORTS = {
    "referrals-by-week": lambda refs, reqs: referrals_by_week(refs, reqs),
    "waiting-times": lambda refs, reqs: waiting_times(reqs),
    "breaches": lambda refs, reqs: breaches(reqs),
    "concerns-by-school": lambda refs, reqs: concerns_by_school(refs),
}


# --- disclosure control: small numbers --------------------------------------------------------------------------
# Every count from 1 to threshold - 1 is suppressed (primary suppression); 0 is shown, since a zero names no child
# and hiding it would make "none" read as "a few". Where a published total holds exactly one suppressed count,
# the smallest shown count of the same total is suppressed too (secondary suppression), so no suppressed count
# can be worked out by subtraction; the totals themselves are true figures, suppressed only when small. In the
# API a suppressed value is null and its row says "suppressed": true; in CSV and on pages it reads "suppressed".
# One marker for both kinds: a secondary count is 5 or more, so "<5" would be false for it, and a marker of its own
# would give the primary one away (a pair adding up to 6 with the secondary known to be 5 or more is 1 and 5).

SUPPRESSED = "suppressed"
K = TypeVar("K")
# The requests `waiting-times` counts as accepted, by status: accepted and completed ones, and perhaps some redirected
# ones (a request can be redirected before or after acceptance), so both sets count as published totals.
ACCEPTED_STATUSES = (("accepted", "completed"), ("accepted", "completed", "redirected"))


def small(n: int | None, threshold: int) -> bool:
    return n is not None and 0 < n < threshold


def suppression(counts: Mapping[K, int], groups: Iterable[Iterable[K]], threshold: int, *,
                zeros: bool = False) -> tuple[set[K], list[bool]]:
    """The cells to suppress, and for each group (the cells of a published total) whether its total is withheld.
    Every small count is suppressed; then, while a group holds exactly one suppressed count, the smallest shown
    non-zero count of that group (first of equals) is suppressed too. A group left with exactly one suppressed count
    and nothing shown beside it (its one non-zero count was hidden to protect another total) has its total
    withheld, as has a small total.

    `zeros`: a grid listed whole, where a suppressed cell must not say "at least one". Then (with any suppression
    on, threshold above 1) the zero cells are suppressed alike after the above, and the secondary step runs again
    with them counted, so no total gives back a lone suppressed zero either (every choice above stays)."""
    groups = [list(group) for group in groups]
    hidden = {key for key, n in counts.items() if small(n, threshold)}
    members = [[key for key in group if counts.get(key, 0) > 0] for group in groups]
    _protect(counts, members, hidden)
    if zeros and threshold > 1:
        hidden |= {key for key, n in counts.items() if n == 0}
        members = [[key for key in group if key in counts] for group in groups]
        _protect(counts, members, hidden)
    withheld = [small(sum(counts[key] for key in group), threshold) or sum(key in hidden for key in group) == 1
                for group in members]
    return hidden, withheld


def _protect(counts: Mapping[K, int], members: list[list[K]], hidden: set[K]) -> None:
    """Secondary suppression, in place: while a group holds exactly one hidden cell and shows others, the smallest
    shown non-zero one (first of equals) is hidden too."""
    again = True
    while again:
        again = False
        for group in members:
            shown = [key for key in group if key not in hidden]
            if len(group) - len(shown) == 1 and (candidates := [key for key in shown if counts[key] > 0]):
                hidden.add(min(candidates, key=lambda key: counts[key]))
                again = True


def hidden_cells(counts: Mapping[K, int], groups: Iterable[Iterable[K]], threshold: int) -> set[K]:
    return suppression(counts, groups, threshold)[0]


def _total(n: int, withheld: bool) -> dict[str, Any]:
    return {"count": None, "suppressed": True} if withheld else {"count": n, "suppressed": False}


def _cells(rows: list[dict[str, Any]], key: tuple[str, ...], hidden: set[Any]) -> list[dict[str, Any]]:
    return [r | {"count": None, "suppressed": True} if tuple(r[k] for k in key) in hidden else r | {"suppressed": False}
            for r in rows]


def disclosed(referrals: list[ReferralRow], requests: list[RequestRow], threshold: int) -> dict[str, Any]:
    """The four reports and the totals the reports page charts, small numbers suppressed. Every figure comes from
    this one function, so a report and the overview suppress the same cells."""
    by_week = referrals_by_week(referrals, requests)
    key = ("week_starting", "service", "outcome")
    cell = {tuple(r[k] for k in key): r["count"] for r in by_week}
    weeks = sorted({week for week, service, _ in cell if service == "all"})
    services = sorted({service for _, service, _ in cell if service != "all"})
    groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {
        ("week", week): [k for k in cell if k[1] == "all" and k[0] == week] for week in weeks}
    groups |= {("service", s): [k for k in cell if k[1] == s] for s in services}
    groups |= {("accepted", s, i): [k for k in cell if k[1] == s and k[2] in statuses]
               for s in services for i, statuses in enumerate(ACCEPTED_STATUSES)}
    hidden, withheld_list = suppression(cell, groups.values(), threshold)
    withheld = dict(zip(groups, withheld_list, strict=True))

    schools = published_grid(concerns_by_school(referrals))
    pair = {(r["school"], r["concern"]): r["count"] for r in schools}
    concerns = list(dict.fromkeys(r["concern"] for r in concerns_by_school(referrals)))  # in the report's order
    hidden_pairs, concern_withheld = suppression(pair, [[k for k in pair if k[1] == c] for c in concerns], threshold,
                                                 zeros=True)

    def total(group: list[Any], counts: Mapping[Any, int]) -> int:
        return sum(counts[k] for k in group)

    per_concern = [{"concern": c, **_total(total([k for k in pair if k[1] == c], pair), w)}
                   for c, w in zip(concerns, concern_withheld, strict=True)]
    per_service = {s: _total(total(groups[("service", s)], cell), withheld[("service", s)]) for s in services}
    accepted_withheld = {s for (kind, s, *_), w in withheld.items() if kind == "accepted" and w}
    return {
        "referrals-by-week": _cells(by_week, key, hidden),
        "waiting-times": [_waits(r, threshold, r["service"] in accepted_withheld) for r in waiting_times(requests)],
        "breaches": [_counts(r | {"requests": per_service[r["service"]]["count"]}, ("breached",), threshold)
                     for r in breaches(requests)],
        "concerns-by-school": _cells(schools, ("school", "concern"), hidden_pairs),
        "per_week": [{"week_starting": w, **_total(total(groups[("week", w)], cell), withheld[("week", w)])}
                     for w in weeks],
        "per_service": [{"service": s, **per_service[s]} for s in services],
        # most first, then the suppressed ones, ties in the order the concerns-by-school report first lists them
        "per_concern": sorted(per_concern, key=lambda r: -(r["count"] if r["count"] is not None else 0.5)),
    }


def _counts(row: dict[str, Any], fields: Iterable[str], threshold: int) -> dict[str, Any]:
    """The row with each small count among `fields` suppressed (no published total adds these up); a value that
    is None already (a total withheld) counts as suppressed too."""
    out = dict(row)
    for name in fields:
        if small(row[name], threshold):
            out[name] = None
    return out | {"suppressed": any(value is None for value in out.values())}


def _waits(row: dict[str, Any], threshold: int, withheld: bool) -> dict[str, Any]:
    """A median or 90th percentile over fewer than `threshold` requests would be one child's wait: suppressed, as
    is a row whose accepted count is a total withheld to protect a suppressed count."""
    if small(row["accepted"], threshold) or withheld:
        return row | {"accepted": None, "median_days": None, "p90_days": None, "suppressed": True}
    return row | {"suppressed": False}


def disclosed_disagreement(rows: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The disagreement report, each small count suppressed; most overridden first, then the rules whose
    overridden count is suppressed, then those never overridden (by rule id within each)."""
    out = [_counts(r, ("fired", "overridden", *HOW), threshold) for r in rows]
    return sorted(out, key=lambda r: (-(r["overridden"] if r["overridden"] is not None else 0.5), r["rule_id"]))


"""Commissioning reports (pure): referrals per week by service and outcome, waiting time to
acceptance per service, breaches per service, concerns by school, and the front door's disagreement
with the rules (how often people overrode the decisions each rule fired in). Weeks start on Monday, London time.
Percentiles use the nearest-rank method (the value at rank ceil(p/100 * n)), so every figure is one
of the observed waits and can be checked by hand."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
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

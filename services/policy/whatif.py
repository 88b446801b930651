"""Policy what-if: decide each stored referral.submitted event under a baseline and a proposed ruleset and
say what would have changed. Pure: events and two compiled rulesets in, a WhatIf report out (no I/O, no
clock). Only ids, service names, priorities, rule ids and counts go into the report: no personal data."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from schemas.events import ReferralSubmitted, TriageDecision
from services.policy.engine import decide
from services.policy.ruleset import Ruleset

CLASSES = ("outcome_changed", "route_added", "route_removed", "pathway_changed", "priority_up", "priority_down",
           "due_date_moved", "held_changed", "dsr_changed", "missing_changed")
RANK = {"routine": 0, "soon": 1, "urgent": 2, "emergency": 3}
EXAMPLES = 10  # referral ids kept per change class
LONDON = ZoneInfo("Europe/London")


def changes(before: TriageDecision, after: TriageDecision) -> set[str]:
    """The change classes between two decisions on the same referral (empty: the same decision).
    A request is a (service, pathway): two requests to one service are compared each with its own. A request
    whose pathway changed is one left without its match on each side in the same service (paired in decision
    order); the rest without a match are routes added or removed."""
    found: set[str] = set()
    if before.outcome != after.outcome:
        found.add("outcome_changed")
    for a, b in _pairs(before, after, found):
        if a.pathway != b.pathway:
            found.add("pathway_changed")
        if RANK[b.priority] > RANK[a.priority]:
            found.add("priority_up")
        elif RANK[b.priority] < RANK[a.priority]:
            found.add("priority_down")
        if a.due_by != b.due_by:
            found.add("due_date_moved")
        if a.held != b.held:
            found.add("held_changed")
    if (before.dsr.candidate, before.dsr.suggested_rating) != (after.dsr.candidate, after.dsr.suggested_rating):
        found.add("dsr_changed")
    if sorted(before.missing) != sorted(after.missing):
        found.add("missing_changed")
    return found


def _pairs(before: TriageDecision, after: TriageDecision, found: set[str]) -> list[tuple[Any, Any]]:
    """The routes of the two decisions matched: by (service, pathway), then what is left of one service on both
    sides in order (a changed pathway); adds route_added / route_removed to `found` for the rest."""
    was, now = _by_request(before), _by_request(after)
    pairs = [(was[k], now[k]) for k in was.keys() & now.keys()]
    left_was = [r for k, r in was.items() if k not in now]
    left_now = [r for k, r in now.items() if k not in was]
    for service in dict.fromkeys(str(r.service) for r in left_was + left_now):
        olds = [r for r in left_was if str(r.service) == service]
        news = [r for r in left_now if str(r.service) == service]
        pairs += list(zip(olds, news, strict=False))
        if len(news) > len(olds):
            found.add("route_added")
        if len(olds) > len(news):
            found.add("route_removed")
    return pairs


def _by_request(decision: TriageDecision) -> dict[tuple[str, str], Any]:
    """The decision's routes by (service, pathway): the engine makes at most one route of each."""
    routes: dict[tuple[str, str], Any] = {}
    for route in decision.routes:
        routes.setdefault((str(route.service), str(route.pathway)), route)
    return routes


@dataclass
class Workload:
    """One service's requests in the period under one ruleset: in all, and by priority."""

    total: int = 0
    by_priority: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Acceptance:
    """The services' actual acceptance times: when each stored request was accepted, by (referral id, service),
    and each service's median time from submission to acceptance, for a route that has no accepted request."""

    accepted: dict[tuple[str, str], datetime] = field(default_factory=dict)
    median: dict[str, timedelta] = field(default_factory=dict)

    def at(self, referral_id: str, service: str, submitted_at: datetime) -> datetime | None:
        if (referral_id, service) in self.accepted:
            return self.accepted[(referral_id, service)]
        return submitted_at + self.median[service] if service in self.median else None


@dataclass
class WhatIf:
    baseline: str
    proposed: str
    referrals: int = 0
    first_day: date | None = None
    last_day: date | None = None
    changed: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    before: dict[str, Workload] = field(default_factory=dict)
    after: dict[str, Workload] = field(default_factory=dict)
    fired_before: Counter[str] = field(default_factory=Counter)
    fired_after: Counter[str] = field(default_factory=Counter)
    apart: dict[str, int] = field(default_factory=dict)  # redirects and persons' overrides: counted, not replayed
    acceptance: Acceptance | None = None  # None: no breach estimate
    breached_before: Counter[str] = field(default_factory=Counter)  # service -> requests past their due date
    breached_after: Counter[str] = field(default_factory=Counter)

    @property
    def weeks(self) -> float:
        if self.first_day is None or self.last_day is None:
            return 1.0
        return max(1.0, ((self.last_day - self.first_day).days + 1) / 7)

    def services(self) -> list[str]:
        return sorted(self.before.keys() | self.after.keys())

    def rules(self) -> list[tuple[str, int, int]]:
        """(rule id, fired before, fired after) for each rule that fires more or less often, largest change first."""
        ids = self.fired_before.keys() | self.fired_after.keys()
        b, a = self.fired_before, self.fired_after
        moved = [(r, b[r], a[r]) for r in ids if b[r] != a[r]]
        return sorted(moved, key=lambda t: (-abs(t[2] - t[1]), t[0]))

    def as_json(self) -> dict[str, Any]:
        weeks = self.weeks
        return {
            "baseline": self.baseline,
            "proposed": self.proposed,
            "period": {"first_day": _day(self.first_day), "last_day": _day(self.last_day), "weeks": round(weeks, 2)},
            "referrals": self.referrals,
            "changed": self.changed,
            "changes": {c: self.by_class[c] for c in CLASSES},
            "examples": {c: self.examples.get(c, []) for c in CLASSES},
            "services": {
                s: {
                    "before": _workload(self.before.get(s, Workload()), weeks),
                    "after": _workload(self.after.get(s, Workload()), weeks),
                    "breached": ({"before": self.breached_before[s], "after": self.breached_after[s]}
                                 if self.acceptance is not None else None),
                }
                for s in self.services()
            },
            "rules": [{"rule_id": r, "before": b, "after": a} for r, b, a in self.rules()],
            "reported_apart": dict(self.apart),
        }

    def table(self) -> str:
        weeks = self.weeks
        lines = [
            f"what-if: {self.baseline} -> {self.proposed}",
            f"{self.referrals} referrals from {_day(self.first_day)} to {_day(self.last_day)} ({weeks:.1f} weeks); "
            f"{self.changed} decisions change",
            "",
            f"{'change':<18}{'referrals':>10}  examples",
        ]
        for c in CLASSES:
            lines.append(f"{c:<18}{self.by_class[c]:>10}  {' '.join(self.examples.get(c, [])[:3])}")
        lines += ["", f"{'service':<14}{'before':>8}{'after':>8}{'/wk before':>12}{'/wk after':>11}  by priority"]
        for s in self.services():
            b, a = self.before.get(s, Workload()), self.after.get(s, Workload())
            pri = ", ".join(f"{p} {b.by_priority[p]}->{a.by_priority[p]}" for p in RANK
                            if b.by_priority[p] or a.by_priority[p])
            lines.append(f"{s:<14}{b.total:>8}{a.total:>8}{b.total / weeks:>12.1f}{a.total / weeks:>11.1f}  {pri}")
        if self.acceptance is not None:
            late = ", ".join(f"{s} {self.breached_before[s]}->{self.breached_after[s]}" for s in self.services())
            lines += ["", f"past their due date at the services' actual acceptance times (before -> after): {late}"]
        lines += ["", f"{'rule':<40}{'before':>8}{'after':>8}"]
        lines += [f"{r:<40}{b:>8}{a:>8}" for r, b, a in self.rules()] or ["(every rule fires as often as before)"]
        if self.apart:
            lines += ["", "reported apart (a person's decision, not replayed): "
                      + ", ".join(f"{k} {v}" for k, v in sorted(self.apart.items()))]
        return "\n".join(lines)

    def csv(self) -> str:
        """One table: section, key, sub-key, before, after."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["section", "key", "detail", "before", "after"])
        w.writerow(["summary", "referrals", "", self.referrals, self.referrals])
        w.writerow(["summary", "changed", "", 0, self.changed])
        for c in CLASSES:
            w.writerow(["change", c, " ".join(self.examples.get(c, [])), 0, self.by_class[c]])
        weeks = self.weeks
        for s in self.services():
            b, a = self.before.get(s, Workload()), self.after.get(s, Workload())
            w.writerow(["service", s, "total", b.total, a.total])
            w.writerow(["service", s, "per_week", round(b.total / weeks, 2), round(a.total / weeks, 2)])
            for p in RANK:
                w.writerow(["service", s, p, b.by_priority[p], a.by_priority[p]])
            if self.acceptance is not None:
                w.writerow(["service", s, "breached", self.breached_before[s], self.breached_after[s]])
        for rule, fired_before, fired_after in self.rules():
            w.writerow(["rule", rule, "", fired_before, fired_after])
        for k, v in sorted(self.apart.items()):
            w.writerow(["apart", k, "", v, v])
        return out.getvalue()


def html_report(report: WhatIf) -> str:
    """The report as a self-contained HTML page of tables (no script, no inline style: it passes a strict CSP)."""
    data = report.as_json()

    def table(caption: str, head: list[str], rows: list[list[Any]]) -> str:
        th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
        body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><caption>{escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    period = data["period"]
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>What-if: {escape(report.proposed)}</title></head><body><main>",
        f"<h1>What-if: {escape(report.baseline)} to {escape(report.proposed)}</h1>",
        f"<p>{report.referrals} referrals from {escape(str(period['first_day']))} to {escape(str(period['last_day']))}"
        f" ({period['weeks']} weeks): {report.changed} decisions change.</p>",
        table("Decisions that change, by class", ["Change", "Referrals", "Example referral ids"],
              [[c, data["changes"][c], " ".join(data["examples"][c])] for c in CLASSES]),
        table("Workload per service", ["Service", "Before", "After", "Per week before", "Per week after",
                                       *[f"{p} before/after" for p in RANK], "Past due before/after"],
              [[s, v["before"]["total"], v["after"]["total"], v["before"]["per_week"], v["after"]["per_week"],
                *[f"{v['before']['by_priority'][p]}/{v['after']['by_priority'][p]}" for p in RANK],
                f"{v['breached']['before']}/{v['breached']['after']}" if v["breached"] else "-"]
               for s, v in data["services"].items()]),
        table("Rules that fire more or less often", ["Rule", "Before", "After"],
              [[r["rule_id"], r["before"], r["after"]] for r in data["rules"]]),
        table("Reported apart (a person's decision, not replayed)", ["What", "Referrals"],
              [[k, v] for k, v in sorted(data["reported_apart"].items())]),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _workload(w: Workload, weeks: float) -> dict[str, Any]:
    return {"total": w.total, "per_week": round(w.total / weeks, 2), "by_priority": {p: w.by_priority[p] for p in RANK}}


def compare(events: Iterable[ReferralSubmitted], baseline: Ruleset, proposed: Ruleset, *,
            acceptance: Acceptance | None = None, progress: Callable[[int], None] = lambda done: None) -> WhatIf:
    """Decide every event under both rulesets and add up the differences (see WhatIf); with `acceptance`, also
    count the requests that would have been accepted after their due date."""
    report = WhatIf(baseline=f"{baseline.name} {baseline.version}", proposed=f"{proposed.name} {proposed.version}",
                    acceptance=acceptance)
    for n, event in enumerate(events, start=1):
        add(report, event, decide(event, baseline), decide(event, proposed))
        progress(n)
    return report


def add(report: WhatIf, event: ReferralSubmitted, before: TriageDecision, after: TriageDecision) -> None:
    report.referrals += 1
    day = event.submitted_at.astimezone(LONDON).date()
    report.first_day = day if report.first_day is None else min(report.first_day, day)
    report.last_day = day if report.last_day is None else max(report.last_day, day)
    found = changes(before, after)
    if found:
        report.changed += 1
    for c in found:
        report.by_class[c] += 1
        kept = report.examples.setdefault(c, [])
        if len(kept) < EXAMPLES:
            kept.append(str(event.referral_id))
    for decision, load, fired, breached in ((before, report.before, report.fired_before, report.breached_before),
                                            (after, report.after, report.fired_after, report.breached_after)):
        for route in decision.routes:
            w = load.setdefault(str(route.service), Workload())
            w.total += 1
            w.by_priority[str(route.priority)] += 1
            if report.acceptance is not None:
                at = report.acceptance.at(str(event.referral_id), str(route.service), event.submitted_at)
                if at is not None and at > route.due_by:
                    breached[str(route.service)] += 1
        fired.update({e.rule_id for e in decision.explanation})


def merge(reports: Iterable[WhatIf]) -> WhatIf:
    """One report from the reports of consecutive chunks of the same events (in their order), e.g. compared in
    parallel processes: the same as compare() over all the events at once (examples kept from the first chunks)."""
    parts = list(reports)
    if not parts:
        raise ValueError("no reports to merge")
    out = WhatIf(baseline=parts[0].baseline, proposed=parts[0].proposed, acceptance=parts[0].acceptance)
    for part in parts:
        out.referrals += part.referrals
        out.changed += part.changed
        days = [d for d in (out.first_day, part.first_day) if d is not None]
        out.first_day = min(days) if days else None
        days = [d for d in (out.last_day, part.last_day) if d is not None]
        out.last_day = max(days) if days else None
        out.by_class.update(part.by_class)
        for c, ids in part.examples.items():
            kept = out.examples.setdefault(c, [])
            kept.extend(ids[:EXAMPLES - len(kept)])
        for mine, theirs in ((out.before, part.before), (out.after, part.after)):
            for service, w in theirs.items():
                sum_ = mine.setdefault(service, Workload())
                sum_.total += w.total
                sum_.by_priority.update(w.by_priority)
        out.fired_before.update(part.fired_before)
        out.fired_after.update(part.fired_after)
        out.breached_before.update(part.breached_before)
        out.breached_after.update(part.breached_after)
        for k, v in part.apart.items():
            out.apart[k] = out.apart.get(k, 0) + v
    return out

"""What a what-if answer may disclose (pure): the same small-number rule as the reports
(services.intake.reports.domain.suppression, the one implementation), and example referral ids only for a role that may
open those referrals.

A what-if publishes figures in pairs, before and after, so besides the reports' published totals (a service's
requests are the sum of its requests by priority) each pair is a relation: after = before + the change. The change
is never shown, but subtracting the two would show it, so it takes part as a hidden-unless-large cell: a change of 1
to threshold - 1 (one probed referral's route) is a small count like any other, and one of the pair is hidden with
it. Every relation is a group whose total is known (zero: its cells add up), so a group may not hold exactly one
hidden count; `suppression` hides the smallest shown count of such a group until none does."""

from __future__ import annotations

import copy
from typing import Any

from schemas.labels import day, label
from services.common.csvfile import write_rows
from services.intake.reports.domain import SUPPRESSED, suppression

SIDES = ("before", "after")
CHANGES, REQUESTS = "Decisions that change", "Service requests"  # the CSV's sections


def disclosed_whatif(report: dict[str, Any], threshold: int, *, may_open_referrals: bool) -> dict[str, Any]:
    """`report` (WhatIf.as_json()) with every count it would be unsafe to show set to None, `"suppressed": true`
    when any is, the threshold, and the example ids only when `may_open_referrals`."""
    counts: dict[tuple[Any, ...], int] = {("referrals",): report["referrals"], ("changed",): report["changed"]}
    counts |= {("change", c): n for c, n in report["changes"].items()}
    counts |= {("apart", k): n for k, n in report["reported_apart"].items()}
    groups: list[list[tuple[Any, ...]]] = []

    def pair(key: tuple[Any, ...], before: int, after: int) -> None:
        b, a, d = (*key, "before"), (*key, "after"), (*key, "change")
        counts.update({b: before, a: after, d: abs(after - before)})
        groups.append([b, a, d])

    for s, sides in report["services"].items():
        for p in sides["before"]["by_priority"]:
            pair(("service", s, p), sides["before"]["by_priority"][p], sides["after"]["by_priority"][p])
        pair(("service", s, "total"), sides["before"]["total"], sides["after"]["total"])
        groups += [[("service", s, p, side) for p in sides[side]["by_priority"]] + [("service", s, "total", side)]
                   for side in SIDES]
        if sides["breached"] is not None:
            pair(("breached", s), sides["breached"]["before"], sides["breached"]["after"])
    for rule in report["rules"]:
        pair(("rule", rule["rule_id"]), rule["before"], rule["after"])
    hidden, _ = suppression(counts, groups, threshold)

    def shown(*key: Any) -> int | None:
        return None if key in hidden else counts[key]

    out = copy.deepcopy(report)
    if not may_open_referrals:
        out.pop("examples", None)
    out["referrals"], out["changed"] = shown("referrals"), shown("changed")
    out["changes"] = {c: shown("change", c) for c in report["changes"]}
    out["reported_apart"] = {k: shown("apart", k) for k in report["reported_apart"]}
    for s, sides in out["services"].items():
        for side in SIDES:
            w = sides[side]
            w["total"] = shown("service", s, "total", side)
            if w["total"] is None:
                w["per_week"] = None
            w["by_priority"] = {p: shown("service", s, p, side) for p in w["by_priority"]}
            w["suppressed"] = w["total"] is None or None in w["by_priority"].values()
        if sides["breached"] is not None:
            sides["breached"] = {side: shown("breached", s, side) for side in SIDES}
    out["rules"] = [r | {"before": shown("rule", r["rule_id"], "before"), "after": shown("rule", r["rule_id"], "after")}
                    for r in report["rules"]]
    out["small_number_threshold"] = threshold
    out["suppressed"] = bool(hidden & {k for k in counts if k[-1] != "change"})
    return out


def csv_of(answer: dict[str, Any]) -> str:
    """The disclosed answer as one table for a spreadsheet, in words (schemas.labels): section, what, detail, before
    (the rules in force) and after (the proposed rules); the period's days as "4 March 2026", a rule by its name with
    its id as the detail, "suppressed" for a hidden count. The JSON answer keeps the codes, for programs."""
    def cell(n: Any) -> Any:
        return SUPPRESSED if n is None else n

    examples, period = answer.get("examples", {}), answer["period"]
    submitted = (f"Referrals submitted from {day(period['first_day'])} to {day(period['last_day'])}"
                 if period["first_day"] else "Referrals submitted: none in the period")
    weeks = period["weeks"]
    rows: list[list[Any]] = [
        ["Summary", "The rules compared", "", answer["baseline"], answer["proposed"]],
        ["Summary", submitted, f"Over {weeks:g} week{'' if weeks == 1 else 's'}", cell(answer["referrals"]),
         cell(answer["referrals"])],
        ["Summary", "Decisions that change", "", 0, cell(answer["changed"])]]
    rows += [[CHANGES, label(c), " ".join(examples.get(c, [])), 0, cell(n)] for c, n in answer["changes"].items()]
    for s, sides in answer["services"].items():
        b, a = sides["before"], sides["after"]
        rows.append([REQUESTS, label(s), "All", cell(b["total"]), cell(a["total"])])
        rows.append([REQUESTS, label(s), "Per week", cell(b["per_week"]), cell(a["per_week"])])
        rows += [[REQUESTS, label(s), f"{label(p)} priority", cell(b["by_priority"][p]), cell(a["by_priority"][p])]
                 for p in b["by_priority"]]
        if sides["breached"] is not None:
            rows.append([REQUESTS, label(s), "Past their due date", cell(sides["breached"]["before"]),
                         cell(sides["breached"]["after"])])
    rows += [["Rules that fire more or less often", r.get("rule") or r["rule_id"], r["rule_id"], cell(r["before"]),
              cell(r["after"])] for r in answer["rules"]]
    rows += [["Reported apart: a person decided, not replayed", label(k), "", cell(v), cell(v)]
             for k, v in sorted(answer["reported_apart"].items())]
    return write_rows(["Section", "What", "Detail", "Before: the rules in force", "After: the proposed rules"], rows)

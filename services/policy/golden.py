"""Run worked cases through a ruleset and say which decisions differ from what the case expects,
so a council editing its policy sees exactly what its change does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import Ruleset

GOLDEN_CASES = Path(__file__).parent / "golden"
ROUTE_FIELDS = ("service", "pathway", "priority", "held", "due_by")


def comparable(decision: dict[str, Any]) -> dict[str, Any]:
    """The fields a worked case lists, due dates as instants."""
    return {
        "outcome": decision["outcome"],
        "routes": [
            {k: (datetime.fromisoformat(r[k]) if k == "due_by" else r[k]) for k in ROUTE_FIELDS}
            for r in decision["routes"]
        ],
        "missing": sorted(decision["missing"]),
        "dsr": {k: decision["dsr"][k] for k in ("candidate", "suggested_rating", "consent")},
    }


def _route_text(r: dict[str, Any]) -> str:
    held = ", held" if r["held"] else ""
    return f"{r['service']}/{r['pathway']} {r['priority']}{held} due {r['due_by'].isoformat()}"


@dataclass
class CaseReport:
    total: int = 0
    changed: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        expected = self.total - len(self.changed)
        out = [f"{self.total} worked cases: {expected} decide as expected, {len(self.changed)} changed"]
        for name, diffs in self.changed.items():
            out.append(f"  {name}:")
            out.extend(f"    {d}" for d in diffs)
        return out


def compare_cases(ruleset: Ruleset, folder: Path | None = None) -> CaseReport:
    report = CaseReport()
    for path in sorted((folder or GOLDEN_CASES).glob("*.json")):
        case = json.loads(path.read_text())
        got = comparable(decide(ReferralSubmitted.model_validate(case["event"]), ruleset).model_dump(mode="json"))
        want = comparable(case["expect"])
        report.total += 1
        diffs = differences(want, got)
        if diffs:
            report.changed[case.get("name", path.stem)] = diffs
    return report


def differences(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Plain-English differences: outcome, routes removed, added or changed (by service/pathway), missing, DSR."""
    diffs = []
    if want["outcome"] != got["outcome"]:
        diffs.append(f"outcome: {want['outcome']} -> {got['outcome']}")
    was = {(r["service"], r["pathway"]): r for r in want["routes"]}
    now = {(r["service"], r["pathway"]): r for r in got["routes"]}
    diffs += [f"route removed: {_route_text(was[k])}" for k in was if k not in now]
    diffs += [f"route added:   {_route_text(now[k])}" for k in now if k not in was]
    for k in was.keys() & now.keys():
        changes = [
            f"{attr} {_text(was[k][attr])} -> {_text(now[k][attr])}"
            for attr in ("priority", "held", "due_by")
            if was[k][attr] != now[k][attr]
        ]
        if changes:
            diffs.append(f"route changed: {k[0]}/{k[1]}: {', '.join(changes)}")
    if want["missing"] != got["missing"]:
        diffs.append(f"missing: {want['missing']} -> {got['missing']}")
    if want["dsr"] != got["dsr"]:
        diffs.append(f"dsr: {want['dsr']} -> {got['dsr']}")
    return diffs


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)

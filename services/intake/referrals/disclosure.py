"""What a referrer may see of a decision: nothing of other referrers' activity.

Triage decides with the child's history from the store (`History`: referrals in the last year, open services),
whoever made those referrals, and its explanation says so ("2 earlier referrals in the last year: ..."). A
referrer reading that learns that someone else (perhaps MASH) referred the child. So a referrer's view of a
decision words every reason that rests on the history without its details (HISTORY_WORDS, once), and drops the
ids of those rules from the routes, the register suggestion and people's disagreements; the front door and the
services keep the whole explanation.

Which rules rest on the history is read from the triage policy itself (RULESET_PATH, as triage reads it): a rule
whose condition, or `because` text, reads a history fact, directly or through a named condition, a variable such
a rule set, a rule that fired, or the routes such a rule added or dropped. A rule the policy does not know (a
decision under an older policy) is treated as resting on the history: nothing is shown that might disclose."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from services.common.settings import Settings
from services.policy.people import PERSONS_DECISION

# the facts triage takes from the store, not the referral
HISTORY_FACTS = frozenset({"prior", "open_services", "safeguarding_pending"})
HISTORY = "history"  # the rule id of the one line that stands for every reason resting on the history
HISTORY_WORDS = "The front door also took into account what it already knew about the child."
ROUTE_ACTIONS = frozenset({"route", "drop_routes"})


def _rules(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rules = [rule for stage in spec.get("stages") or [] for rule in stage.get("rules") or []]
    dsr = spec.get("dsr") or {}
    return rules + [r for r in (dsr.get("candidate"), *(dsr.get("ratings") or ()), *(dsr.get("consent") or ())) if r]


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return set()


def _actions(rule: dict[str, Any]) -> set[str]:
    return {key for action in rule.get("then") or [] if isinstance(action, dict) for key in action}


def _set_variables(rule: dict[str, Any]) -> set[str]:
    return {name for action in rule.get("then") or [] if isinstance(action, dict)
            for name in (action.get("set") or {})}


def history_rules(spec: dict[str, Any], facts: Iterable[str] = HISTORY_FACTS) -> frozenset[str]:
    """The ids of the rules of a ruleset file (as parsed) that rest on the child's history (pure)."""
    named = spec.get("conditions") or {}
    rules = _rules(spec)
    tainted_facts, tainted_rules, routes_tainted = set(facts), set[str](), False

    def reads(node: Any, seen: frozenset[str] = frozenset()) -> bool:
        if isinstance(node, list):
            return any(reads(n, seen) for n in node)
        if not isinstance(node, dict):
            return False
        if node.get("fact") in tainted_facts or (routes_tainted and "has_route" in node):
            return True
        fired = node.get("fired")
        if fired is not None and set(fired if isinstance(fired, list) else [fired]) & tainted_rules:
            return True
        name = node.get("is")
        if isinstance(name, str) and name not in seen and reads(named.get(name), seen | {name}):
            return True
        return any(reads(v, seen) for k, v in node.items() if k not in ("is", "fired"))

    changed = True
    while changed:
        changed = False
        for rule in rules:
            rule_id = str(rule.get("id"))
            if rule_id in tainted_rules:
                continue
            if reads(rule.get("when")) or reads(rule.get("then")) or _placeholders(str(rule.get("because", ""))) \
                    & tainted_facts:
                tainted_rules.add(rule_id)
                tainted_facts |= _set_variables(rule)
                routes_tainted = routes_tainted or bool(_actions(rule) & ROUTE_ACTIONS)
                changed = True
    return frozenset(tainted_rules)


def all_rules(spec: dict[str, Any]) -> frozenset[str]:
    return frozenset(rule["id"] for rule in _rules(spec) if "id" in rule)


@dataclass(frozen=True)
class Reader:
    """What one reader may see of decisions. `everything` (the front door, the services): as they are. Otherwise
    (a referrer) each reason resting on the history, or on a rule outside `known`, is replaced by HISTORY_WORDS
    once, and those rules' ids are left out wherever listed."""

    everything: bool
    known: frozenset[str] = frozenset()
    history: frozenset[str] = frozenset()

    def hidden(self, rule_id: str) -> bool:
        return not self.everything and (rule_id in self.history or rule_id not in self.known | {PERSONS_DECISION})

    def rule_ids(self, ids: Iterable[str] | None) -> list[str]:
        return [r for r in ids or () if not self.hidden(r)]

    def decision(self, decision: dict[str, Any] | None) -> dict[str, Any] | None:
        """A decision as intake keeps it (`decision_record`), as this reader may see it."""
        if decision is None or self.everything:
            return decision
        shown = dict(decision)
        explanation, worded = [], False
        for entry in decision.get("explanation") or []:
            if not self.hidden(entry["rule_id"]):
                explanation.append(entry)
            elif not worded:
                explanation.append({"rule_id": HISTORY, "because": HISTORY_WORDS})
                worded = True
        shown["explanation"] = explanation
        shown["routes"] = [route | {"reasons": self.rule_ids(route.get("reasons"))}
                           for route in decision.get("routes") or []]
        if isinstance(decision.get("dsr"), dict):
            shown["dsr"] = decision["dsr"] | {"reasons": self.rule_ids(decision["dsr"].get("reasons"))}
        if "disagreed_with" in decision:
            shown["disagreed_with"] = self.rule_ids(decision["disagreed_with"])
        return shown


FRONT_DOOR = Reader(everything=True)


def referrer(ruleset_path: str | None = None) -> Reader:
    """What a referrer may see, by the triage policy at `ruleset_path` (None: the one triage is configured with,
    RULESET_PATH, else its reference ruleset)."""
    known, history = policy(ruleset_path or _configured())
    return Reader(everything=False, known=known, history=history)


@cache
def _configured() -> str | None:
    path = Settings().ruleset_path
    return str(path) if path else None


@cache
def policy(path: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(every rule id, the rules resting on the history) of the triage policy at `path` (None: triage's
    reference ruleset), read once. A policy that cannot be read knows no rule: every reason is worded."""
    from services.policy.ruleset import DEFAULT_RULESET, RulesetError  # the file's location, and its bounded parser
    from services.policy.ruleset.load import parse_yaml

    where = Path(path or DEFAULT_RULESET)
    try:
        spec = parse_yaml(where.read_bytes(), str(where))  # within RULESET_MAX_NODES and _DEPTH, as triage reads it
    except (OSError, RulesetError):
        return frozenset(), frozenset()
    if not isinstance(spec, dict):
        return frozenset(), frozenset()
    return all_rules(spec), history_rules(spec)

"""Which rules of a ruleset rest on the child's history: the facts triage takes from the store, not the referral
(`HISTORY_FACTS`: referrals in the last year, open services, an undecided MASH request), read from the typed
ruleset (`ruleset_model`), never from its YAML.

A rule rests on the history when its condition, its actions' own conditions or its `because` text read a history
fact, directly or through a named condition, a variable such a rule set, a rule such a rule made fire, or the
routes such a rule added or dropped. Conditions are read generically: any node of the policy language whose field
`fact` names a fact reads it, so a new kind of condition built on facts is read without a change here. Intake hides
these reasons from referrers (they would tell a referrer about other referrers' activity)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from services.policy import ruleset_model as m
from services.policy.ruleset.check import placeholders

HISTORY_FACTS = frozenset({"prior", "open_services", "safeguarding_pending"})
ROUTE_ACTIONS = (m.RouteAction, m.DropRoutesAction)
# What the fall-through rule rests on: it gives its reason when no rule routed, asked for something or set the outcome.
DECIDING_ACTIONS = (*ROUTE_ACTIONS, m.MissingAction, m.OutcomeAction)


@dataclass
class Reads:
    """What a part of a rule reads."""

    facts: set[str] = field(default_factory=set)
    named: set[str] = field(default_factory=set)  # named conditions ({is: name})
    fired: set[str] = field(default_factory=set)  # rules it asks about ({fired: id})
    routes: bool = False  # the routes so far ({has_route: ...})


def reads(node: Any, into: Reads | None = None) -> Reads:
    """Everything `node` (a condition, an action, a list of them) reads, found by walking its fields."""
    found = into if into is not None else Reads()
    if isinstance(node, (list, tuple)):
        for item in node:
            reads(item, found)
        return found
    if isinstance(node, dict):
        for item in node.values():
            reads(item, found)
        return found
    if not isinstance(node, m.Node):
        return found
    if isinstance(node, m.Is):
        found.named.add(node.is_)
    elif isinstance(node, m.Fired):
        found.fired.add(node.fired)
    elif isinstance(node, m.HasRoute):
        found.routes = True
    fact = getattr(node, "fact", None)
    if isinstance(fact, str):
        found.facts.add(fact)
    for name in type(node).model_fields:
        reads(getattr(node, name), found)
    return found


def rules_of(source: m.RulesetFile) -> Iterator[m.Rule | m.DsrRule | m.FallThroughRule]:
    """Every rule of the ruleset: each stage's, the fall-through, then the register's."""
    for stage in source.stages:
        yield from stage.rules
    yield source.fall_through
    yield source.dsr.candidate
    yield from source.dsr.ratings
    yield from source.dsr.consent


def history_rules(source: m.RulesetFile, facts: Iterable[str] = HISTORY_FACTS) -> frozenset[str]:
    """The ids of the rules that rest on the child's history (pure)."""
    tainted_facts, tainted_rules, routes_tainted, decisions_tainted = set(facts), set[str](), False, False
    rules = [(rule, reads([getattr(rule, "when", None), getattr(rule, "then", [])]), set(placeholders(rule.because)))
             for rule in rules_of(source)]
    fall_through = source.fall_through.id

    def condition_tainted(found: Reads, seen: frozenset[str] = frozenset()) -> bool:
        if found.facts & tainted_facts or found.fired & tainted_rules or (routes_tainted and found.routes):
            return True
        return any(condition_tainted(reads(source.conditions.get(name)), seen | {name})
                   for name in found.named - seen)

    changed = True
    while changed:
        changed = False
        for rule, found, printed in rules:
            reached = condition_tainted(found) or (rule.id == fall_through and decisions_tainted)
            if rule.id in tainted_rules or not (reached or printed & tainted_facts):
                continue
            tainted_rules.add(rule.id)
            for action in getattr(rule, "then", []):
                if isinstance(action, m.SetAction):
                    tainted_facts |= set(action.set)
                routes_tainted = routes_tainted or isinstance(action, ROUTE_ACTIONS)
                decisions_tainted = decisions_tainted or isinstance(action, DECIDING_ACTIONS)
            changed = True
    return frozenset(tainted_rules)


def rule_ids(source: m.RulesetFile) -> frozenset[str]:
    return frozenset(rule.id for rule in rules_of(source))

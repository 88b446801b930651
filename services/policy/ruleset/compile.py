"""Compiling a checked ruleset into what the engine runs: each condition a closure over the decision's
State, each action an effect on it. `compile_ruleset` checks first (check.py), so the closures here
can assume every fact, group, variable and named condition they refer to exists."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import time
from typing import Any

from services.common.workdays import WorkingCalendar
from services.policy import ruleset_model as m
from services.policy.ruleset.check import RulesetError, check, placeholders, validated
from services.policy.ruleset.compiled import (
    Because,
    CompiledRule,
    CompiledStage,
    Effect,
    FallThrough,
    OutcomeRule,
    Ruleset,
    Test,
    waits_for_mash,
)
from services.policy.state import RouteDraft, State


def compile_ruleset(data: Any, *, source: str = "<data>", digest: str | None = None) -> Ruleset:
    """Check `data` (a parsed ruleset file) and compile it; RulesetError lists every problem found.
    `digest` (of the file's bytes) goes into the version; without it, a hash of `data` does."""
    spec = validated(data, source)
    problems = check(spec)
    if problems:
        raise RulesetError(source, problems)
    if digest is None:
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return _Compiler(spec).build(f"{spec.version}+{digest}")


class _Compiler:
    def __init__(self, spec: m.RulesetFile):
        self.spec = spec
        self.named: dict[str, Test] = {}

    def build(self, version: str) -> Ruleset:
        spec, due, dsr = self.spec, self.spec.due, self.spec.dsr
        for name, cond in spec.conditions.items():
            self.named[name] = self.condition(cond)
        hour, minute = (int(x) for x in due.time.split(":"))
        return Ruleset(
            name=spec.ruleset,
            version=version,
            source=spec,
            stages=tuple(self.stage(stage) for stage in spec.stages),
            service_order={s.value: i for i, s in enumerate(spec.services)},
            variables={name: var.default for name, var in spec.variables.items()},
            calendar=WorkingCalendar(
                country=due.holidays_country, subdivision=due.holidays_subdivision, timezone=due.timezone
            ),
            due_time=time(hour, minute),
            clocks=self._clocks(),
            fall_through=FallThrough(spec.fall_through.id, _because(spec.fall_through.because)),
            dsr_candidate=self.outcome_rule(dsr.candidate),
            dsr_ratings=tuple(self.outcome_rule(r, r.rating.value) for r in dsr.ratings),
            dsr_consent=tuple(self.outcome_rule(c, c.consent.value) for c in dsr.consent),
            sharing={svc.value: tuple(spec.sharing[svc]) for svc in spec.services},
        )

    def _clocks(self) -> dict[tuple[str, str], m.Clock]:
        """(service, priority) -> clock: the defaults, then each service's own."""
        due = self.spec.due
        clocks: dict[tuple[str, str], m.Clock] = {}
        tables = [(due.default, [s.value for s in self.spec.services])]
        tables += [(table, [svc.value]) for svc, table in due.services.items()]
        for table, services in tables:
            for priority, clock in table.items():
                for svc in services:
                    clocks[(svc, priority.value)] = clock
        return clocks

    # --- rules and actions --------------------------------------------------------------------

    def stage(self, stage: m.Stage) -> CompiledStage:
        rules = tuple(
            CompiledRule(
                id=rule.id,
                test=self.condition(rule.when),
                effects=tuple(self.action(a, rule.id) for a in rule.then),
                because=_because(rule.because),
                halts=any(isinstance(a, m.HaltAction) for a in rule.then),
                boosts=any(isinstance(a, m.BoostAction) for a in rule.then),
            )
            for rule in stage.rules
        )
        return CompiledStage(id=stage.id, first_only=stage.mode == "first", rules=rules)

    def outcome_rule(self, rule: m.DsrRule, value: str | None = None) -> OutcomeRule:
        return OutcomeRule(rule.id, self.condition(rule.when), _because(rule.because), value)

    def action(self, node: Any, rule_id: str) -> Effect:
        match node:
            case m.RouteAction(route=r):
                service, pathway, priority = r.service.value, r.pathway, r.priority.value
                hold_exempt = not waits_for_mash(self.spec.hold, service, priority)

                def add_route(s: State) -> None:
                    held = s.hold_by is not None and not hold_exempt
                    reasons = [rule_id] + ([s.hold_by] if held and s.hold_by else [])
                    s.add_route(RouteDraft(service, pathway, priority, held, reasons))

                return add_route
            case m.MissingAction(missing=item):
                only_if = self.condition(node.when) if node.when is not None else None

                def add_missing(s: State) -> None:
                    if only_if is None or only_if(s):
                        s.add_missing(item)

                return add_missing
            case m.SetAction():
                updates = dict(node.set)
                return lambda s: s.facts.update(updates)
            case m.HoldOthersAction():
                def hold_others(s: State) -> None:
                    s.hold_by = rule_id

                return hold_others
            case m.OutcomeAction():
                outcome = node.outcome.value

                def force(s: State) -> None:
                    s.forced_outcome = outcome

                return force
            case m.DropRoutesAction():
                selects = _selector(node.drop_routes)
                return lambda s: s.drop_routes(selects)
            case m.HaltAction() | m.BoostAction():
                return lambda s: None  # carried by the CompiledRule flags
        raise AssertionError(f"unhandled action {type(node).__name__}")

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, node: Any) -> Test:  # noqa: C901 - one case per condition kind
        match node:
            case m.AllOf():
                return _all_of(tuple(self.condition(c) for c in node.all))
            case m.AnyOf():
                return _any_of(tuple(self.condition(c) for c in node.any))
            case m.NotOf():
                inner = self.condition(node.not_)
                return lambda s: not inner(s)
            case m.Always():
                return lambda s: True
            case m.Intersects(intersects=t):
                groups = self.spec.groups
                wanted = frozenset(set(groups[t.group] if t.group is not None else t.values or []) - set(t.except_))
                fact = t.fact
                return lambda s: not wanted.isdisjoint(s.facts[fact])
            case m.Contains(contains=t):
                name, value = t.fact, t.value
                return lambda s: value in s.facts[name]
            case m.Eq(eq=t):
                name, value = t.fact, t.value
                return lambda s: s.facts[name] == value
            case m.In(in_=many):
                name, values = many.fact, frozenset(many.values)
                return lambda s: s.facts[name] in values
            case m.Lt(lt=t):
                name, value = t.fact, t.value
                return lambda s: s.facts[name] < value
            case m.Le(le=t):
                name, value = t.fact, t.value
                return lambda s: s.facts[name] <= value
            case m.Gt(gt=t):
                name, value = t.fact, t.value
                return lambda s: s.facts[name] > value
            case m.Ge(ge=t):
                name, value = t.fact, t.value
                return lambda s: s.facts[name] >= value
            case m.Fired(fired=rule_id):
                return lambda s: rule_id in s.fired
            case m.HasRoute():
                selects = _selector(node.has_route)
                return lambda s: any(selects(r) for r in s.routes)
            case m.Is():
                return self.named[node.is_]
        raise AssertionError(f"unhandled condition {type(node).__name__}")


def _because(text: str) -> Because:
    return Because(" ".join(text.split()), templated=bool(placeholders(text)))


# Conditions run for every rule of every decision: short fixed-arity closures avoid a generator
# per call, the largest cost of decide().
def _all_of(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda s: a(s) and b(s)
    if len(parts) == 3:
        a, b, c = parts
        return lambda s: a(s) and b(s) and c(s)
    a, rest = parts[0], _all_of(parts[1:])
    return lambda s: a(s) and rest(s)


def _any_of(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda s: a(s) or b(s)
    if len(parts) == 3:
        a, b, c = parts
        return lambda s: a(s) or b(s) or c(s)
    a, rest = parts[0], _any_of(parts[1:])
    return lambda s: a(s) or rest(s)


def _selector(sel: m.RouteSelector) -> Callable[[RouteDraft], bool]:
    services = frozenset(s.value for s in sel.services) if sel.services is not None else None
    pathways = frozenset(sel.pathways) if sel.pathways is not None else None
    excluded = frozenset(p.value for p in sel.exclude_priorities)
    held = sel.held

    def match(r: RouteDraft) -> bool:
        return (
            (services is None or r.service in services)
            and (pathways is None or r.pathway in pathways)
            and (held is None or r.held == held)
            and r.priority not in excluded
        )

    return match

"""Load, validate and compile a ruleset file into closures the engine runs.

A bad ruleset raises RulesetError listing every problem found, with where it is in the file, so
a service refuses to start with a message a front-door manager can act on.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schemas.enums import Priority
from services.common.workdays import WorkingCalendar
from services.triage import ruleset_model as m
from services.triage.facts import FACT_TYPES
from services.triage.state import RouteDraft, State

DEFAULT_RULESET = Path(__file__).parent / "rules" / "reference-v1.yaml"

Test = Callable[[State], bool]
Effect = Callable[[State], None]


class RulesetError(ValueError):
    """A ruleset that cannot be used; `problems` lists each one as 'where: what'."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"ruleset {source} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Because:
    """A rule's plain-English reason; `{fact}` placeholders are filled from the referral's facts."""

    text: str
    templated: bool

    def render(self, facts: dict[str, Any]) -> str:
        if not self.templated:
            return self.text
        return self.text.format_map({k: ", ".join(sorted(v)) if isinstance(v, frozenset) else v for k, v in facts.items()})


@dataclass(frozen=True)
class CompiledRule:
    id: str
    test: Test
    effects: tuple[Effect, ...]
    because: Because
    halts: bool
    boosts: bool


@dataclass(frozen=True)
class CompiledStage:
    id: str
    first_only: bool
    rules: tuple[CompiledRule, ...]


@dataclass(frozen=True)
class OutcomeRule:
    id: str
    test: Test
    because: Because
    value: str | None = None


@dataclass(frozen=True)
class Ruleset:
    """A compiled ruleset. `version` is stamped on every decision: semver plus a hash of the file."""

    name: str
    version: str
    source: m.RulesetFile
    stages: tuple[CompiledStage, ...]
    service_order: dict[str, int]
    variables: dict[str, str]
    calendar: WorkingCalendar
    due_time: time
    clocks: dict[tuple[str, str], m.Clock]
    dsr_candidate: OutcomeRule
    dsr_ratings: tuple[OutcomeRule, ...]
    dsr_consent: tuple[OutcomeRule, ...]
    sharing: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_ruleset(path: Path | str = DEFAULT_RULESET) -> Ruleset:
    """Read a YAML or JSON ruleset file and compile it; raise RulesetError when it is not valid."""
    path = Path(path)
    try:
        raw_text = path.read_bytes()
    except OSError as exc:
        raise RulesetError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise RulesetError(str(path), [f"not valid YAML or JSON: {exc}"]) from None
    digest = hashlib.sha256(raw_text).hexdigest()[:12]
    return compile_ruleset(data, source=str(path), digest=digest)


def compile_ruleset(data: Any, *, source: str = "<data>", digest: str | None = None) -> Ruleset:
    try:
        spec = m.RulesetFile.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(source, [_describe(err) for err in exc.errors(include_url=False)]) from None
    if digest is None:
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return _Compiler(spec, source).build(f"{spec.version}+{digest}")


def _describe(err: Any) -> str:
    # A tagged union repeats its tag in the location ("when.any.any.1"): drop the repeat.
    parts: list[str] = []
    for p in err["loc"]:
        if not parts or parts[-1] != str(p):
            parts.append(str(p))
    return f"{'.'.join(parts) or '(top)'}: {err['msg']}"


class _Compiler:
    """Turns the validated file into closures, collecting every semantic problem before failing."""

    def __init__(self, spec: m.RulesetFile, source: str):
        self.spec = spec
        self.source = source
        self.problems: list[str] = []
        self.fact_types = dict(FACT_TYPES)
        for name, var in spec.variables.items():
            if name in self.fact_types:
                self.problems.append(f"variables.{name}: clashes with a fact of the same name")
            if var.default not in var.values:
                self.problems.append(f"variables.{name}.default: {var.default!r} is not one of its values")
            self.fact_types[name] = ("enum", frozenset(var.values))
        self.rule_ids: set[str] = set()
        self.named: dict[str, Test] = {}

    def build(self, version: str) -> Ruleset:
        spec = self.spec
        self._check_groups()
        for name, cond in spec.conditions.items():
            self.named[name] = self.condition(cond, f"conditions.{name}")
        stages = tuple(self.stage(stage, f"stages[{i}]") for i, stage in enumerate(spec.stages))
        clocks = self._clocks()
        dsr = spec.dsr
        candidate = self.outcome_rule(dsr.candidate, "dsr.candidate")
        ratings = tuple(self.outcome_rule(r, f"dsr.ratings[{i}]", r.rating.value) for i, r in enumerate(dsr.ratings))
        consent = tuple(self.outcome_rule(c, f"dsr.consent[{i}]", c.consent.value) for i, c in enumerate(dsr.consent))
        sharing = self._sharing()
        try:
            calendar = WorkingCalendar(
                country=spec.due.holidays_country, subdivision=spec.due.holidays_subdivision, timezone=spec.due.timezone
            )
        except Exception as exc:  # unknown zone or holiday calendar: report, don't crash
            self.problems.append(f"due: cannot build the working-day calendar ({type(exc).__name__}: {exc})")
            calendar = WorkingCalendar()
        if self.problems:
            raise RulesetError(self.source, list(dict.fromkeys(self.problems)))
        hour, minute = (int(x) for x in spec.due.time.split(":"))
        return Ruleset(
            name=spec.ruleset,
            version=version,
            source=spec,
            stages=stages,
            service_order={s.value: i for i, s in enumerate(spec.services)},
            variables={name: var.default for name, var in spec.variables.items()},
            calendar=calendar,
            due_time=time(hour, minute),
            clocks=clocks,
            dsr_candidate=candidate,
            dsr_ratings=ratings,
            dsr_consent=consent,
            sharing=sharing,
        )

    # --- checks -------------------------------------------------------------------------------

    def _check_groups(self) -> None:
        vocabulary = frozenset().union(*(v for kind, v in FACT_TYPES.values() if kind == "set"))
        for name, members in self.spec.groups.items():
            for member in members:
                if member not in vocabulary:
                    self.problems.append(f"groups.{name}: {member!r} is not a known concern, risk, diagnosis or service")

    def _clocks(self) -> dict[tuple[str, str], m.Clock]:
        due = self.spec.due
        clocks: dict[tuple[str, str], m.Clock] = {}
        for where, table, services in [("due.default", due.default, [s.value for s in self.spec.services])] + [
            (f"due.services.{svc.value}", table, [svc.value]) for svc, table in due.services.items()
        ]:
            for priority, clock in table.items():
                if (clock.hours is None) == (clock.working_days is None):
                    self.problems.append(f"{where}.{priority.value}: give exactly one of hours or working_days")
                for svc in services:
                    clocks[(svc, priority.value)] = clock
        for svc in self.spec.services:
            for priority in Priority:
                if (svc.value, priority.value) not in clocks:
                    self.problems.append(f"due.default: no clock for priority {priority.value!r}")
                    return clocks
        return clocks

    def _sharing(self) -> dict[str, tuple[str, ...]]:
        from schemas.events import ServiceDetails

        known = set(ServiceDetails.model_fields)
        sharing: dict[str, tuple[str, ...]] = {}
        for svc in self.spec.services:
            fields = self.spec.sharing.get(svc)
            if fields is None:
                self.problems.append(f"sharing: no entry for service {svc.value!r}")
                continue
            for f in fields:
                if f not in known:
                    self.problems.append(f"sharing.{svc.value}: {f!r} is not a referral detail (see ServiceDetails)")
            sharing[svc.value] = tuple(fields)
        return sharing

    def _fact(self, name: str, where: str, kinds: tuple[str, ...]) -> tuple[str, frozenset[str]] | None:
        kind = self.fact_types.get(name)
        if kind is None:
            self.problems.append(f"{where}: unknown fact {name!r}")
            return None
        if kind[0] not in kinds:
            self.problems.append(f"{where}: fact {name!r} is {kind[0]}, this test needs {' or '.join(kinds)}")
            return None
        return kind

    def _check_value(self, fact: tuple[str, frozenset[str]], value: Any, where: str) -> None:
        kind, vocabulary = fact
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
        }.get(kind, isinstance(value, str) and value in vocabulary)
        if not ok:
            self.problems.append(f"{where}: {value!r} is not a possible value here")

    def _because(self, text: str, where: str) -> Because:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        for name in fields:
            if name not in self.fact_types:
                self.problems.append(f"{where}.because: {{{name}}} is not a fact")
        return Because(" ".join(text.split()), templated=bool(fields))

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, node: Any, where: str) -> Test:  # noqa: C901 - one branch per condition kind
        if isinstance(node, m.AllOf):
            return _all_of(tuple(self.condition(c, f"{where}.all[{i}]") for i, c in enumerate(node.all)))
        if isinstance(node, m.AnyOf):
            return _any_of(tuple(self.condition(c, f"{where}.any[{i}]") for i, c in enumerate(node.any)))
        if isinstance(node, m.NotOf):
            inner = self.condition(node.not_, f"{where}.not")
            return lambda s: not inner(s)
        if isinstance(node, m.Always):
            return lambda s: True
        if isinstance(node, m.Intersects):
            return self._intersects(node.intersects, f"{where}.intersects")
        if isinstance(node, m.Contains):
            t = node.contains
            fact = self._fact(t.fact, f"{where}.contains", ("set",))
            if fact:
                self._check_value(("enum", fact[1]), t.value, f"{where}.contains.value")
            name, value = t.fact, t.value
            return lambda s: value in s.facts[name]
        if isinstance(node, m.Eq):
            t = node.eq
            fact = self._fact(t.fact, f"{where}.eq", ("int", "bool", "enum"))
            if fact:
                self._check_value(fact, t.value, f"{where}.eq.value")
            name, value = t.fact, t.value
            return lambda s: s.facts[name] == value
        if isinstance(node, m.In):
            many = node.in_
            fact = self._fact(many.fact, f"{where}.in", ("int", "bool", "enum"))
            for i, v in enumerate(many.values):
                if fact:
                    self._check_value(fact, v, f"{where}.in.values[{i}]")
            name, values = many.fact, frozenset(many.values)
            return lambda s: s.facts[name] in values
        for cls, op in ((m.Lt, "lt"), (m.Le, "le"), (m.Gt, "gt"), (m.Ge, "ge")):
            if isinstance(node, cls):
                return self._compare(getattr(node, op), op, f"{where}.{op}")
        if isinstance(node, m.Fired):
            if node.fired not in self.rule_ids:
                self.problems.append(f"{where}.fired: {node.fired!r} is not a rule defined before this point")
            rule_id = node.fired
            return lambda s: rule_id in s.fired
        if isinstance(node, m.HasRoute):
            match = _selector(node.has_route)
            return lambda s: any(match(r) for r in s.routes)
        if isinstance(node, m.Is):
            test = self.named.get(node.is_)
            if test is None:
                self.problems.append(f"{where}.is: {node.is_!r} is not a condition defined above it under `conditions`")
                return lambda s: False
            return test
        raise AssertionError(f"unhandled condition {type(node).__name__}")

    def _intersects(self, t: m.SetTest, where: str) -> Test:
        fact = self._fact(t.fact, where, ("set",))
        if (t.group is None) == (t.values is None):
            self.problems.append(f"{where}: give exactly one of group or values")
            return lambda s: False
        if t.group is not None and t.group not in self.spec.groups:
            self.problems.append(f"{where}.group: {t.group!r} is not defined under `groups`")
            return lambda s: False
        members = set(self.spec.groups[t.group] if t.group is not None else t.values or [])
        for v in sorted(members | set(t.except_)):
            if fact:
                self._check_value(("enum", fact[1]), v, f"{where}")
        wanted = frozenset(members - set(t.except_))
        name = t.fact
        return lambda s: not wanted.isdisjoint(s.facts[name])

    def _compare(self, t: m.FactValue, op: str, where: str) -> Test:
        fact = self._fact(t.fact, where, ("int",))
        if fact:
            self._check_value(fact, t.value, f"{where}.value")
        name, value = t.fact, t.value
        return {
            "lt": lambda s: s.facts[name] < value,
            "le": lambda s: s.facts[name] <= value,
            "gt": lambda s: s.facts[name] > value,
            "ge": lambda s: s.facts[name] >= value,
        }[op]

    # --- rules and actions --------------------------------------------------------------------

    def stage(self, stage: m.Stage, where: str) -> CompiledStage:
        rules = []
        for i, rule in enumerate(stage.rules):
            rw = f"{where}.rules[{i}] ({rule.id})"
            if rule.id in self.rule_ids:
                self.problems.append(f"{rw}: rule id used twice")
            test = self.condition(rule.when, f"{rw}.when")
            effects = tuple(self.action(a, f"{rw}.then[{j}]", rule.id) for j, a in enumerate(rule.then))
            self.rule_ids.add(rule.id)
            rules.append(
                CompiledRule(
                    id=rule.id,
                    test=test,
                    effects=effects,
                    because=self._because(rule.because, rw),
                    halts=any(isinstance(a, m.HaltAction) for a in rule.then),
                    boosts=any(isinstance(a, m.BoostAction) for a in rule.then),
                )
            )
        return CompiledStage(id=stage.id, first_only=stage.mode == "first", rules=tuple(rules))

    def action(self, node: Any, where: str, rule_id: str) -> Effect:
        spec = self.spec
        if isinstance(node, m.RouteAction):
            r = node.route
            if r.service not in spec.services:
                self.problems.append(f"{where}.route.service: {r.service.value!r} is not listed under `services`")
            hold_exempt = r.service in spec.hold.exempt_services or r.priority in spec.hold.exempt_priorities
            service, pathway, priority = r.service.value, r.pathway, r.priority.value

            def add_route(s: State) -> None:
                held = s.hold_by is not None and not hold_exempt
                reasons = [rule_id] + ([s.hold_by] if held and s.hold_by else [])
                s.add_route(RouteDraft(service, pathway, priority, held, reasons))

            return add_route
        if isinstance(node, m.MissingAction):
            item = node.missing
            only_if = self.condition(node.when, f"{where}.when") if node.when is not None else None

            def add_missing(s: State) -> None:
                if only_if is None or only_if(s):
                    s.add_missing(item)

            return add_missing
        if isinstance(node, m.SetAction):
            for name, value in node.set.items():
                var = spec.variables.get(name)
                if var is None:
                    self.problems.append(f"{where}.set: {name!r} is not declared under `variables`")
                elif value not in var.values:
                    self.problems.append(f"{where}.set.{name}: {value!r} is not one of its values")
            updates = dict(node.set)
            return lambda s: s.facts.update(updates)
        if isinstance(node, m.HoldOthersAction):
            def hold(s: State) -> None:
                s.hold_by = rule_id

            return hold
        if isinstance(node, m.OutcomeAction):
            outcome = node.outcome.value

            def force(s: State) -> None:
                s.forced_outcome = outcome

            return force
        if isinstance(node, m.DropRoutesAction):
            match = _selector(node.drop_routes)
            return lambda s: s.drop_routes(match)
        if isinstance(node, (m.HaltAction, m.BoostAction)):
            return lambda s: None  # carried by the CompiledRule flags
        raise AssertionError(f"unhandled action {type(node).__name__}")

    def outcome_rule(self, rule: m.DsrRule, where: str, value: str | None = None) -> OutcomeRule:
        if rule.id in self.rule_ids:
            self.problems.append(f"{where}: rule id {rule.id!r} used twice")
        self.rule_ids.add(rule.id)
        return OutcomeRule(rule.id, self.condition(rule.when, f"{where}.when"), self._because(rule.because, where), value)


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

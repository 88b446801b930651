"""Checking a ruleset: the file's shape (the model in ruleset_model.py), then what the shape cannot say
(known facts and values, rules defined before use, a clock for every priority...). Every problem is
collected, each as 'where: what' with its place in the file, so one run lists all there is to fix."""

from __future__ import annotations

import string
from typing import Any

from pydantic import ValidationError

from schemas.enums import Concern, Priority
from schemas.events import ServiceDetails
from services.common.workdays import WorkingCalendar
from services.policy import ruleset_model as m
from services.policy.facts import FACT_TYPES

Fact = tuple[str, frozenset[str]]  # (kind, vocabulary), as in FACT_TYPES


class RulesetError(ValueError):
    """A ruleset that cannot be used; `problems` lists each one as 'where: what'."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"ruleset {source} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


def validated(data: Any, source: str) -> m.RulesetFile:
    """`data` as a RulesetFile; RulesetError listing every problem of shape when it is not one."""
    try:
        return m.RulesetFile.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(source, [_describe(err) for err in exc.errors(include_url=False)]) from None


# What to add when a section every ruleset needs is missing: "Field required" says too little to act on.
MISSING_SECTIONS = {
    "fall_through": "Every ruleset needs this rule: a referral no other rule sends anywhere or asks about goes to a"
    " person on the front door (outcome manual review), and its `because` says why in the decision. For example:"
    " fall_through: {id: fall_through.front_door_decides, because: \"What the referral describes meets no service's"
    " criteria here, so a person on the front door decides.\"}",
}


def _describe(err: Any) -> str:
    # A tagged union repeats its tag in the location ("when.any.any.1"): drop the repeat.
    parts: list[str] = []
    for p in err["loc"]:
        if not parts or parts[-1] != str(p):
            parts.append(str(p))
    where = ".".join(parts) or "(top)"
    if err["type"] == "missing" and where in MISSING_SECTIONS:
        return f"{where}: missing. {MISSING_SECTIONS[where]}"
    return f"{where}: {shape_words(err['type'], err['msg'])}"


# What the file's author reads (in `rules check` and on the what-if page), not the validation library's text.
TYPE_WORDS = {"missing": "missing: add it",
              "extra_forbidden": "is not something a ruleset can say here: check its spelling and its indentation",
              "model_type": "must be named settings (such as `version:` and `stages:`), not a list or a single value"}
PHRASES = (("Value error, ", ""), ("Input should be", "must be"), ("String should", "must"), ("List should", "must"),
           ("Dictionary should", "must"))


def shape_words(kind: str, message: str) -> str:
    """A shape problem in words: the kind's own words, or the library's message put as a rule ("must be …")."""
    if kind in TYPE_WORDS:
        return TYPE_WORDS[kind]
    for library, ours in PHRASES:
        message = message.replace(library, ours)
    return message


def check(spec: m.RulesetFile) -> list[str]:
    """Every problem the model's shape cannot catch, in file order, each once. Empty: the ruleset compiles."""
    return _Checker(spec).run()


def placeholders(text: str) -> list[str]:
    """The `{name}` fields of a `because` text."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


class _Checker:
    """Walks the file in the order the compiler does; a rule or condition is known once walked past."""

    def __init__(self, spec: m.RulesetFile):
        self.spec = spec
        self.problems: list[str] = []
        self.fact_types = dict(FACT_TYPES)
        for name, var in spec.variables.items():
            if name in self.fact_types:
                self.problems.append(f"variables.{name}: clashes with a fact of the same name")
            if var.default not in var.values:
                self.problems.append(f"variables.{name}.default: {var.default!r} is not one of its values")
            self.fact_types[name] = ("enum", frozenset(var.values))
        self.rule_ids: set[str] = set()
        self.named: set[str] = set()

    def run(self) -> list[str]:
        spec = self.spec
        self._groups()
        for name, cond in spec.conditions.items():
            self.condition(cond, f"conditions.{name}")
            self.named.add(name)
        for i, stage in enumerate(spec.stages):
            self.stage(stage, f"stages[{i}]")
        self._clocks()
        self.outcome_rule(spec.fall_through, "fall_through")
        self.outcome_rule(spec.dsr.candidate, "dsr.candidate")
        for i, rating in enumerate(spec.dsr.ratings):
            self.outcome_rule(rating, f"dsr.ratings[{i}]")
        for i, consent in enumerate(spec.dsr.consent):
            self.outcome_rule(consent, f"dsr.consent[{i}]")
        self._sharing()
        self._calendar()
        self._advice()
        return list(dict.fromkeys(self.problems))

    # --- the file's tables --------------------------------------------------------------------

    def _groups(self) -> None:
        vocabulary = frozenset().union(*(v for kind, v in FACT_TYPES.values() if kind == "set"))
        for name, members in self.spec.groups.items():
            for member in members:
                if member not in vocabulary:
                    self.problems.append(
                        f"groups.{name}: {member!r} is not a known concern, risk, diagnosis or service"
                    )

    def _clocks(self) -> None:
        due = self.spec.due
        priorities: set[tuple[str, str]] = set()
        for where, table, services in [("due.default", due.default, [s.value for s in self.spec.services])] + [
            (f"due.services.{svc.value}", table, [svc.value]) for svc, table in due.services.items()
        ]:
            for priority, clock in table.items():
                if (clock.hours is None) == (clock.working_days is None):
                    self.problems.append(f"{where}.{priority.value}: give exactly one of hours or working_days")
                priorities.update((svc, priority.value) for svc in services)
        for svc in self.spec.services:
            for priority in Priority:
                if (svc.value, priority.value) not in priorities:
                    self.problems.append(f"due.default: no clock for priority {priority.value!r}")
                    return

    def _sharing(self) -> None:
        known = set(ServiceDetails.model_fields)
        for svc in self.spec.services:
            fields = self.spec.sharing.get(svc)
            if fields is None:
                self.problems.append(f"sharing: no entry for service {svc.value!r}")
                continue
            for f in fields:
                if f not in known:
                    self.problems.append(f"sharing.{svc.value}: {f!r} is not a referral detail (see ServiceDetails)")

    def _advice(self) -> None:
        """Each advice list a service of the file; each concern a known one, under one service at most."""
        known = {c.value for c in Concern}
        under: dict[str, str] = {}
        for i, entry in enumerate(self.spec.advice.services):
            where = f"advice.services[{i}]"
            if entry.service not in self.spec.services:
                self.problems.append(f"{where}.service: {entry.service.value!r} is not listed under `services`")
            for concern in entry.concerns:
                if concern not in known:
                    self.problems.append(f"{where}.concerns: {concern!r} is not a known concern")
                elif concern in under:
                    self.problems.append(f"{where}.concerns: {concern!r} is already under {under[concern]}: a concern"
                                         " points to one service at most")
                else:
                    under[concern] = f"advice.services[{i}] ({entry.service.value})"

    def _calendar(self) -> None:
        due = self.spec.due
        try:
            WorkingCalendar(country=due.holidays_country, subdivision=due.holidays_subdivision, timezone=due.timezone)
        except Exception as exc:  # unknown zone or holiday calendar: report, don't crash
            self.problems.append(f"due: cannot build the working-day calendar ({type(exc).__name__}: {exc})")

    # --- rules --------------------------------------------------------------------------------

    def stage(self, stage: m.Stage, where: str) -> None:
        for i, rule in enumerate(stage.rules):
            rw = f"{where}.rules[{i}] ({rule.id})"
            if rule.id in self.rule_ids:
                self.problems.append(f"{rw}: rule id used twice")
            self.condition(rule.when, f"{rw}.when")
            for j, action in enumerate(rule.then):
                self.action(action, f"{rw}.then[{j}]")
            self.rule_ids.add(rule.id)  # after its own condition: a rule cannot test that it fired
            self._because(rule.because, rw)

    def outcome_rule(self, rule: m.DsrRule | m.FallThroughRule, where: str) -> None:
        if rule.id in self.rule_ids:
            self.problems.append(f"{where}: rule id {rule.id!r} used twice")
        self.rule_ids.add(rule.id)
        if isinstance(rule, m.DsrRule):
            self.condition(rule.when, f"{where}.when")
        self._because(rule.because, where)

    def action(self, node: Any, where: str) -> None:
        spec = self.spec
        match node:
            case m.RouteAction(route=route) if route.service not in spec.services:
                self.problems.append(f"{where}.route.service: {route.service.value!r} is not listed under `services`")
            case m.MissingAction(when=when) if when is not None:
                self.condition(when, f"{where}.when")
            case m.SetAction():
                for name, value in node.set.items():
                    var = spec.variables.get(name)
                    if var is None:
                        self.problems.append(f"{where}.set: {name!r} is not declared under `variables`")
                    elif value not in var.values:
                        self.problems.append(f"{where}.set.{name}: {value!r} is not one of its values")

    def _because(self, text: str, where: str) -> None:
        for name in placeholders(text):
            if name not in self.fact_types:
                self.problems.append(f"{where}.because: {{{name}}} is not a fact")

    # --- conditions ---------------------------------------------------------------------------

    def condition(self, node: Any, where: str) -> None:  # noqa: C901 - one case per condition kind
        match node:
            case m.AllOf():
                for i, part in enumerate(node.all):
                    self.condition(part, f"{where}.all[{i}]")
            case m.AnyOf():
                for i, part in enumerate(node.any):
                    self.condition(part, f"{where}.any[{i}]")
            case m.NotOf():
                self.condition(node.not_, f"{where}.not")
            case m.Intersects():
                self._intersects(node.intersects, f"{where}.intersects")
            case m.Contains(contains=t):
                fact = self._fact(t.fact, f"{where}.contains", ("set",))
                if fact:
                    self._value(("enum", fact[1]), t.value, f"{where}.contains.value")
            case m.Eq(eq=t):
                fact = self._fact(t.fact, f"{where}.eq", ("int", "bool", "enum"))
                if fact:
                    self._value(fact, t.value, f"{where}.eq.value")
            case m.In():
                fact = self._fact(node.in_.fact, f"{where}.in", ("int", "bool", "enum"))
                for i, v in enumerate(node.in_.values):
                    if fact:
                        self._value(fact, v, f"{where}.in.values[{i}]")
            case m.Lt() | m.Le() | m.Gt() | m.Ge():
                op = node.TAG
                t = getattr(node, op)
                fact = self._fact(t.fact, f"{where}.{op}", ("int",))
                if fact:
                    self._value(fact, t.value, f"{where}.{op}.value")
            case m.Fired() if node.fired not in self.rule_ids:
                self.problems.append(f"{where}.fired: {node.fired!r} is not a rule defined before this point")
            case m.Is() if node.is_ not in self.named:
                self.problems.append(f"{where}.is: {node.is_!r} is not a condition defined above it under `conditions`")

    def _intersects(self, t: m.SetTest, where: str) -> None:
        fact = self._fact(t.fact, where, ("set",))
        if (t.group is None) == (t.values is None):
            self.problems.append(f"{where}: give exactly one of group or values")
            return
        if t.group is not None and t.group not in self.spec.groups:
            self.problems.append(f"{where}.group: {t.group!r} is not defined under `groups`")
            return
        members = set(self.spec.groups[t.group] if t.group is not None else t.values or [])
        for v in sorted(members | set(t.except_)):
            if fact:
                self._value(("enum", fact[1]), v, where)

    def _fact(self, name: str, where: str, kinds: tuple[str, ...]) -> Fact | None:
        kind = self.fact_types.get(name)
        if kind is None:
            self.problems.append(f"{where}: unknown fact {name!r}")
            return None
        if kind[0] not in kinds:
            self.problems.append(f"{where}: fact {name!r} is {kind[0]}, this test needs {' or '.join(kinds)}")
            return None
        return kind

    def _value(self, fact: Fact, value: Any, where: str) -> None:
        kind, vocabulary = fact
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
        }.get(kind, isinstance(value, str) and value in vocabulary)
        if not ok:
            self.problems.append(f"{where}: {value!r} is not a possible value here")

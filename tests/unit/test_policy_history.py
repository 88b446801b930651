"""Which rules rest on the child's history, as the policy answers from its typed, compiled form
(services/policy/history.py): intake hides those reasons from referrers. Each case is a ruleset: the reference
file with the case's rules as its one stage (or as the register's rules)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, ClassVar

import pytest

from services.policy import ruleset_model as m
from services.policy.history import history_rules, reads, rule_ids
from services.policy.ruleset_conditions import FactValue, Node
from tests.cases import reference_ruleset

ROUTE = {"service": "semh", "pathway": "crisis", "priority": "urgent"}
FALL_THROUGH = "fall_through.front_door_decides"  # the shipped ruleset's: whether a referral falls through to a person


@cache
def reference() -> dict[str, Any]:
    return reference_ruleset()


def ruleset(rules: list[dict[str, Any]] | None = None, dsr: dict[str, Any] | None = None) -> m.RulesetFile:
    data = copy.deepcopy(reference())
    data["conditions"]["repeat"] = {"ge": {"fact": "prior", "value": 2}}
    if rules is not None:
        data["stages"] = [{"id": "s", "mode": "all", "rules": rules}]
    if dsr is not None:
        data["dsr"] = dsr
    return m.RulesetFile.model_validate(data)


def rule(rule_id: str, when: Any = None, then: Any = None, because: str = "Because.") -> dict[str, Any]:
    return {"id": rule_id, "when": when or {"always": True}, "then": then or [], "because": because}


CASES = [
    ("a rule testing the count of earlier referrals", [rule("r", {"ge": {"fact": "prior", "value": 2}})], {"r"}),
    ("a rule testing the services open for the child",
     [rule("r", {"contains": {"fact": "open_services", "value": "semh"}})], {"r"}),
    ("a `because` that prints the count", [rule("r", because="{prior} referrals before.")], {"r"}),
    ("a rule on the referral alone", [rule("r", {"lt": {"fact": "age", "value": 18}}, because="Aged {age}.")], set()),
    ("deep inside all/any/not", [rule("r", {"all": [{"any": [{"not": {"eq": {"fact": "prior", "value": 0}}}]}]})],
     {"r"}),
    ("through a named condition", [rule("r", {"is": "repeat"})], {"r"}),
    ("through a rule that fired", [rule("a", {"ge": {"fact": "prior", "value": 2}}), rule("b", {"fired": "a"})],
     {"a", "b"}),
    ("through a variable such a rule set",
     [rule("a", {"ge": {"fact": "prior", "value": 2}}, [{"set": {"level": "high"}}]),
      rule("b", {"eq": {"fact": "level", "value": "high"}}), rule("c", {"eq": {"fact": "age", "value": 3}})],
     {"a", "b"}),
    ("through a route such a rule added (and so whether nothing is sent anywhere: the fall-through)",
     [rule("a", {"ge": {"fact": "prior", "value": 2}}, [{"route": ROUTE}]),
      rule("b", {"has_route": {"services": ["semh"]}})], {"a", "b", FALL_THROUGH}),
    ("a boost changes no route's existence: has_route stays clean",
     [rule("a", {"ge": {"fact": "prior", "value": 2}}, [{"boost": True}]),
      rule("b", {"has_route": {"services": ["semh"]}})], {"a"}),
    ("in a `missing` action's own condition (and so whether nothing is asked for: the fall-through)",
     [rule("a", then=[{"missing": "consent", "when": {"ge": {"fact": "prior", "value": 1}}}])], {"a", FALL_THROUGH}),
    ("an outcome such a rule set decides whether the fall-through gives its reason",
     [rule("a", {"ge": {"fact": "prior", "value": 2}}, [{"outcome": "out_of_scope"}])], {"a", FALL_THROUGH}),
]


@pytest.mark.parametrize(("case", "rules", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_rules_resting_on_the_history(case: str, rules: list[dict[str, Any]], expected: set[str]) -> None:
    assert history_rules(ruleset(rules)) == expected


def test_the_register_rules_are_read_too() -> None:
    def dsr_rule(rule_id: str, when: Any = None, **more: str) -> dict[str, Any]:
        return {k: v for k, v in rule(rule_id, when).items() if k != "then"} | more

    dsr = {"candidate": dsr_rule("dsr.c"), "ratings": [dsr_rule("dsr.red", {"gt": {"fact": "prior", "value": 3}},
                                                                rating="red")],
           "consent": [dsr_rule("dsr.ok", consent="given")]}
    source = ruleset([rule("s.r")], dsr)
    assert history_rules(source) == {"dsr.red"}
    assert rule_ids(source) == {"s.r", FALL_THROUGH, "dsr.c", "dsr.red", "dsr.ok"}


class Since(Node):
    """A kind of condition the language does not have yet: the policy's reader must need no change for it."""

    TAG: ClassVar[str] = "since"
    since: FactValue


def test_a_new_kind_of_condition_that_reads_the_history_is_hidden_without_a_change_to_the_reader() -> None:
    source = ruleset([rule("plain"), rule("other", {"lt": {"fact": "age", "value": 18}})])
    stage = source.stages[0]
    new = stage.rules[0].model_copy(update={"when": Since(since=FactValue(fact="prior", value=1))})
    source = source.model_copy(update={"stages": [stage.model_copy(update={"rules": [new, stage.rules[1]]})]})
    assert reads(new.when).facts == {"prior"}
    assert history_rules(source) == {"plain"}

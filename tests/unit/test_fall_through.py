"""Issue 22, item 14: every decision says why. A referral no rule sends anywhere or asks about goes to a person on the
front door (outcome manual review); the ruleset's `fall_through` rule says so, in the decision's explanation like any
other rule's reason. `rules check` refuses a ruleset without it. The property over random events is in
test_explanation_properties.py."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from schemas import ReferralSubmitted
from services.policy import ruleset_model as m
from services.policy.engine import decide
from services.policy.history import history_rules, rule_ids
from services.policy.ruleset import RulesetError, compile_ruleset, load_ruleset
from tests.cases import GOLDEN, reference_ruleset

SHIPPED = load_ruleset()
FALL_THROUGH = SHIPPED.source.fall_through
WORDS = "What the referral describes meets no service's criteria here, so a person on the front door decides."


def event(name: str, **referral: Any) -> ReferralSubmitted:
    data = json.loads((GOLDEN / f"{name}.json").read_text())["event"]
    data["referral"] |= referral
    return ReferralSubmitted.model_validate(data)


def test_the_shipped_ruleset_s_fall_through_rule_says_why_a_person_decides() -> None:
    decision = decide(event("manual-review"), SHIPPED)
    assert decision.outcome == "manual_review"
    assert [(e.rule_id, e.because) for e in decision.explanation] == [("fall_through.front_door_decides", WORDS)]
    assert FALL_THROUGH.id == "fall_through.front_door_decides" and FALL_THROUGH.because == WORDS


def test_it_comes_after_the_stages_reasons_and_before_the_register_s() -> None:
    # an autistic child at risk of a placement breaking down: a register candidate, and no service's criteria met
    decision = decide(event("manual-review", risks=["placement_breakdown"], child=event("manual-review").referral.child
                            .model_dump(mode="json") | {"diagnoses": ["autism"]}), SHIPPED)
    ids = [e.rule_id for e in decision.explanation]
    assert decision.outcome == "manual_review"
    assert ids.index("fall_through.front_door_decides") == ids.index("dsr.candidate") - 1
    assert ids[-3:] == ["dsr.candidate", "dsr.rating_amber", "dsr.consent_given"]


@pytest.mark.parametrize("name", ["salt-community", "no-consent", "adult-out-of-scope", "emergency-plan"])
def test_a_decision_some_other_rule_made_does_not_carry_it(name: str) -> None:
    decision = decide(event(name), SHIPPED)
    assert decision.outcome != "manual_review"
    assert "fall_through.front_door_decides" not in [e.rule_id for e in decision.explanation]


def test_a_rule_that_sends_a_referral_to_a_person_itself_is_its_own_reason() -> None:
    data = reference_ruleset()
    data["stages"][0]["rules"].insert(0, {"id": "scope.unknown_school", "when": {"always": True},
                                          "then": [{"outcome": "manual_review"}, {"halt": True}],
                                          "because": "We do not know this school."})
    ruleset = compile_ruleset(data)
    decision = decide(event("salt-community"), ruleset)
    assert decision.outcome == "manual_review"
    assert [e.rule_id for e in decision.explanation] == ["scope.unknown_school"]


def test_its_because_may_name_a_fact_and_it_is_filled_in() -> None:
    data = reference_ruleset()
    data["fall_through"]["because"] = "Nothing fits a child aged {age}: a person decides."
    decision = decide(event("manual-review"), compile_ruleset(data))
    assert decision.explanation[-1].because == "Nothing fits a child aged 12: a person decides."


def problems(edit: Any) -> list[str]:
    data = reference_ruleset()
    edit(data)
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(data, source="council.yaml")
    return caught.value.problems


def test_rules_check_refuses_a_ruleset_without_it_saying_what_to_add() -> None:
    assert problems(lambda d: d.pop("fall_through")) == [
        "fall_through: missing. Every ruleset needs this rule: a referral no other rule sends anywhere or asks about"
        " goes to a person on the front door (outcome manual review), and its `because` says why in the decision."
        " For example: fall_through: {id: fall_through.front_door_decides, because: \"What the referral describes"
        " meets no service's criteria here, so a person on the front door decides.\"}"]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: d["fall_through"].update(id="semh.early"), "fall_through: rule id 'semh.early' used twice"),
    (lambda d: d["fall_through"].update(because="Aged {shoe_size}."),
     "fall_through.because: {shoe_size} is not a fact"),
    (lambda d: d["fall_through"].pop("because"), "fall_through.because: missing: add it"),
    (lambda d: d["fall_through"].update(when={"always": True}),
     "fall_through.when: is not something a ruleset can say here: check its spelling and its indentation"),
])
def test_rules_check_refuses_a_fall_through_rule_it_cannot_use(edit: Any, expected: str) -> None:
    assert expected in problems(edit)


def test_it_is_one_of_the_ruleset_s_rules_and_rests_on_the_history_only_through_the_routes() -> None:
    assert "fall_through.front_door_decides" in rule_ids(SHIPPED.source)
    assert "fall_through.front_door_decides" not in history_rules(SHIPPED.source)
    data = copy.deepcopy(reference_ruleset())
    # a route that only a child's earlier referrals bring: without it the referral may fall through
    data["stages"][0]["rules"].append({"id": "scope.repeat", "when": {"ge": {"fact": "prior", "value": 5}},
                                       "then": [{"route": {"service": "semh", "pathway": "camhs",
                                                           "priority": "routine"}}], "because": "Often referred."})
    assert "fall_through.front_door_decides" in history_rules(m.RulesetFile.model_validate(data))
    # or a missing item only the history asks for
    data = copy.deepcopy(reference_ruleset())
    data["stages"][0]["rules"].append({"id": "scope.repeat", "when": {"ge": {"fact": "prior", "value": 5}},
                                       "then": [{"missing": "consent"}], "because": "Often referred."})
    assert "fall_through.front_door_decides" in history_rules(m.RulesetFile.model_validate(data))
    # or its own words print a fact of the history
    data = copy.deepcopy(reference_ruleset())
    data["fall_through"]["because"] = "{prior} referrals before, and nothing fits: a person decides."
    assert "fall_through.front_door_decides" in history_rules(m.RulesetFile.model_validate(data))

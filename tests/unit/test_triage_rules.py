"""Behaviours of the reference policy beyond the worked cases, and of the ruleset language itself."""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, timezone
from typing import Any

import pytest

from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import RulesetError, compile_ruleset, load_ruleset
from tests.cases import reference_ruleset
from tests.factories import referral_body

RULESET = load_ruleset()
SUBMITTED = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)  # a Monday


def event(prior: int = 0, **changes: Any) -> ReferralSubmitted:
    rid = uuid.uuid4()
    return ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=SUBMITTED, referral_id=rid, correlation_id=rid, child_id=uuid.uuid4(),
        submitted_at=SUBMITTED, referral=referral_body(**changes), history={"prior_referrals_365d": prior},
    )


def routes(decision: Any) -> list[tuple[str, str, str, bool]]:
    return [(r.service.value, r.pathway, r.priority.value, r.held) for r in decision.routes]


def test_boost_raises_one_level_however_many_reasons_apply() -> None:
    # Looked after, a repeat referral and at risk of exclusion: still only routine -> soon.
    d = decide(event(prior=3, concerns=["stammering"], risks=["exclusion_risk"],
                     child__social_care_status="looked_after"), RULESET)
    assert routes(d) == [("salt", "community", "soon", False)]
    assert d.routes[0].reasons == ["salt.community", "boost.looked_after", "boost.repeat_referral",
                                   "boost.exclusion_risk"]


def test_boost_never_touches_safeguarding_or_urgent_routes() -> None:
    d = decide(event(prior=2, concerns=["domestic_abuse", "low_mood"], risks=["self_harm_recent"]), RULESET)
    assert routes(d) == [("safeguarding", "mash", "urgent", False), ("semh", "camhs", "urgent", True)]


def test_held_routes_survive_the_consent_gate_for_mash_to_decide() -> None:
    d = decide(event(consent__basis="none", risks=["missing_episodes"]), RULESET)
    assert [r[3] for r in routes(d)] == [False, True, True, True]
    assert d.missing == [] and d.outcome.value == "routed"


def test_without_consent_routes_are_dropped_and_consent_is_missing_once() -> None:
    d = decide(event(consent__basis="none"), RULESET)
    assert routes(d) == [] and d.missing == ["consent"] and d.outcome.value == "needs_information"


def test_a_young_person_can_consent_to_counselling_at_13_but_not_salt_until_16() -> None:
    born = date(2012, 6, 1).isoformat()  # 14 on the day
    d = decide(event(child__date_of_birth=born, concerns=["bereavement", "stammering"],
                     consent__basis="young_person"), RULESET)
    assert routes(d) == [("counselling", "individual", "routine", False)]
    assert d.missing == ["consent"]


def test_every_fired_rule_is_in_the_explanation_in_order() -> None:
    d = decide(event(concerns=["anxiety", "bereavement"], risks=["harm_or_abuse_disclosure"]), RULESET)
    ids = [e.rule_id for e in d.explanation]
    assert ids == ["safeguarding.mash", "semh.early", "counselling.individual"]


def test_decision_is_a_pure_function_of_event_and_ruleset() -> None:
    e = event(concerns=["anxiety", "housing"])
    assert decide(e, RULESET) == decide(copy.deepcopy(e), RULESET)


def ruleset_with(change: Any) -> dict[str, Any]:
    data = reference_ruleset()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["stages"][0]["rules"][0]["when"].update({"all": [{"eq": {"fact": "shoe_size", "value": 3}}]}),
         "unknown fact 'shoe_size'"),
        (lambda d: d["stages"][1]["rules"][0]["then"].append(
            {"route": {"service": "dentistry", "pathway": "x", "priority": "urgent"}}), "route.service"),
        (lambda d: d["stages"][2]["rules"][0]["then"].append({"set": {"semh_level": "extreme"}}),
         "'extreme' is not one of its values"),
        (lambda d: d["stages"][3]["rules"][1]["when"]["all"].append({"fired": "boost.looked_after"}),
         "is not a rule defined before this point"),
        (lambda d: d["stages"][1]["rules"].append(dict(d["stages"][1]["rules"][0])), "rule id used twice"),
        (lambda d: d["stages"][2]["rules"][0].update({"because": "Age {shoe} is odd"}), "{shoe} is not a fact"),
        (lambda d: d["stages"][4]["rules"][0]["when"].update({"all": [{"ge": {"fact": "concerns", "value": 3}}]}),
         "fact 'concerns' is set"),
        (lambda d: d["sharing"]["salt"].append("bank_details"), "'bank_details' is not a referral detail"),
        (lambda d: d.pop("boost"), "boost"),
        (lambda d: d["stages"][0].update({"mode": "some"}), "mode"),
    ],
)
def test_a_bad_ruleset_is_refused_with_a_clear_message(change: Any, problem: str) -> None:
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(ruleset_with(change))
    assert problem in str(caught.value)


def test_a_council_can_change_a_threshold_without_touching_python() -> None:
    def counselling_from_seven(d: dict[str, Any]) -> None:
        d["conditions"]["counselling_considered"]["all"][3] = {"ge": {"fact": "age", "value": 7}}

    edited = compile_ruleset(ruleset_with(counselling_from_seven))
    six_year_old = event(child__date_of_birth="2020-06-01", concerns=["bereavement"])
    assert routes(decide(six_year_old, RULESET)) == [("counselling", "family", "routine", False)]
    assert routes(decide(six_year_old, edited)) == []
    assert edited.version != RULESET.version

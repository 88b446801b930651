"""decide() and the ruleset compiler at their edges: due times in local time, the register suggestion when no
rating or consent rule applies, a rule that tests whether another fired. Found by `make mutate`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import Ruleset, compile_ruleset, load_ruleset
from tests.cases import reference_ruleset
from tests.factories import referral_body

MONDAY = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)
SUMMER = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)  # already 1 July in London


@pytest.fixture
def ruleset() -> Ruleset:
    """Compiled afresh for each test, so that the compiler runs inside the test."""
    return load_ruleset()


def reference(change: Any = None) -> Ruleset:
    data = reference_ruleset()
    if change:
        change(data)
    return compile_ruleset(data)


def event(at: datetime = MONDAY, **changes: Any) -> ReferralSubmitted:
    rid = uuid.uuid4()
    return ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=at, referral_id=rid, correlation_id=rid, child_id=uuid.uuid4(),
        submitted_at=at, referral=referral_body(**changes), history={"prior_referrals_365d": 0},
    )


def routes(decision: Any) -> list[tuple[str, str, str, bool]]:
    return [(r.service.value, r.pathway, r.priority.value, r.held) for r in decision.routes]


def test_an_emergency_is_due_hours_later_in_london_time(ruleset: Ruleset) -> None:
    d = decide(event(at=SUMMER, risks=["suicide_plan_or_intent"]), ruleset)
    crisis = next(r for r in d.routes if r.pathway == "crisis")
    assert crisis.due_by == SUMMER + timedelta(hours=4)
    assert crisis.due_by.isoformat() == "2026-07-01T04:30:00+01:00"


def test_a_register_candidate_gets_the_first_rating_and_consent_that_apply(ruleset: Ruleset) -> None:
    d = decide(event(child__diagnoses=["autism"], risks=["mh_admission_risk", "self_harm_recent"]), ruleset)
    assert (d.dsr.candidate, d.dsr.suggested_rating, d.dsr.consent) == (True, "red", "given")
    assert d.dsr.reasons == ["dsr.candidate", "dsr.rating_red", "dsr.consent_given"]
    assert [e.rule_id for e in d.explanation[-3:]] == d.dsr.reasons
    assert d.explanation[-2].because.startswith("At risk of admission with suicidal intent")


def test_without_fallback_rules_a_candidate_may_have_no_rating_and_no_consent() -> None:
    def no_fallbacks(data: dict[str, Any]) -> None:
        data["dsr"]["ratings"] = [r for r in data["dsr"]["ratings"] if r["id"] != "dsr.rating_green"]
        data["dsr"]["consent"] = [c for c in data["dsr"]["consent"] if c["id"] != "dsr.consent_needed"]
        data["dsr"]["candidate"]["because"] = "Aged {age}, with a learning disability and at risk."

    young = event(child__date_of_birth="2012-06-01", child__diagnoses=["learning_disability"],
                  risks=["criminal_justice_involvement"], consent__basis="young_person")
    d = decide(young, reference(no_fallbacks))
    assert (d.dsr.candidate, d.dsr.suggested_rating, d.dsr.consent) == (True, None, None)
    assert d.dsr.reasons == ["dsr.candidate"]
    assert d.explanation[-1].because == "Aged 14, with a learning disability and at risk."


def test_a_rule_can_depend_on_another_having_fired(ruleset: Ruleset) -> None:
    # Counselling for a primary-school child needs a parent's consent, unless MASH already holds the referral.
    d = decide(event(child__date_of_birth="2018-06-01", concerns=["bereavement"],
                     consent__basis="not_sought_safeguarding"), ruleset)
    assert routes(d) == [("safeguarding", "mash", "urgent", False), ("counselling", "family", "routine", True)]
    assert d.missing == []
    assert [r.reasons for r in d.routes] == [["safeguarding.mash"], ["counselling.family", "safeguarding.mash"]]


def test_a_safeguarding_hold_spares_emergencies(ruleset: Ruleset) -> None:
    d = decide(event(concerns=["domestic_abuse", "anxiety"], risks=["suicide_plan_or_intent"]), ruleset)
    assert routes(d) == [("safeguarding", "mash", "urgent", False), ("semh", "crisis", "emergency", False)]
    assert [r.reasons for r in d.routes] == [["safeguarding.mash"], ["semh.emergency"]]


@pytest.mark.parametrize(
    ("concerns", "missing", "routed"),
    [
        (["bereavement"], ["child_agreement"], []),
        # Early mental health needs: early support goes ahead, so the child's agreement is not asked for.
        (["anxiety", "bereavement"], [], [("semh", "early_support", "routine", False)]),
    ],
)
def test_a_missing_item_is_asked_for_only_when_its_own_condition_holds(
    ruleset: Ruleset, concerns: list[str], missing: list[str], routed: list[tuple[str, str, str, bool]]
) -> None:
    d = decide(event(concerns=concerns, consent__child_aware=False), ruleset)
    assert (d.missing, routes(d)) == (missing, routed)

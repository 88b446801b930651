"""What triage publishes for a referral and for a redirect (services/triage/outputs.py, pure): the decision and one
request per route, each id derived from the input event (a redelivery, before or after an upgrade, makes the very same
events), the register's person only where the register needs it, and for a redirect the target service only."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from schemas import ReferralRedirected, ReferralSubmitted
from schemas.enums import Outcome
from services.common.ids import derived_id
from services.policy.engine import decide, due_by
from services.policy.ruleset import load_ruleset
from services.triage.outputs import service_details, triage, triage_redirect
from tests.factories import referral_body

RULES = load_ruleset()
SUBMITTED = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)  # a Monday
NOW = SUBMITTED + timedelta(days=3, hours=2)


def submitted(pending: bool = False, **changes: Any) -> ReferralSubmitted:
    rid = uuid.uuid4()
    return ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=SUBMITTED, referral_id=rid, correlation_id=rid, child_id=uuid.uuid4(),
        submitted_at=SUBMITTED, referral=referral_body(**changes),
        history={"prior_referrals_365d": 0, "safeguarding_pending": pending},
    )


def redirected(event: ReferralSubmitted, to: str, *, from_service: str = "semh") -> ReferralRedirected:
    return ReferralRedirected(
        event_id=uuid.uuid4(), occurred_at=NOW, correlation_id=event.referral_id, referral_id=event.referral_id,
        child_id=event.child_id, submitted_at=event.submitted_at, referral=event.referral, history=event.history,
        redirect={"from_service": from_service, "from_request_id": uuid.uuid4(), "to_service": to},
    )


def test_the_decision_and_its_requests_carry_ids_derived_from_the_event() -> None:
    event = submitted(concerns=["stammering", "housing"])
    decided, requests = triage(event, RULES, now=NOW)
    assert decided.event_id == derived_id(event.event_id, "triage.decided")
    assert (decided.correlation_id, decided.occurred_at, decided.redirect_of) == (event.referral_id, NOW, None)
    assert [(r.service.value, r.pathway) for r in decided.routes] == [("salt", "community"),
                                                                       ("early_help", "family_support")]
    for route, request in zip(decided.routes, requests, strict=True):
        assert route.service_request_id == request.service_request_id == derived_id(
            event.event_id, "request", route.service.value, route.pathway)
        assert request.event_id == derived_id(event.event_id, "service_request.created", route.service.value,
                                              route.pathway)
        assert (request.referral_id, request.child_id, request.correlation_id) == (
            event.referral_id, event.child_id, event.referral_id)
        assert (request.service, request.pathway, request.priority, request.due_by, request.held) == (
            route.service, route.pathway, route.priority, route.due_by, route.held)
        assert [e.rule_id for e in request.reasons] == route.reasons
        assert request.details == service_details(event.referral, RULES.sharing[route.service.value])
    assert triage(event, RULES, now=NOW) == (decided, requests)


def test_only_a_register_candidate_s_decision_names_the_child() -> None:
    candidate = submitted(child__diagnoses=["autism"], risks=["mh_admission_risk"], child__nhs_number="9434765919")
    decided, _ = triage(candidate, RULES, now=NOW)
    assert decided.dsr.candidate and decided.dsr.person is not None
    child = candidate.referral.child
    assert (decided.dsr.person.given_name, decided.dsr.person.family_name, decided.dsr.person.date_of_birth,
            decided.dsr.person.nhs_number) == (child.given_name, child.family_name, child.date_of_birth,
                                               child.nhs_number)
    assert decided.dsr.person.has_ehcp is False
    with_plan = submitted(child__diagnoses=["autism"], risks=["mh_admission_risk"], child__sen_status="ehcp")
    assert triage(with_plan, RULES, now=NOW)[0].dsr.person.has_ehcp is True  # type: ignore[union-attr]
    not_candidate, _ = triage(submitted(concerns=["stammering"]), RULES, now=NOW)
    assert not not_candidate.dsr.candidate and not_candidate.dsr.person is None


def test_a_redirect_takes_the_policy_s_own_route_at_the_target_with_the_hop_first() -> None:
    event = submitted(concerns=["stammering", "housing"])
    redirect = redirected(event, "salt", from_service="early_help")
    decided, requests = triage_redirect(redirect, RULES, now=NOW)
    full = decide(event, RULES, decided_at=NOW)
    own = next(r for r in full.routes if r.service.value == "salt")
    assert [(r.service.value, r.pathway, r.priority, r.due_by, r.held) for r in decided.routes] == [
        ("salt", own.pathway, own.priority, own.due_by, False)]
    assert decided.routes[0].reasons == ["redirect.early_help", *own.reasons]
    assert [(e.rule_id, e.because) for e in decided.explanation] == [
        ("redirect.early_help", "Redirected by early_help to salt."),
        *((e.rule_id, e.because) for e in full.explanation if e.rule_id in own.reasons)]
    assert decided.outcome == Outcome.routed and decided.missing == []
    assert decided.redirect_of == redirect.redirect.from_request_id
    assert decided.event_id == derived_id(redirect.event_id, "triage.decided")
    assert [r.service_request_id for r in requests] == [derived_id(redirect.event_id, "request", "salt", own.pathway)]
    assert [e.rule_id for e in requests[0].reasons] == decided.routes[0].reasons


def test_a_redirect_where_the_policy_routes_nowhere_takes_the_ruleset_s_pathway_at_routine_from_now() -> None:
    event = submitted(concerns=["stammering"])
    decided, requests = triage_redirect(redirected(event, "counselling"), RULES, now=NOW)
    assert [(r.service.value, r.pathway, r.priority.value, r.held, r.reasons) for r in decided.routes] == [
        ("counselling", RULES.source.redirects["counselling"], "routine", False, ["redirect.semh"])]
    assert decided.routes[0].due_by == due_by(NOW, "counselling", "routine", RULES)
    assert [e.rule_id for e in decided.explanation] == ["redirect.semh"]
    assert decided.outcome == Outcome.routed and len(requests) == 1


def test_a_redirect_keeps_an_emergency_and_never_names_the_child() -> None:
    event = submitted(risks=["suicide_plan_or_intent"], child__diagnoses=["autism"])
    decided, _ = triage_redirect(redirected(event, "semh", from_service="counselling"), RULES, now=NOW)
    assert [r.priority.value for r in decided.routes] == ["emergency"]
    assert decided.outcome == Outcome.emergency
    assert decided.dsr.person is None


@pytest.mark.parametrize(("to", "concerns", "held"), [
    ("salt", ["stammering"], True),  # the policy's own route, while MASH decides
    ("counselling", ["stammering"], True),  # the redirect pathway at routine
    ("safeguarding", ["stammering"], False),  # exempt from the hold
])
def test_a_redirect_waits_for_mash_as_triage_would_hold_it(to: str, concerns: list[str], held: bool) -> None:
    for pending, expected in ((True, held), (False, False)):
        decided, requests = triage_redirect(redirected(submitted(pending, concerns=concerns), to), RULES, now=NOW)
        assert [r.held for r in decided.routes] == [expected] and [r.held for r in requests] == [expected]


def test_a_redirect_decides_the_target_afresh_and_now() -> None:
    """What the whole decision had (a hold for this referral's own MASH route, consent asked for) is not carried to
    the redirect's request: it waits only while MASH has yet to decide about the child, and asks for nothing."""
    held_by_mash = submitted(concerns=["stammering"], risks=["harm_or_abuse_disclosure"])
    assert [r.held for r in decide(held_by_mash, RULES).routes if r.service.value == "salt"] == [True]
    decided, _ = triage_redirect(redirected(held_by_mash, "salt"), RULES, now=NOW)
    assert [(r.service.value, r.held) for r in decided.routes] == [("salt", False)]
    assert decided.decided_at == NOW and triage(held_by_mash, RULES, now=NOW)[0].decided_at == NOW
    no_consent = submitted(concerns=["stammering"], consent__basis="none")
    whole = decide(no_consent, RULES)
    assert whole.missing == ["consent"] and whole.outcome == Outcome.needs_information
    decided, _ = triage_redirect(redirected(no_consent, "salt"), RULES, now=NOW)
    assert decided.missing == [] and decided.outcome == Outcome.routed

"""What triage publishes (pure): the decision and one service request per route, with ids derived
from the input event and the time `now` the consumer takes from it too (its occurred_at), so a redelivered
input yields the very same events, byte for byte."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from schemas import (
    DsrPerson,
    DsrSuggestion,
    Explanation,
    Referral,
    ReferralRedirected,
    ReferralSubmitted,
    Route,
    ServiceDetails,
    ServiceRequestCreated,
    TriageDecided,
    TriageDecision,
)
from schemas.enums import Outcome, Priority, SenStatus
from services.common.ids import derived_id
from services.policy.engine import decide, due_by
from services.policy.ruleset import Ruleset

Published = tuple[TriageDecided, list[ServiceRequestCreated]]


def triage(event: ReferralSubmitted, ruleset: Ruleset, *, now: datetime) -> Published:
    return _publishable(event.event_id, event.referral, decide(event, ruleset, decided_at=now), ruleset, now)


def triage_redirect(event: ReferralRedirected, ruleset: Ruleset, *, now: datetime) -> Published:
    """Decide again for the redirect's target service only: the policy's own route there if it has
    one, else the ruleset's redirect pathway at routine, whose clock starts `now` (when the redirect was made).
    Nothing else changes.
    While MASH has yet to decide about the child (`history.safeguarding_pending`, which counts the redirected
    request if it was held), the new request waits for it exactly as triage would hold it."""
    target = event.redirect.to_service
    as_submitted = ReferralSubmitted(
        event_id=event.event_id, occurred_at=event.occurred_at, correlation_id=event.referral_id,
        referral_id=event.referral_id, child_id=event.child_id, submitted_at=event.submitted_at,
        referral=event.referral, history=event.history,
    )
    full = decide(as_submitted, ruleset, decided_at=now)
    hop = Explanation(rule_id=f"redirect.{event.redirect.from_service.value}",
                      because=f"Redirected by {event.redirect.from_service.value} to {target.value}.")
    def held(priority: Priority) -> bool:
        return event.history.safeguarding_pending and ruleset.holds(target.value, priority.value)

    routes = [
        r.model_copy(update={"held": held(r.priority), "reasons": [hop.rule_id, *r.reasons]})
        for r in full.routes if r.service == target
    ]
    if not routes:
        routes = [Route(service=target, pathway=ruleset.source.redirects[target], priority=Priority.routine,
                        held=held(Priority.routine), reasons=[hop.rule_id],
                        due_by=due_by(now, target.value, Priority.routine.value, ruleset))]
    fired = {rule_id for r in routes for rule_id in r.reasons}
    decision = full.model_copy(update={
        "routes": routes, "missing": [],
        "outcome": Outcome.emergency if any(r.priority == Priority.emergency for r in routes) else Outcome.routed,
        "explanation": [hop, *(e for e in full.explanation if e.rule_id in fired)],
    })
    return _publishable(event.event_id, event.referral, decision, ruleset, now,
                        redirect_of=event.redirect.from_request_id)


def _publishable(source: uuid.UUID, referral: Referral, decision: TriageDecision, ruleset: Ruleset, now: datetime,
                 redirect_of: uuid.UUID | None = None) -> Published:
    routes = [
        r.model_copy(update={"service_request_id": derived_id(source, "request", r.service.value, r.pathway)})
        for r in decision.routes
    ]
    dsr = decision.dsr if redirect_of is not None else with_person(decision.dsr, referral)
    decided = TriageDecided(
        event_id=derived_id(source, "triage.decided"), occurred_at=now, correlation_id=decision.referral_id,
        **decision.model_dump(exclude={"routes", "dsr"}), routes=routes, dsr=dsr, redirect_of=redirect_of,
    )
    because = {e.rule_id: e for e in decision.explanation}
    requests = [
        ServiceRequestCreated(
            event_id=derived_id(source, "service_request.created", r.service.value, r.pathway), occurred_at=now,
            correlation_id=decision.referral_id, service_request_id=r.service_request_id,
            referral_id=decision.referral_id, child_id=decision.child_id, service=r.service, pathway=r.pathway,
            priority=r.priority, due_by=r.due_by, held=r.held,
            reasons=[because[rule_id] for rule_id in r.reasons if rule_id in because],
            details=service_details(referral, ruleset.sharing[r.service.value]),
        )
        for r in routes
    ]
    return decided, requests


def with_person(dsr: DsrSuggestion, referral: Referral) -> DsrSuggestion:
    """A register candidate with the child added: the register needs to know who the candidate is; nobody
    else gets this (a redirect's decision does not carry it)."""
    if not dsr.candidate:
        return dsr
    child = referral.child
    person = DsrPerson(given_name=child.given_name, family_name=child.family_name,
                       date_of_birth=child.date_of_birth, nhs_number=child.nhs_number,
                       has_ehcp=child.sen_status == SenStatus.ehcp)
    return dsr.model_copy(update={"person": person})


def service_details(referral: Referral, fields: tuple[str, ...]) -> ServiceDetails:
    """Only the referral details in `fields` (the ruleset's `sharing` list for that service)."""
    child, referrer, setting = referral.child, referral.referrer, referral.child.education_setting
    everything: dict[str, Any] = {
        "given_name": child.given_name,
        "family_name": child.family_name,
        "date_of_birth": child.date_of_birth.isoformat(),
        "nhs_number": child.nhs_number,
        "postcode": child.postcode,
        "education_setting_name": setting.name if setting else None,
        "year_group": setting.year_group if setting else None,
        "diagnoses": [d.value for d in child.diagnoses],
        "sen_status": child.sen_status.value,
        "social_care_status": child.social_care_status.value,
        "referrer_name": referrer.name,
        "referrer_role": referrer.role.value,
        "referrer_organisation": referrer.organisation,
        "referrer_email": referrer.email,
        "referrer_phone": referrer.phone,
        "consent_basis": referral.consent.basis.value,
        "child_aware": referral.consent.child_aware,
        "reason": referral.reason,
        "concerns": [c.value for c in referral.concerns],
        "risks": [r.value for r in referral.risks],
        "impact": referral.impact.value,
        "duration": referral.duration.value,
        "known_services": [k.value for k in referral.known_services],
        "voice_of_child": referral.voice_of_child,
        "parents_carers": referral.parents_carers,
        "young_person_contact": referral.young_person_contact,
    }
    return ServiceDetails(**{name: everything[name] for name in fields})

"""What triage publishes for one referral.submitted event (pure): the decision and one service
request per route, with ids derived from the input event so a redelivery yields the same events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import DsrPerson, Referral, ReferralSubmitted, ServiceDetails, ServiceRequestCreated, TriageDecided
from schemas.enums import SenStatus
from services.common.ids import derived_id
from services.triage.engine import decide
from services.triage.ruleset import Ruleset


def triage(event: ReferralSubmitted, ruleset: Ruleset, *, now: datetime) -> tuple[TriageDecided, list[ServiceRequestCreated]]:
    decision = decide(event, ruleset, decided_at=now)
    routes = [
        r.model_copy(update={"service_request_id": derived_id(event.event_id, "request", r.service.value, r.pathway)})
        for r in decision.routes
    ]
    dsr = decision.dsr
    if dsr.candidate:  # the register needs to know who the candidate is; nobody else gets this
        child = event.referral.child
        person = DsrPerson(
            given_name=child.given_name, family_name=child.family_name, date_of_birth=child.date_of_birth,
            nhs_number=child.nhs_number, has_ehcp=child.sen_status == SenStatus.ehcp,
        )
        dsr = dsr.model_copy(update={"person": person})
    decided = TriageDecided(
        event_id=derived_id(event.event_id, "triage.decided"),
        occurred_at=now,
        correlation_id=event.referral_id,
        **decision.model_dump(exclude={"routes", "dsr"}),
        routes=routes,
        dsr=dsr,
    )
    because = {e.rule_id: e for e in decision.explanation}
    requests = [
        ServiceRequestCreated(
            event_id=derived_id(event.event_id, "service_request.created", r.service.value, r.pathway),
            occurred_at=now,
            correlation_id=event.referral_id,
            service_request_id=r.service_request_id,
            referral_id=event.referral_id,
            child_id=event.child_id,
            service=r.service,
            pathway=r.pathway,
            priority=r.priority,
            due_by=r.due_by,
            held=r.held,
            reasons=[because[rule_id] for rule_id in r.reasons if rule_id in because],
            details=service_details(event.referral, ruleset.sharing[r.service.value]),
        )
        for r in routes
    ]
    return decided, requests


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
    }
    return ServiceDetails(**{name: everything[name] for name in fields})

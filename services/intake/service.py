"""Intake use cases: submit a referral, apply a triage decision, read a referral. Each runs in one
transaction given by the caller; what must reach the bus goes through the outbox."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED, History, Referral, ReferralSubmitted, TriageDecided
from services.common.auth import Principal
from services.common.idempotency import first_delivery
from services.common.outbox import enqueue
from services.common.tables import AuditEntry
from services.intake.identity import Identity, KnownChild, Resolution, identity_of, resolve
from services.intake.tables import Child, ReferralRecord, ServiceRequestRecord

OPEN_STATUSES = ("created", "accepted")
DECISIONS_CONSUMER = "intake.decisions"


class ClientReferenceReusedError(Exception):
    """The same client_reference was sent before with a different referral."""


@dataclass(frozen=True)
class Submitted:
    record: ReferralRecord
    created: bool


def fingerprint(referral: Referral) -> str:
    return hashlib.sha256(referral.model_dump_json(exclude={"client_reference"}).encode()).hexdigest()


def submit(session: Session, referral: Referral, *, by: Principal, now: datetime) -> Submitted:
    """Store a referral against the right child and queue its referral.submitted event."""
    digest = fingerprint(referral)
    if referral.client_reference is not None:
        existing = session.exec(
            select(ReferralRecord).where(
                ReferralRecord.submitted_by == by.subject, ReferralRecord.client_reference == referral.client_reference
            )
        ).first()
        if existing is not None:
            if existing.fingerprint != digest:
                raise ClientReferenceReusedError
            return Submitted(existing, created=False)

    child = referral.child
    identity = identity_of(
        given_name=child.given_name, family_name=child.family_name, born=child.date_of_birth,
        postcode=child.postcode, nhs_number=child.nhs_number,
    )
    resolution = resolve(identity, _candidates(session, identity))
    child_id = _child_for(session, identity, resolution, now)
    history = History(
        prior_referrals_365d=session.exec(
            select(func.count()).select_from(ReferralRecord).where(
                ReferralRecord.child_id == child_id, col(ReferralRecord.submitted_at) > now - timedelta(days=365)
            )
        ).one(),
        open_services=sorted(set(session.exec(
            select(ServiceRequestRecord.service).where(
                ServiceRequestRecord.child_id == child_id, col(ServiceRequestRecord.status).in_(OPEN_STATUSES)
            )
        ).all())),
    )
    referral_id, event_id = uuid.uuid4(), uuid.uuid4()
    event = ReferralSubmitted(
        event_id=event_id, occurred_at=now, correlation_id=referral_id, referral_id=referral_id,
        child_id=child_id, submitted_at=now, referral=referral, history=history,
    )
    record = ReferralRecord(
        id=referral_id, child_id=child_id, submitted_by=by.subject, client_reference=referral.client_reference,
        submitted_at=now, event_id=event_id, referral=referral.model_dump(mode="json"), fingerprint=digest,
        matched_on=resolution.matched_on, possible_duplicates=[str(c) for c in resolution.possible_duplicates],
    )
    session.add(record)
    enqueue(session, topic=TOPIC_SUBMITTED, key=str(child_id), event=event, event_id=event_id, event_type=event.event_type)
    audit(session, by, "submit", referral_id=referral_id, child_id=child_id)
    return Submitted(record, created=True)


def _candidates(session: Session, identity: Identity) -> list[KnownChild]:
    conditions: list[Any] = [Child.date_of_birth == identity.born]
    conditions.append((Child.given_key == identity.given) & (Child.family_key == identity.family))
    if identity.nhs_number:
        conditions.append(Child.nhs_number == identity.nhs_number)
    rows = session.exec(select(Child).where(or_(*conditions)).limit(200)).all()
    return [
        KnownChild(c.id, Identity(c.given_key, c.family_key, c.date_of_birth, c.postcode_key, c.nhs_number)) for c in rows
    ]


def _child_for(session: Session, identity: Identity, resolution: Resolution, now: datetime) -> uuid.UUID:
    if resolution.child_id is not None:
        known = session.get(Child, resolution.child_id)
        if known is not None and known.nhs_number is None and identity.nhs_number:
            known.nhs_number = identity.nhs_number  # first time we learn it: the strongest key from now on
        return resolution.child_id
    child = Child(
        id=uuid.uuid4(), nhs_number=identity.nhs_number, given_key=identity.given, family_key=identity.family,
        date_of_birth=identity.born, postcode_key=identity.postcode, created_at=now,
    )
    session.add(child)
    session.flush()
    return child.id


def apply_decision(session: Session, event: TriageDecided) -> bool:
    """Record a decision and its service requests on the referral. False when already applied."""
    if not first_delivery(session, consumer=DECISIONS_CONSUMER, event_id=event.event_id):
        return False
    record = session.get(ReferralRecord, event.referral_id)
    if record is None:
        return True  # not submitted through this intake (e.g. replayed from elsewhere): nothing to show
    decision = event.model_dump(mode="json", exclude={"event_id", "event_type", "schema_version", "occurred_at", "correlation_id"})
    record.status, record.outcome, record.decision, record.decided_at = "decided", event.outcome.value, decision, event.decided_at
    session.add(record)
    for route in event.routes:
        if route.service_request_id is None or session.get(ServiceRequestRecord, route.service_request_id):
            continue
        session.add(
            ServiceRequestRecord(
                id=route.service_request_id, referral_id=event.referral_id, child_id=event.child_id,
                service=route.service.value, pathway=route.pathway, priority=route.priority.value,
                due_by=route.due_by, held=route.held, status="held" if route.held else "created",
            )
        )
    return True


def referral_view(session: Session, referral_id: uuid.UUID, *, by: Principal) -> dict[str, Any] | None:
    """The referral as its referrer sees it, or None when it is not theirs (callers answer 404)."""
    record = session.get(ReferralRecord, referral_id)
    if record is None or record.submitted_by != by.subject:
        return None
    requests = session.exec(
        select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == referral_id).order_by(col(ServiceRequestRecord.due_by))
    ).all()
    audit(session, by, "read", referral_id=record.id, child_id=record.child_id)
    return {
        "referral_id": str(record.id),
        "child_id": str(record.child_id),
        "status": record.status,
        "submitted_at": record.submitted_at.isoformat(),
        "client_reference": record.client_reference,
        "possible_duplicate": bool(record.possible_duplicates),
        "referral": record.referral,
        "decision": record.decision,
        "service_requests": [
            {
                "service_request_id": str(r.id), "service": r.service, "pathway": r.pathway, "priority": r.priority,
                "due_by": r.due_by.isoformat(), "held": r.held, "status": r.status,
            }
            for r in requests
        ],
    }


def referral_summaries(session: Session, *, by: Principal, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.exec(
        select(ReferralRecord).where(ReferralRecord.submitted_by == by.subject)
        .order_by(col(ReferralRecord.submitted_at).desc()).limit(limit)
    ).all()
    return [
        {"referral_id": str(r.id), "status": r.status, "outcome": r.outcome, "submitted_at": r.submitted_at.isoformat(),
         "client_reference": r.client_reference}
        for r in rows
    ]


def audit(session: Session, by: Principal, action: str, *, referral_id: uuid.UUID | None, child_id: uuid.UUID | None) -> None:
    session.add(AuditEntry(actor=by.subject, role=by.primary_role, action=action, referral_id=referral_id, child_id=child_id))

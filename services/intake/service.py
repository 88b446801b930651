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

from schemas import (
    TOPIC_SUBMITTED,
    History,
    Redirect,
    Referral,
    ReferralRedirected,
    ReferralSubmitted,
    ServiceOutcome,
    TriageDecided,
)
from schemas.referral import LONDON
from services.common.auth import Principal
from services.common.idempotency import first_delivery
from services.common.ids import derived_id
from services.common.outbox import enqueue
from services.common.tables import AuditEntry, OutboxMessage
from services.intake.identity import Identity, KnownChild, Resolution, identity_of, resolve
from services.intake.reports import ReferralRow, RequestRow
from services.intake.tables import Child, ReferralRecord, ServiceRequestRecord, TimelineItem

OPEN_STATUSES = ("created", "accepted")
DECISIONS_CONSUMER = "intake.decisions"
OUTCOMES_CONSUMER = "intake.outcomes"


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
    history = _history(session, child_id, now)
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
    enqueue(session, event, topic=TOPIC_SUBMITTED, key=str(child_id))
    note(session, record, now, "submitted", f"Referral received from a {referral.referrer.role.value.replace('_', ' ')}")
    audit(session, by, "submit", referral_id=referral_id, child_id=child_id)
    return Submitted(record, created=True)


def _history(session: Session, child_id: uuid.UUID, at: datetime, exclude: uuid.UUID | None = None) -> History:
    """What triage needs to know of the child's past, from the store."""
    prior = select(func.count()).select_from(ReferralRecord).where(
        ReferralRecord.child_id == child_id, col(ReferralRecord.submitted_at) > at - timedelta(days=365), col(ReferralRecord.submitted_at) <= at,
    )
    if exclude is not None:
        prior = prior.where(ReferralRecord.id != exclude)
    services = session.exec(
        select(ServiceRequestRecord.service).where(ServiceRequestRecord.child_id == child_id, col(ServiceRequestRecord.status).in_(OPEN_STATUSES))
    ).all()
    return History(prior_referrals_365d=session.exec(prior).one(), open_services=sorted(set(services)))


NEAR_MATCH_CANDIDATES = 1000  # others born the same day, looked at for near-match hints


def _candidates(session: Session, identity: Identity) -> list[KnownChild]:
    """Every exact match (the NHS number; the names) always, however many children share the birth
    date; then others born that day, capped, for near-match hints. (A cap on the lot once let a
    busy birth date hide the child's own record and make a second child with the same NHS number.)"""
    exact: list[Any] = [(Child.given_key == identity.given) & (Child.family_key == identity.family)]
    if identity.nhs_number:
        exact.append(Child.nhs_number == identity.nhs_number)
    rows = {c.id: c for c in session.exec(select(Child).where(or_(*exact))).all()}
    same_day = select(Child).where(Child.date_of_birth == identity.born).order_by(col(Child.created_at).desc()).limit(NEAR_MATCH_CANDIDATES)
    rows |= {c.id: c for c in session.exec(same_day).all() if c.id not in rows}
    return [
        KnownChild(c.id, Identity(c.given_key, c.family_key, c.date_of_birth, c.postcode_key, c.nhs_number)) for c in rows.values()
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
    """Record a decision and its service requests on the referral. False when already applied.
    A redirect's decision only adds the new request (the referral's decision stays as it was)."""
    if not first_delivery(session, consumer=DECISIONS_CONSUMER, event_id=event.event_id):
        return False
    record = session.get(ReferralRecord, event.referral_id)
    if record is None:
        return True  # not submitted through this intake (e.g. replayed from elsewhere): nothing to show
    if event.redirect_of is None:
        decision = event.model_dump(mode="json", exclude={"event_id", "event_type", "schema_version", "occurred_at", "correlation_id", "redirect_of"})
        decision["dsr"].pop("person", None)
        record.status, record.outcome, record.decision, record.decided_at = "decided", event.outcome.value, decision, event.decided_at
        session.add(record)
        routes = ", ".join(f"{r.service.value}/{r.pathway} ({r.priority.value}{', held' if r.held else ''})" for r in event.routes)
        note(session, record, event.decided_at, "decision", f"Triage: {event.outcome.value}" + (f": {routes}" if routes else "")
             + (f"; missing {', '.join(event.missing)}" if event.missing else ""))
    for route in event.routes:
        if route.service_request_id is None or session.get(ServiceRequestRecord, route.service_request_id):
            continue
        session.add(
            ServiceRequestRecord(
                id=route.service_request_id, referral_id=event.referral_id, child_id=event.child_id,
                service=route.service.value, pathway=route.pathway, priority=route.priority.value,
                due_by=route.due_by, held=route.held, status="created", redirect_of=event.redirect_of,
            )
        )
        if event.redirect_of is not None:
            note(session, record, event.decided_at, "redirect",
                 f"New request at {route.service.value}/{route.pathway} ({route.priority.value}), due {route.due_by.date().isoformat()}")
    return True


OUTCOME_STATUS = {"accepted": "accepted", "declined": "declined", "redirected": "redirected", "completed": "completed"}


def apply_outcome(session: Session, event: ServiceOutcome, *, now: datetime) -> bool:
    """A service's action on a request: its status for the referrer, the child's timeline, and for a
    redirect, the referral sent back to triage for the target service only."""
    if not first_delivery(session, consumer=OUTCOMES_CONSUMER, event_id=event.event_id):
        return False
    request = session.get(ServiceRequestRecord, event.service_request_id)
    record = session.get(ReferralRecord, event.referral_id)
    if request is None or record is None:
        return True
    verb = event.event_type.value.removeprefix("service_request.")
    if verb in OUTCOME_STATUS:
        request.status = OUTCOME_STATUS[verb]
        if verb == "accepted":
            request.accepted_at = event.occurred_at
    elif verb == "released":
        request.held = False
    elif verb == "breached":
        request.breached_at = event.occurred_at
    request.updated_at = event.occurred_at
    session.add(request)
    text = {
        "accepted": "accepted", "declined": "declined", "completed": "completed", "released": "released by MASH",
        "breached": "not accepted by its due date", "redirected": f"redirected to {event.redirect_to.value if event.redirect_to else '?'}",
    }[verb]
    note(session, record, event.occurred_at, verb, f"{event.service.value}/{request.pathway}: {text}"
         + (f"; signposted: {event.signpost}" if event.signpost else ""))
    if verb == "redirected" and event.redirect_to is not None:
        redirected = ReferralRedirected(
            event_id=derived_id(event.event_id, "referral.redirected"), occurred_at=now, correlation_id=record.id,
            referral_id=record.id, child_id=record.child_id, submitted_at=record.submitted_at,
            referral=Referral.model_validate(record.referral), history=_history(session, record.child_id, record.submitted_at, exclude=record.id),
            redirect=Redirect(from_service=event.service, from_request_id=request.id, to_service=event.redirect_to, reason=event.reason),
        )
        enqueue(session, redirected, topic=TOPIC_SUBMITTED, key=str(record.child_id))
    return True


def redrive_undecided(session: Session, *, now: datetime, after: timedelta, limit: int = 100) -> list[uuid.UUID]:
    """Referrals whose event was published more than `after` ago and still have no decision: put
    that same event back in the outbox (the same id, so triage decides it once in effect and every
    consumer deduplicates). A safety net that should find nothing: a referral about a child must
    not wait silently because a message went missing anywhere between the outbox and the
    decision. Returns the referral ids sent again."""
    stale = session.exec(
        select(OutboxMessage, ReferralRecord.id)
        .join(ReferralRecord, col(ReferralRecord.event_id) == col(OutboxMessage.id))
        .where(ReferralRecord.status == "submitted", col(OutboxMessage.published_at) < now - after)
        .order_by(col(OutboxMessage.published_at))
        .limit(limit)
    ).all()
    for row, _ in stale:
        row.published_at, row.claimed_by, row.claimed_until = None, None, None
        session.add(row)
    return [referral_id for _, referral_id in stale]


class NotCompletableError(Exception):
    """Only a referral waiting for information can be completed, and only by its referrer."""


def complete_missing(session: Session, referral_id: uuid.UUID, patch: dict[str, Any], *, by: Principal, now: datetime) -> ReferralRecord | None:
    """Merge what the referrer supplies into the stored referral and send it to triage again."""
    record = session.get(ReferralRecord, referral_id)
    if record is None or record.submitted_by != by.subject:
        return None
    if record.outcome != "needs_information":
        raise NotCompletableError
    merged = Referral.model_validate(_merge(record.referral, patch), context={"as_of": now.astimezone(LONDON).date()})
    event = ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=now, correlation_id=record.id, referral_id=record.id, child_id=record.child_id,
        submitted_at=now, referral=merged, history=_history(session, record.child_id, now, exclude=record.id),
    )
    record.referral, record.status, record.outcome, record.event_id = merged.model_dump(mode="json"), "submitted", None, event.event_id
    session.add(record)
    enqueue(session, event, topic=TOPIC_SUBMITTED, key=str(record.child_id))
    note(session, record, now, "completed_information", "Missing information supplied; sent to triage again")
    audit(session, by, "complete", referral_id=record.id, child_id=record.child_id)
    return record


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces."""
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def note(session: Session, record: ReferralRecord, at: datetime, kind: str, summary: str) -> None:
    session.add(TimelineItem(child_id=record.child_id, referral_id=record.id, at=at, kind=kind, summary=summary[:300]))


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
                "due_by": r.due_by.isoformat(), "held": r.held, "status": r.status, "breached": r.breached_at is not None,
                "redirect_of": str(r.redirect_of) if r.redirect_of else None,
            }
            for r in requests
        ],
        "timeline": [
            {"at": t.at.isoformat(), "kind": t.kind, "summary": t.summary, "this_referral": t.referral_id == record.id}
            for t in session.exec(select(TimelineItem).where(TimelineItem.child_id == record.child_id).order_by(col(TimelineItem.at), col(TimelineItem.id))).all()
            if t.referral_id == record.id or _same_referrer(session, t.referral_id, by)
        ],
    }


def _same_referrer(session: Session, referral_id: uuid.UUID | None, by: Principal) -> bool:
    """A referrer sees the child's journey through their own referrals, not other referrers'."""
    other = session.get(ReferralRecord, referral_id) if referral_id else None
    return other is not None and other.submitted_by == by.subject


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


def report_rows(session: Session, *, since: datetime) -> tuple[list[ReferralRow], list[RequestRow]]:
    """The rows the commissioning reports are computed from (referrals submitted since `since`)."""
    records = session.exec(select(ReferralRecord).where(col(ReferralRecord.submitted_at) >= since)).all()
    submitted = {r.id: r.submitted_at for r in records}
    referrals = [
        ReferralRow(str(r.id), r.submitted_at, r.outcome, ((r.referral.get("child") or {}).get("education_setting") or {}).get("name"),
                    tuple(r.referral.get("concerns", ())))
        for r in records
    ]
    requests = [
        RequestRow(q.service, q.status, submitted[q.referral_id], q.accepted_at, q.breached_at is not None)
        for q in session.exec(select(ServiceRequestRecord).where(col(ServiceRequestRecord.referral_id).in_(list(submitted)))).all()
    ]
    return referrals, requests

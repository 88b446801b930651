"""Intake's use cases, each in the caller's transaction: submit a referral, complete one that needs
information, import checked rows, a person's decision on the front door, keep decisions (triage's and
a person's) and outcomes, and send again what went missing.
What must reach the bus goes through the outbox; the wording and the events come from `domain`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED, History, Referral, Route, ServiceOutcome, TriageDecided
from schemas.enums import OutcomeEventType
from schemas.events import TriageOverridden
from schemas.lifecycle import FRONT_DOOR_TEAM, OPEN, WITHDRAWABLE, RequestStatus, safeguarding_pending
from schemas.referral import LONDON, ReferralInput
from services.common.auth import Principal
from services.common.outbox import enqueue
from services.common.transactions import Subject, audit
from services.intake.children.handlers import settled, waiting
from services.intake.children.identity import Identity, KnownChild, Resolution, identity_of, resolve
from services.intake.front_door import domain as overrides
from services.intake.referrals import domain
from services.intake.referrals.domain import ReferralNotFoundError, ReferralStatus
from services.intake.search.handlers import index as search_index
from services.intake.tables import Child, FrontDoorDecision, ReferralRecord, ServiceRequestRecord, TimelineItem

NEAR_MATCH_CANDIDATES = 1000  # others born the same day, looked at for near-match hints


@dataclass(frozen=True)
class Submitted:
    record: ReferralRecord
    created: bool


def submit(session: Session, referral: Referral, *, by: Principal, now: datetime) -> Submitted:
    """Store a referral against the right child and queue its referral.submitted event; the same
    client_reference again gives the stored referral (created False), or is refused if it differs."""
    if referral.client_reference is not None:
        existing = session.exec(select(ReferralRecord).where(
            ReferralRecord.submitted_by == by.subject, ReferralRecord.client_reference == referral.client_reference,
        )).first()
        if existing is not None:
            domain.check_replay(existing.fingerprint, referral)
            return Submitted(existing, created=False)
    child = referral.child
    identity = identity_of(given_name=child.given_name, family_name=child.family_name, born=child.date_of_birth,
                           postcode=child.postcode, nhs_number=child.nhs_number)
    resolution = settled(session, resolve(identity, _candidates(session, identity)))  # merges, "different"
    child_id = _child_for(session, identity, resolution, now)
    event = domain.referral_submitted(referral, referral_id=uuid.uuid4(), child_id=child_id,
                                      history=_history(session, child_id, now), now=now)
    record = ReferralRecord(
        id=event.referral_id, child_id=child_id, submitted_by=by.subject, client_reference=referral.client_reference,
        submitted_at=now, event_id=event.event_id, referral=referral.model_dump(mode="json"),
        fingerprint=domain.fingerprint(referral), matched_on=resolution.matched_on,
        possible_duplicates=[str(c) for c in resolution.possible_duplicates],
    )
    session.add(record)
    search_index(session, record)
    enqueue(session, event, topic=TOPIC_SUBMITTED, key=str(child_id))
    note(session, record, now, "submitted", domain.submitted_text(referral))
    return Submitted(record, created=True)


def import_checked(session: Session, rows: Iterable[tuple[int, Referral]], *, by: Principal, now: datetime,
                   progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[int, int]:
    """Submit each checked row of a bulk import as `by` (all in the caller's one transaction), with a
    "submit" audit row per referral created. Returns (new, already there)."""
    rows = list(rows)
    new = 0
    for n, (_, referral) in enumerate(rows, start=1):
        result = submit(session, referral, by=by, now=now)
        if result.created:
            new += 1
            audit(session, by, "submit", Subject(referral_id=result.record.id, child_id=result.record.child_id))
        progress(n, len(rows))
    return new, len(rows) - new


def complete_missing(session: Session, referral_id: uuid.UUID, patch: dict[str, Any], *, by: Principal,
                     now: datetime) -> ReferralRecord:
    """Merge what the referrer supplies (a JSON merge patch) into the stored referral and send it to
    triage again. Only what the decision lists as missing may change, never who the child is
    (domain.PatchRefusedError); pydantic's ValidationError when the merged referral is not valid."""
    record = completable(session, referral_id, by=by)
    domain.check_patch(record.referral, patch, missing=list((record.decision or {}).get("missing", ())))
    merged = ReferralInput.model_validate(domain.merge_patch(record.referral, patch),  # tolerant: a person's typing
                                     context={"as_of": now.astimezone(LONDON).date()})
    event = domain.referral_submitted(merged, referral_id=record.id, child_id=record.child_id, now=now,
                                      history=_history(session, record.child_id, now, exclude=record.id))
    record.referral, record.status, record.outcome = merged.model_dump(mode="json"), ReferralStatus.submitted, None
    record.event_id = event.event_id
    session.add(record)
    search_index(session, record)
    enqueue(session, event, topic=TOPIC_SUBMITTED, key=str(record.child_id))
    note(session, record, now, "completed_information", domain.COMPLETED_TEXT)
    return record


def completable(session: Session, referral_id: uuid.UUID, *, by: Principal) -> ReferralRecord:
    """The caller's referral waiting for information: ReferralNotFoundError when it is not theirs (or there is
    none), NotCompletableError when it is not waiting. Asked before a completion's body is even read."""
    record = session.get(ReferralRecord, referral_id)
    if record is None or record.submitted_by != by.subject:
        raise ReferralNotFoundError
    domain.check_completable(record.outcome)
    return record


def apply_decision(session: Session, event: TriageDecided, now: datetime) -> bool:
    """Record a decision and its service requests on the referral. A redirect's decision only adds
    the new request (the referral's decision stays as it was). A referral not submitted through this
    intake (e.g. replayed from elsewhere) has nothing to show: its id is still recorded."""
    record = session.get(ReferralRecord, event.referral_id)
    if record is None:
        return True
    if event.redirect_of is None:
        _decided(session, record, event, domain.decision_record(event))
        note(session, record, event.decided_at, "decision", domain.decision_text(event))
    for route in _new_routes(session, event):
        if event.redirect_of is not None:
            note(session, record, event.decided_at, "redirect", domain.redirect_text(route))
    return True


def decide(session: Session, referral_id: uuid.UUID, decided: overrides.PersonsDecision, *, by: Principal,
           now: datetime) -> FrontDoorDecision:
    """A person on the front door decides on (or overrides) a referral's decision: checked here against
    the decision in force and intake's copy of its requests, then sent to triage to apply. One at a time
    per referral (the row is locked, and a decision not yet applied refuses the next)."""
    record = session.get(ReferralRecord, referral_id, with_for_update=True)
    if record is None:
        raise overrides.NoSuchReferralError
    if record.status != ReferralStatus.decided or record.decision is None or record.decision_event_id is None:
        raise overrides.NotDecidedError
    if session.exec(select(FrontDoorDecision.id).where(FrontDoorDecision.referral_id == referral_id,
                                                       col(FrontDoorDecision.applied_event_id).is_(None))).first():
        raise overrides.DecisionPendingError
    requests = _requests_of(session, referral_id)
    fired = overrides.fired_rules(record.decision)
    overrides.check_disagreement(decided.disagreed_with, fired)
    overrides.check_changes(decided.changes, requests)
    event = overrides.override_requested(
        decided, referral_id=record.id, child_id=record.child_id, submitted_at=record.submitted_at,
        referral=Referral.model_validate(record.referral), supersedes=record.decision_event_id, by=by.subject,
        by_name=by.name,
        current=overrides.current_decision(record.decision, requests.values()), now=now,
        history=_history(session, record.child_id, now, exclude=record.id),
    )
    row = FrontDoorDecision(
        id=event.event_id, referral_id=record.id, child_id=record.child_id, decided_by=by.subject,
        decided_by_name=by.name, decided_at=now,
        rationale=event.rationale, supersedes=event.supersedes, disagreed_with=list(event.disagreed_with),
        changes=[c.model_dump(mode="json", exclude_none=True) for c in event.changes], fired=fired,
    )
    session.add(row)
    enqueue(session, event, topic=TOPIC_SUBMITTED, key=str(record.child_id))
    note(session, record, now, "front_door_requested", overrides.requested_text(event.changes, requests),
         by_name=by.name, by_team=FRONT_DOOR_TEAM)
    return row


def apply_override(session: Session, event: TriageOverridden, now: datetime) -> bool:
    """A person's decision, applied by triage: it becomes the decision in force (the one it replaced
    kept under `previous`), with the requests it added; the person's request is marked applied.
    (The requests it withdrew are closed by their own `service_request.withdrawn`.)"""
    record = session.get(ReferralRecord, event.referral_id)
    if record is None:
        return True
    requests = _requests_of(session, record.id)  # before the new ones: the words name what was there
    _decided(session, record, event, overrides.overridden_record(event, previous=record.decision))
    _new_routes(session, event)
    requested = session.exec(select(FrontDoorDecision).where(
        FrontDoorDecision.referral_id == record.id, FrontDoorDecision.supersedes == event.supersedes,
        col(FrontDoorDecision.applied_event_id).is_(None))).first()
    if requested is not None:
        requested.applied_event_id = event.event_id
        session.add(requested)
    note(session, record, event.decided_at, "front_door_decision", overrides.overridden_text(event, requests),
         by_name=event.decided_by_name, by_team=FRONT_DOOR_TEAM)
    return True


def ignore(session: Session, event: Any, now: datetime) -> bool:
    """An event on a topic intake reads that means nothing here (nothing is written)."""
    return False


def apply_outcome(session: Session, event: ServiceOutcome, now: datetime) -> bool:
    """A service's action on a request: its status for the referrer, the child's timeline, and for a
    redirect, the referral sent back to triage for the target service only."""
    record = session.get(ReferralRecord, event.referral_id)
    if record is None:
        return True  # not submitted through this intake: nothing to show
    # An outcome can overtake its request's decision (they travel on different topics): kept on a stand-in
    # that the decision fills in, never dropped.
    request = session.get(ServiceRequestRecord, event.service_request_id) or _stand_in(session, record, event)
    if event.event_type is OutcomeEventType.withdrawn and request.status not in WITHDRAWABLE:
        return False  # accepted meanwhile: a service that accepted a request keeps it (as its worklist does)
    was_held = request.held and request.status == RequestStatus.created  # still waiting for MASH
    changed = priority_changes(session, record.id, {request.id: request}).get(request.id)
    for field, value in domain.outcome_changes(event).items():
        setattr(request, field, value)
    session.add(request)
    note(session, record, event.occurred_at, domain.outcome_kind(event),
         domain.outcome_text(event, request.pathway, priority_change=changed),
         by_name=event.by_name, by_team=domain.team_of(event))
    if domain.outcome_kind(event) == "redirected" and event.redirect_to is not None:
        history = _history(session, record.child_id, record.submitted_at, exclude=record.id)
        if was_held:  # a request redirected before MASH decided hands its hold on to the new one
            history = history.model_copy(update={"safeguarding_pending": True})
        redirected = domain.referral_redirected(
            event, event.redirect_to, child_id=record.child_id, referral=Referral.model_validate(record.referral),
            submitted_at=record.submitted_at, now=now, history=history,
        )
        enqueue(session, redirected, topic=TOPIC_SUBMITTED, key=str(record.child_id))
    return True


def _history(session: Session, child_id: uuid.UUID, at: datetime, exclude: uuid.UUID | None = None) -> History:
    """What triage needs to know of the child's past, from the store: referrals in the last year, the services
    with an open request, and whether MASH has yet to decide about the child (its requests then wait too)."""
    prior = select(func.count()).select_from(ReferralRecord).where(
        ReferralRecord.child_id == child_id, col(ReferralRecord.submitted_at) > at - timedelta(days=365),
        col(ReferralRecord.submitted_at) <= at,
    )
    if exclude is not None:
        prior = prior.where(ReferralRecord.id != exclude)
    requests = session.exec(select(ServiceRequestRecord).where(ServiceRequestRecord.child_id == child_id)).all()
    return History(prior_referrals_365d=session.exec(prior).one(),
                   open_services=sorted({r.service for r in requests if r.status in OPEN}),
                   safeguarding_pending=safeguarding_pending(waiting(requests)))


def _candidates(session: Session, identity: Identity) -> list[KnownChild]:
    """Every exact match (the NHS number; the names) always, however many children share the birth
    date; then others born that day, capped, for near-match hints. (A cap on the lot once let a
    busy birth date hide the child's own record and make a second child with the same NHS number.)"""
    exact: list[Any] = [(Child.given_key == identity.given) & (Child.family_key == identity.family)]
    if identity.nhs_number:
        exact.append(Child.nhs_number == identity.nhs_number)
    rows = {c.id: c for c in session.exec(select(Child).where(or_(*exact))).all()}
    same_day = (select(Child).where(Child.date_of_birth == identity.born)
                .order_by(col(Child.created_at).desc()).limit(NEAR_MATCH_CANDIDATES))
    rows |= {c.id: c for c in session.exec(same_day).all() if c.id not in rows}
    return [KnownChild(c.id, Identity(c.given_key, c.family_key, c.date_of_birth, c.postcode_key, c.nhs_number))
            for c in rows.values()]


def _child_for(session: Session, identity: Identity, resolution: Resolution, now: datetime) -> uuid.UUID:
    if resolution.child_id is not None:
        known = session.get(Child, resolution.child_id)
        if known is not None and known.nhs_number is None and identity.nhs_number:
            known.nhs_number = identity.nhs_number  # first time we learn it: the strongest key from now on
        return resolution.child_id
    child = Child(id=uuid.uuid4(), nhs_number=identity.nhs_number, given_key=identity.given,
                  family_key=identity.family, date_of_birth=identity.born, postcode_key=identity.postcode,
                  created_at=now)
    session.add(child)
    session.flush()
    return child.id


def _decided(session: Session, record: ReferralRecord, event: TriageDecided | TriageOverridden,
             decision: dict[str, Any]) -> None:
    """`event` becomes the referral's decision in force; an emergency starts its 4-hour clock."""
    record.status, record.outcome, record.decision = ReferralStatus.decided, event.outcome.value, decision
    record.decided_at, record.decision_event_id = event.decided_at, event.event_id
    record.emergency_due_at = record.emergency_due_at or domain.emergency_due(event.outcome.value, event.decided_at)
    session.add(record)


def _new_routes(session: Session, event: TriageDecided | TriageOverridden) -> list[Route]:
    """Intake's copy of each route of `event` not seen before; returns those routes."""
    added = []
    for route in event.routes:
        known = session.get(ServiceRequestRecord, route.service_request_id) if route.service_request_id else None
        if known is not None and known.priority == domain.AWAITING_DECISION:
            known.pathway, known.priority, known.due_by = route.pathway, route.priority.value, route.due_by
            known.held = route.held and known.held  # a release that came first stays released
            session.add(known)
        if route.service_request_id is None or known is not None:
            continue
        session.add(ServiceRequestRecord(
            id=route.service_request_id, referral_id=event.referral_id, child_id=event.child_id,
            service=route.service.value, pathway=route.pathway, priority=route.priority.value, due_by=route.due_by,
            held=route.held, status=RequestStatus.created, redirect_of=getattr(event, "redirect_of", None),
        ))
        added.append(route)
    return added


def _stand_in(session: Session, record: ReferralRecord, event: ServiceOutcome) -> ServiceRequestRecord:
    request = ServiceRequestRecord(
        id=event.service_request_id, referral_id=record.id, child_id=record.child_id, service=event.service.value,
        pathway=event.pathway or "", priority=domain.AWAITING_DECISION, due_by=event.due_by or event.occurred_at,
        held=True, status=RequestStatus.created)
    session.add(request)
    return request


def priority_changes(session: Session, referral_id: uuid.UUID,
                     requests: dict[uuid.UUID, ServiceRequestRecord]) -> dict[uuid.UUID, tuple[str, str]]:
    """Which of `requests` people on the front door gave another priority: request id -> (before, after)."""
    rows = session.exec(select(FrontDoorDecision.changes).where(FrontDoorDecision.referral_id == referral_id)).all()
    return overrides.priority_changes(rows, requests)



def _requests_of(session: Session, referral_id: uuid.UUID) -> dict[uuid.UUID, ServiceRequestRecord]:
    query = select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == referral_id)
    return {r.id: r for r in session.exec(query.order_by(col(ServiceRequestRecord.due_by))).all()}


def note(session: Session, record: ReferralRecord, at: datetime, kind: str, summary: str, *,
         by_name: str | None = None, by_team: str | None = None) -> None:
    """A line on the child's timeline about this referral (its words at most 300 characters), with who did it where a
    person did: their display name (when their token gave one) and their team (a service, or the front door)."""
    session.add(TimelineItem(child_id=record.child_id, referral_id=record.id, at=at, kind=kind, summary=summary[:300],
                             by_name=by_name, by_team=by_team))

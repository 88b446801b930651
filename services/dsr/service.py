"""Register use cases: what the DSR consumer and the DSR meeting's API do, each in the caller's
transaction. Rules come from services/dsr/rules.py; changes are announced through the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from schemas import TOPIC_DSR_CHANGES, DsrChanged, ServiceOutcome, TriageDecided
from schemas.enums import DsrChangeType
from services.common.idempotency import first_delivery
from services.common.ids import derived_id
from services.common.outbox import enqueue
from services.common.workdays import WorkingCalendar
from services.dsr import rules
from services.dsr.rules import Rating, RegisterPolicy, Status
from services.dsr.tables import DsrAction, DsrConsent, DsrEntry, DsrRatingChange, DsrReview, DsrTask, DsrTimelineItem

CONSUMER = "dsr.register"
OPEN = (Status.pending_consent.value, Status.pending_review.value, Status.active.value)


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    """The entry is not in a state that allows this (e.g. a review before consent)."""


@dataclass(frozen=True)
class Clock:
    """Today and the working-day calendar: passed in so the use cases stay deterministic."""

    now: datetime
    calendar: WorkingCalendar

    @property
    def today(self) -> date:
        return self.calendar.local_day(self.now)


def _rating(value: str | None) -> Rating | None:
    return Rating(value) if value else None


def open_entry(session: Session, child_id: uuid.UUID) -> DsrEntry | None:
    return session.exec(select(DsrEntry).where(DsrEntry.child_id == child_id, col(DsrEntry.status).in_(OPEN))).first()


def announce(session: Session, entry: DsrEntry, kind: DsrChangeType, *, source: uuid.UUID, now: datetime, by: str | None = None) -> None:
    """Queue a dsr.changes event; its id derives from the input so a redelivery makes the same event."""
    change = DsrChanged(
        event_id=derived_id(source, kind.value, str(entry.id)), occurred_at=now, correlation_id=None, event_type=kind,
        entry_id=entry.id, child_id=entry.child_id, status=entry.status, rating=_rating(entry.rating),
        suggested_rating=_rating(entry.suggested_rating), escalation_suggested=entry.escalation_suggested,
        next_review_due=entry.next_review_due, by=by,
    )
    enqueue(session, change, topic=TOPIC_DSR_CHANGES, key=str(entry.child_id))


def timeline(session: Session, entry: DsrEntry, at: datetime, kind: str, summary: str, **detail: Any) -> None:
    session.add(DsrTimelineItem(entry_id=entry.id, at=at, kind=kind, summary=summary[:300], detail=detail))


# --- the consumer ------------------------------------------------------------------------------

def apply_decision(session: Session, event: TriageDecided, clock: Clock) -> bool:
    """A decision naming a DSR candidate creates a pending entry or is noted on the open one.
    Every other decision is ignored without touching the database. False: already applied."""
    if not event.dsr.candidate or event.redirect_of is not None:  # a redirect is not a new referral
        return False
    if not first_delivery(session, consumer=CONSUMER, event_id=event.event_id):
        return False
    suggested = _rating(event.dsr.suggested_rating.value if event.dsr.suggested_rating else None)
    entry = open_entry(session, event.child_id)
    outcome = rules.on_candidate(
        open_entry_rating=_rating(entry.rating) if entry else None,
        open_entry_suggested=_rating(entry.suggested_rating) if entry else None,
        has_open_entry=entry is not None, suggested=suggested,
        consent_given=event.dsr.consent is not None and event.dsr.consent.value == "given",
        today=clock.today, calendar=clock.calendar,
    )
    routes = ", ".join(f"{r.service.value}/{r.pathway} {r.priority.value}" for r in event.routes) or "no routes"
    if outcome.create:
        person = event.dsr.person
        entry = DsrEntry(
            id=derived_id(event.event_id, "dsr.entry"), child_id=event.child_id, status=outcome.status or Status.pending_consent,
            suggested_rating=suggested.value if suggested else None,
            given_name=person.given_name if person else None, family_name=person.family_name if person else None,
            date_of_birth=person.date_of_birth if person else None, nhs_number=person.nhs_number if person else None,
            has_ehcp=bool(person and person.has_ehcp), created_at=clock.now, updated_at=clock.now,
        )
        session.add(entry)
        session.flush()
        if outcome.status is Status.pending_review:
            session.add(DsrConsent(entry_id=entry.id, basis="at_referral", given_by="referrer", given_at=clock.now,
                                   reconfirm_due=rules.consent_reconfirm_due(clock.today)))
        timeline(session, entry, event.decided_at, "referral", f"Referred; triage: {event.outcome.value} ({routes})",
                 referral_id=str(event.referral_id), suggested_rating=entry.suggested_rating)
        announce(session, entry, DsrChangeType.entry_created, source=event.event_id, now=clock.now)
        return True
    assert entry is not None
    if rules.is_higher(suggested, _rating(entry.suggested_rating)):
        entry.suggested_rating = suggested.value if suggested else None
    if outcome.escalate:
        entry.escalation_suggested = True
        if entry.next_review_due is None or (outcome.next_review_due and outcome.next_review_due < entry.next_review_due):
            entry.next_review_due = outcome.next_review_due
    entry.updated_at = clock.now
    session.add(entry)
    note = f"New referral; triage: {event.outcome.value} ({routes}); suggested {suggested.value if suggested else 'no'} rating"
    timeline(session, entry, event.decided_at, "referral", note + ("; escalation suggested" if outcome.escalate else ""),
             referral_id=str(event.referral_id), suggested_rating=suggested.value if suggested else None)
    announce(session, entry, DsrChangeType.candidate_noted, source=event.event_id, now=clock.now)
    return True


def apply_outcome(session: Session, event: ServiceOutcome, clock: Clock) -> bool:
    """A service's outcome for a child on the register goes on the entry's timeline."""
    entry = open_entry(session, event.child_id)
    if entry is None or not first_delivery(session, consumer=CONSUMER, event_id=event.event_id):
        return False
    verb = event.event_type.value.removeprefix("service_request.")
    summary = f"{event.service.value}: {verb}" + (f" to {event.redirect_to.value}" if event.redirect_to else "")
    timeline(session, entry, event.occurred_at, "service_outcome", summary,
             service_request_id=str(event.service_request_id), referral_id=str(event.referral_id))
    return True


# --- the meeting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionIn:
    what: str
    owner_agency: str
    due: date


@dataclass(frozen=True)
class ReviewIn:
    rating: Rating
    rationale: str
    attendees: list[dict[str, str]]
    actions: list[ActionIn]
    next_review_due: date | None
    held_on: date | None
    keyworker: str | None = None
    lead_professional: str | None = None


def _entry(session: Session, entry_id: uuid.UUID) -> DsrEntry:
    entry = session.get(DsrEntry, entry_id)
    if entry is None:
        raise NotFoundError
    return entry


def record_review(session: Session, entry_id: uuid.UUID, review: ReviewIn, *, by: str, clock: Clock,
                  policy: RegisterPolicy = RegisterPolicy()) -> DsrReview:
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise ConflictError("the entry is closed")
    if entry.status == Status.pending_consent:
        raise ConflictError("record consent (or a best-interests decision) before the first review")
    held_on = review.held_on or clock.today
    if review.keyworker:
        entry.keyworker = review.keyworker
    if review.lead_professional:
        entry.lead_professional = review.lead_professional
    due = review.next_review_due or rules.next_review(review.rating, held_on, policy)
    record = DsrReview(id=uuid.uuid4(), entry_id=entry.id, held_on=held_on, rating=review.rating.value, rationale=review.rationale,
                       attendees=review.attendees, next_review_due=due, by=by, recorded_at=clock.now)
    session.add(record)
    session.flush()
    for action in review.actions:
        session.add(DsrAction(entry_id=entry.id, review_id=record.id, what=action.what, owner_agency=action.owner_agency, due=action.due))
    previous = _rating(entry.rating)
    if previous is not review.rating:
        session.add(DsrRatingChange(entry_id=entry.id, from_rating=entry.rating, to_rating=review.rating.value, at=clock.now,
                                    by=by, rationale=review.rationale))
        for task in rules.tasks_for_rating(review.rating, born=entry.date_of_birth or held_on, has_keyworker=bool(entry.keyworker),
                                           today=clock.today, calendar=clock.calendar, policy=policy):
            session.add(DsrTask(entry_id=entry.id, kind=task.kind, description=task.description, due=task.due, created_at=clock.now))
        entry.rating, entry.rating_since = review.rating.value, clock.now
    entry.status, entry.escalation_suggested, entry.next_review_due, entry.updated_at = Status.active, False, due, clock.now
    session.add(entry)
    change = f"rated {review.rating.value}" + (f" (was {previous.value})" if previous and previous is not review.rating else "")
    timeline(session, entry, clock.now, "review", f"DSR review: {change}; next review {due.isoformat()}", review_id=str(record.id))
    announce(session, entry, DsrChangeType.review_recorded, source=record.id, now=clock.now, by=by)
    if previous is not review.rating:
        announce(session, entry, DsrChangeType.rating_changed, source=record.id, now=clock.now, by=by)
    return record


def record_consent(session: Session, entry_id: uuid.UUID, *, basis: str, given_by: str, by: str, clock: Clock) -> DsrEntry:
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise ConflictError("the entry is closed")
    session.add(DsrConsent(entry_id=entry.id, basis=basis, given_by=given_by, given_at=clock.now,
                           reconfirm_due=rules.consent_reconfirm_due(clock.today)))
    if entry.status == Status.pending_consent:
        entry.status = Status.pending_review
    entry.updated_at = clock.now
    session.add(entry)
    timeline(session, entry, clock.now, "consent", f"Consent recorded ({basis})")
    announce(session, entry, DsrChangeType.consent_changed, source=uuid.uuid4(), now=clock.now, by=by)
    return entry


def withdraw_consent(session: Session, entry_id: uuid.UUID, *, by: str, clock: Clock) -> DsrEntry:
    """Closes the entry and suppresses the person's details: processing stops (dsr.md)."""
    entry = _entry(session, entry_id)
    for consent in session.exec(select(DsrConsent).where(DsrConsent.entry_id == entry.id, col(DsrConsent.withdrawn_at).is_(None))).all():
        consent.withdrawn_at = clock.now
        session.add(consent)
    status, suppressed = rules.on_consent_withdrawn()
    entry.status, entry.suppressed, entry.closed_reason, entry.updated_at = status, suppressed, "consent_withdrawn", clock.now
    entry.given_name = entry.family_name = entry.nhs_number = None
    session.add(entry)
    timeline(session, entry, clock.now, "consent", "Consent withdrawn: entry closed and details suppressed")
    source = uuid.uuid4()
    announce(session, entry, DsrChangeType.consent_changed, source=source, now=clock.now, by=by)
    announce(session, entry, DsrChangeType.entry_closed, source=source, now=clock.now, by=by)
    return entry


def close_entry(session: Session, entry_id: uuid.UUID, *, reason: str, by: str, clock: Clock) -> DsrEntry:
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise ConflictError("the entry is already closed")
    entry.status, entry.closed_reason, entry.updated_at = Status.closed, reason, clock.now
    session.add(entry)
    timeline(session, entry, clock.now, "closed", f"Entry closed ({reason.replace('_', ' ')})")
    announce(session, entry, DsrChangeType.entry_closed, source=uuid.uuid4(), now=clock.now, by=by)
    return entry

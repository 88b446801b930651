"""The register's use cases, each in the caller's transaction: the consumer's handlers (a triage
decision, a person's decision on the front door, a service outcome) and what the DSR meeting does
(review, consent, withdrawal, close).
Rules come from rules.py, wording and events from domain.py; changes are announced through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from schemas import TOPIC_DSR_CHANGES, ServiceOutcome, TriageDecided, TriageOverridden, lifecycle
from schemas.enums import DsrChangeType
from schemas.labels import label
from services.common.db import hold_lock
from services.common.outbox import enqueue
from services.common.workdays import WorkingCalendar
from services.dsr import domain, identity, rules
from services.dsr.domain import (
    OPEN,
    AlreadyClosedError,
    Clock,
    ConsentFirstError,
    EntryClosedError,
    EntryNotFoundError,
    Rating,
    ReviewIn,
    Status,
    entry_id_for,
    rating,
)
from services.dsr.rules import CandidateOutcome, RegisterPolicy
from services.dsr.tables import DsrAction, DsrConsent, DsrEntry, DsrRatingChange, DsrReview, DsrTask, DsrTimelineItem

CALENDAR = WorkingCalendar()
REGISTER_LOCK = 0x6473722E70657273  # pg_advisory_xact_lock key ("dsr.pers")


def open_entry(session: Session, child_id: uuid.UUID) -> DsrEntry | None:
    """The child's open entry; the oldest when a merge of two child records left two open (until the
    DSR meeting closes one)."""
    query = select(DsrEntry).where(DsrEntry.child_id == child_id, col(DsrEntry.status).in_(OPEN))
    return session.exec(query.order_by(col(DsrEntry.created_at), col(DsrEntry.id))).first()


def matching_open_entry(session: Session, who: identity.Person) -> DsrEntry | None:
    """The open entry of the same person (identity.first_match: NHS number, else name and date of birth).
    Register writers that may create an entry serialise here until their transaction ends, so two additions of
    one new person at the same moment (two practitioners, or a practitioner and triage) cannot both find none."""
    if not who.nhs_number and who.born is None:
        return None
    hold_lock(session, REGISTER_LOCK, sqlite_table="dsr_timeline")
    same = [col(DsrEntry.nhs_number) == who.nhs_number] if who.nhs_number else []
    same += [col(DsrEntry.date_of_birth) == who.born] if who.born else []
    query = select(DsrEntry).where(col(DsrEntry.status).in_(OPEN), or_(*same))
    entries = session.exec(query.order_by(col(DsrEntry.created_at), col(DsrEntry.id))).all()
    known = [(e.id, identity.person(nhs_number=e.nhs_number, given_name=e.given_name, family_name=e.family_name,
                                    born=e.date_of_birth)) for e in entries]
    found = identity.first_match(who, known)
    return next((e for e in entries if e.id == found), None)


def _entry(session: Session, entry_id: uuid.UUID) -> DsrEntry:
    entry = session.get(DsrEntry, entry_id)
    if entry is None:
        raise EntryNotFoundError
    return entry


def announce(session: Session, entry: DsrEntry, kind: DsrChangeType, *, source: uuid.UUID, now: datetime,
             by: str | None = None, by_name: str | None = None) -> None:
    """Queue a dsr.changes event (keyed by child) in the caller's transaction (`by_name`: who, as people read it)."""
    enqueue(session, domain.change_event(entry, kind, source=source, now=now, by=by, by_name=by_name),
            topic=TOPIC_DSR_CHANGES, key=str(entry.child_id))


def outcome_team(event: ServiceOutcome) -> str:
    """The team of whoever did what an outcome says, in words: the front door withdraws; a service does the rest."""
    team = lifecycle.outcome_team(event.event_type, event.service)
    return "front door" if team == lifecycle.FRONT_DOOR_TEAM else label(team)


def add_to_timeline(session: Session, entry: DsrEntry, at: datetime, kind: str, summary: str, **detail: Any) -> None:
    """Add a line to the entry's timeline (the summary cut to 300 characters) in the caller's transaction."""
    session.add(DsrTimelineItem(entry_id=entry.id, at=at, kind=kind, summary=summary[:300], detail=detail))


# --- the consumer ------------------------------------------------------------------------------

def apply_decision(session: Session, event: TriageDecided, now: datetime) -> bool:
    """A decision naming a DSR candidate creates a pending entry or is noted on the open one.
    False (nothing written) for every other decision, and for a redirect's (not a new referral)."""
    if event.redirect_of is not None:
        return False
    return _apply_candidate(session, event, now, created=domain.referred_summary(event), kind="referral",
                            noted=partial(domain.candidate_noted_summary, event))


def apply_override(session: Session, event: TriageOverridden, now: datetime) -> bool:
    """A person's decision on the front door is a decision like triage's own: a candidate creates a pending
    entry or is noted on the open one, the timeline saying who decided. False for a decision naming no candidate."""
    return _apply_candidate(session, event, now, created=domain.override_created_summary(event), kind="front_door",
                            noted=partial(domain.override_noted_summary, event))


def ignore(session: Session, event: Any, now: datetime) -> bool:
    """An event the register passes by: an emergency with no recorded contact by its clock is the front door's to
    chase; who holds a piece of work and its notes are the front door's and the services'."""
    return False


def _apply_candidate(session: Session, event: TriageDecided | TriageOverridden, now: datetime, *, created: str,
                     kind: str, noted: Callable[..., str]) -> bool:
    if not event.dsr.candidate:
        return False
    clock = Clock(now, CALENDAR)
    entry = open_entry(session, event.child_id) or _same_person(session, event, clock)
    suggested = event.dsr.suggested_rating
    outcome = rules.on_candidate(
        open_entry_rating=rating(entry.rating) if entry else None,
        open_entry_suggested=rating(entry.suggested_rating) if entry else None,
        has_open_entry=entry is not None, suggested=suggested,
        consent_given=event.dsr.consent is not None and event.dsr.consent.value == "given",
        today=clock.today, calendar=clock.calendar,
    )
    if entry is None:
        _create_entry(session, event, outcome, clock, kind=kind, summary=created)
    else:
        _note_candidate(session, entry, event, outcome, clock, kind=kind,
                        summary=noted(suggested, escalate=outcome.escalate))
    return True


def _same_person(session: Session, event: TriageDecided | TriageOverridden, clock: Clock) -> DsrEntry | None:
    """A referral about a person already on the register under another record (added directly, or before a
    merge): their open entry. An entry added directly is linked to this child once, so the child's service
    outcomes reach its timeline."""
    who = event.dsr.person
    if who is None:
        return None
    entry = matching_open_entry(session, identity.person(
        nhs_number=who.nhs_number, given_name=who.given_name, family_name=who.family_name, born=who.date_of_birth))
    if entry is not None and entry.child_id == domain.person_id_for(entry.id):
        entry.child_id = event.child_id
        session.add(entry)
        add_to_timeline(session, entry, event.decided_at, "linked", domain.LINKED_SUMMARY, child_id=str(event.child_id),
                        referral_id=str(event.referral_id))
    return entry


def _create_entry(session: Session, event: TriageDecided | TriageOverridden, outcome: CandidateOutcome, clock: Clock,
                  *, kind: str, summary: str) -> None:
    person, suggested = event.dsr.person, event.dsr.suggested_rating
    entry = DsrEntry(
        id=entry_id_for(event.event_id), child_id=event.child_id, status=outcome.status or Status.pending_consent,
        suggested_rating=suggested.value if suggested else None,
        given_name=person.given_name if person else None, family_name=person.family_name if person else None,
        date_of_birth=person.date_of_birth if person else None, nhs_number=person.nhs_number if person else None,
        has_ehcp=bool(person and person.has_ehcp), created_at=clock.now, updated_at=clock.now,
    )
    session.add(entry)
    session.flush()
    if outcome.status is Status.pending_review:  # consent given at referral
        session.add(DsrConsent(entry_id=entry.id, basis="at_referral", given_by="referrer", given_at=clock.now,
                               reconfirm_due=rules.consent_reconfirm_due(clock.today)))
    add_to_timeline(session, entry, event.decided_at, kind, summary, referral_id=str(event.referral_id),
                    suggested_rating=entry.suggested_rating)
    announce(session, entry, DsrChangeType.entry_created, source=event.event_id, now=clock.now)


def _note_candidate(session: Session, entry: DsrEntry, event: TriageDecided | TriageOverridden,
                    outcome: CandidateOutcome, clock: Clock, *, kind: str, summary: str) -> None:
    suggested = event.dsr.suggested_rating
    note(session, entry, suggested, outcome, clock, at=event.decided_at, kind=kind, summary=summary,
         source=event.event_id, referral_id=str(event.referral_id))


def note(session: Session, entry: DsrEntry, suggested: Rating | None, outcome: CandidateOutcome, clock: Clock, *,
         at: datetime, kind: str, summary: str, source: uuid.UUID, **detail: Any) -> None:
    """A further addition about a person on the register goes on the open entry's timeline: a higher suggestion
    marks escalation and brings the next review forward (rules.on_candidate). Never a second entry."""
    if rules.is_higher(suggested, rating(entry.suggested_rating)):
        entry.suggested_rating = suggested.value if suggested else None
    if outcome.escalate:
        entry.escalation_suggested = True
        due = outcome.next_review_due
        if entry.next_review_due is None or (due and due < entry.next_review_due):
            entry.next_review_due = due
    entry.updated_at = clock.now
    session.add(entry)
    add_to_timeline(session, entry, at, kind, summary, suggested_rating=suggested.value if suggested else None,
                    **detail)
    announce(session, entry, DsrChangeType.candidate_noted, source=source, now=clock.now)


def apply_outcome(session: Session, event: ServiceOutcome, now: datetime) -> bool:
    """A service's outcome for a child on the register goes on the entry's timeline.
    False (nothing written) when the child has no open entry."""
    entry = open_entry(session, event.child_id)
    if entry is None:
        return False
    add_to_timeline(session, entry, event.occurred_at, "service_outcome", domain.outcome_summary(event),
                    service_request_id=str(event.service_request_id), referral_id=str(event.referral_id),
                    **({"by": f"{event.by_name}, {outcome_team(event)}"} if event.by_name else {}))
    return True


# --- the meeting -------------------------------------------------------------------------------

def record_review(session: Session, entry_id: uuid.UUID, review: ReviewIn, *, by: str, clock: Clock,
                  policy: RegisterPolicy = RegisterPolicy(), by_name: str | None = None) -> DsrReview:
    """A review sets the rating, the next review date and the actions; a new rating raises its tasks.
    Refused on a closed entry and before consent. `by_name`: the display name of who recorded it."""
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise EntryClosedError
    if entry.status == Status.pending_consent:
        raise ConsentFirstError
    held_on = review.held_on or clock.today
    entry.keyworker = review.keyworker or entry.keyworker
    entry.lead_professional = review.lead_professional or entry.lead_professional
    due = review.next_review_due or rules.next_review(review.rating, held_on, policy)
    record = DsrReview(id=uuid.uuid4(), entry_id=entry.id, held_on=held_on, rating=review.rating.value,
                       rationale=review.rationale, attendees=review.attendees, next_review_due=due, by=by,
                       by_name=by_name, recorded_at=clock.now)
    session.add(record)
    session.flush()
    for action in review.actions:
        session.add(DsrAction(entry_id=entry.id, review_id=record.id, what=action.what,
                              owner_agency=action.owner_agency, due=action.due))
    previous = rating(entry.rating)
    changed = previous is not review.rating
    if changed:
        _change_rating(session, entry, review, held_on, by=by, by_name=by_name, clock=clock, policy=policy)
    entry.status, entry.escalation_suggested = Status.active, False
    entry.next_review_due, entry.updated_at = due, clock.now
    session.add(entry)
    add_to_timeline(session, entry, clock.now, "review", domain.review_summary(review.rating, previous, due),
                    review_id=str(record.id), **({"by": f"{by_name}, DSR meeting"} if by_name else {}))
    announce(session, entry, DsrChangeType.review_recorded, source=record.id, now=clock.now, by=by, by_name=by_name)
    if changed:
        announce(session, entry, DsrChangeType.rating_changed, source=record.id, now=clock.now, by=by,
                 by_name=by_name)
    return record


def _change_rating(session: Session, entry: DsrEntry, review: ReviewIn, held_on: date, *, by: str, clock: Clock,
                   policy: RegisterPolicy, by_name: str | None = None) -> None:
    """The rating history row and the tasks the new rating raises."""
    new: Rating = review.rating
    session.add(DsrRatingChange(entry_id=entry.id, from_rating=entry.rating, to_rating=new.value, at=clock.now, by=by,
                                by_name=by_name, rationale=review.rationale))
    tasks = rules.tasks_for_rating(new, born=entry.date_of_birth or held_on, has_keyworker=bool(entry.keyworker),
                                   today=clock.today, calendar=clock.calendar, policy=policy)
    for task in tasks:
        session.add(DsrTask(entry_id=entry.id, kind=task.kind, description=task.description, due=task.due,
                            created_at=clock.now))
    entry.rating, entry.rating_since = new.value, clock.now


def record_consent(session: Session, entry_id: uuid.UUID, *, basis: str, given_by: str, by: str,
                   clock: Clock) -> DsrEntry:
    """Consent (or a best-interests decision) lets a pending entry go to review. Refused when closed."""
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise EntryClosedError
    session.add(DsrConsent(entry_id=entry.id, basis=basis, given_by=given_by, given_at=clock.now,
                           reconfirm_due=rules.consent_reconfirm_due(clock.today)))
    if entry.status == Status.pending_consent:
        entry.status = Status.pending_review
    entry.updated_at = clock.now
    session.add(entry)
    add_to_timeline(session, entry, clock.now, "consent", domain.consent_summary(basis))
    announce(session, entry, DsrChangeType.consent_changed, source=uuid.uuid4(), now=clock.now, by=by)
    return entry


def withdraw_consent(session: Session, entry_id: uuid.UUID, *, by: str, clock: Clock) -> DsrEntry:
    """Closes the entry and suppresses the person's details: processing stops (dsr.md)."""
    entry = _entry(session, entry_id)
    given = select(DsrConsent).where(DsrConsent.entry_id == entry.id, col(DsrConsent.withdrawn_at).is_(None))
    for consent in session.exec(given).all():
        consent.withdrawn_at = clock.now
        session.add(consent)
    status, suppressed = rules.on_consent_withdrawn()
    entry.status, entry.suppressed, entry.closed_reason = status, suppressed, "consent_withdrawn"
    entry.updated_at = clock.now
    entry.given_name = entry.family_name = entry.nhs_number = None
    session.add(entry)
    add_to_timeline(session, entry, clock.now, "consent", domain.WITHDRAWN_SUMMARY)
    source = uuid.uuid4()
    announce(session, entry, DsrChangeType.consent_changed, source=source, now=clock.now, by=by)
    announce(session, entry, DsrChangeType.entry_closed, source=source, now=clock.now, by=by)
    return entry


def close_entry(session: Session, entry_id: uuid.UUID, *, reason: str, by: str, clock: Clock) -> DsrEntry:
    """Refused when the entry is already closed."""
    entry = _entry(session, entry_id)
    if entry.status == Status.closed:
        raise AlreadyClosedError
    entry.status, entry.closed_reason, entry.updated_at = Status.closed, reason, clock.now
    session.add(entry)
    add_to_timeline(session, entry, clock.now, "closed", domain.closed_summary(reason))
    announce(session, entry, DsrChangeType.entry_closed, source=uuid.uuid4(), now=clock.now, by=by)
    return entry

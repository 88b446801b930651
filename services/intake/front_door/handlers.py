"""The front-door team's use cases on a referral, each in the caller's transaction: record that
contact was made for an emergency, record a chase for missing information, and the emergency
clock (an emergency with no recorded contact by its due time announces itself once). The queue
they work from is read in `front_door_views`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, EmergencyUnanswered
from schemas.lifecycle import FRONT_DOOR_TEAM
from services.common.db import session_scope
from services.common.errors import ConflictError
from services.common.ids import derived_id
from services.common.outbox import enqueue
from services.common.tables import utcnow
from services.intake.front_door.domain import NoSuchReferralError
from services.intake.referrals.domain import NEEDS_INFORMATION
from services.intake.referrals.handlers import note as timeline_note
from services.intake.tables import EmergencyContact, InformationChase, ReferralRecord

EMERGENCY = "emergency"
CONTACT_WORDS = {"phone": "by phone", "in_person": "in person", "video": "by video call", "email": "by email"}
CHASE_WORDS = {"phone": "phone", "email": "email"}


class NotAnEmergencyError(ConflictError):
    message = "Contact can only be recorded for a referral decided as an emergency"


class NotWaitingForInformationError(ConflictError):
    message = "Only a referral waiting for missing information can be chased"


def record_emergency_contact(session: Session, referral_id: uuid.UUID, *, contacted: str, how: str,
                             contacted_at: datetime, note: str | None, by: str, now: datetime,
                             by_name: str | None = None) -> EmergencyContact:
    """Who was contacted for an emergency, how and when (recorded by `by`, named `by_name`). The first contact stops
    the clock and takes the referral off the queue; a later one is kept as well."""
    record = _referral(session, referral_id)
    if record.outcome != EMERGENCY:
        raise NotAnEmergencyError
    contact = EmergencyContact(referral_id=record.id, contacted=contacted, how=how, contacted_at=contacted_at,
                               note=note, recorded_by=by, recorded_by_name=by_name, recorded_at=now)
    session.add(contact)
    if record.contact_made_at is None or contacted_at < record.contact_made_at:
        record.contact_made_at = contacted_at
        session.add(record)
    timeline_note(session, record, now, "emergency_contact",
          f"The front door recorded emergency contact with {contacted} ({CONTACT_WORDS[how]})",
          by_name=by_name, by_team=FRONT_DOOR_TEAM)
    return contact


def record_chase(session: Session, referral_id: uuid.UUID, *, how: str, note: str | None, by: str,
                 now: datetime, by_name: str | None = None) -> InformationChase:
    """The front door contacted the referrer about missing information; the referrer sees it on the referral."""
    record = _referral(session, referral_id)
    if record.outcome != NEEDS_INFORMATION:
        raise NotWaitingForInformationError
    chase = InformationChase(referral_id=record.id, how=how, note=note, by=by, by_name=by_name, at=now)
    session.add(chase)
    record.last_chased_at = now
    session.add(record)
    timeline_note(session, record, now, "information_chased",
          f"The front door contacted you about the missing information ({CHASE_WORDS[how]})",
          by_name=by_name, by_team=FRONT_DOOR_TEAM)
    return chase


def mark_unanswered_emergencies(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Emit referral.emergency_unanswered once per emergency past its clock with no contact recorded.

    Safe with several replicas: each referral is claimed by a conditional UPDATE (emergency_unanswered_at
    IS NULL), so only one transaction wins it, and its event is queued in that same transaction; the
    event id is derived from the referral, so even a replayed claim yields the same event."""
    unclaimed = col(ReferralRecord.emergency_unanswered_at).is_(None)
    late = (col(ReferralRecord.outcome) == EMERGENCY) & col(ReferralRecord.contact_made_at).is_(None) & (
        col(ReferralRecord.emergency_due_at) < now)
    due = session.exec(select(ReferralRecord.id).where(unclaimed, late)
                       .order_by(col(ReferralRecord.emergency_due_at)).limit(limit)).all()
    count = 0
    for referral_id in due:
        claim = update(ReferralRecord).where(col(ReferralRecord.id) == referral_id, unclaimed, late)
        if session.execute(claim.values(emergency_unanswered_at=now)).rowcount != 1:  # type: ignore[attr-defined]
            continue  # another replica took it, or contact was recorded meanwhile
        record = session.get(ReferralRecord, referral_id, populate_existing=True)
        assert record is not None and record.emergency_due_at is not None
        event = EmergencyUnanswered(
            event_id=derived_id(record.id, "referral.emergency_unanswered"), occurred_at=now,
            correlation_id=record.id, referral_id=record.id, child_id=record.child_id, due_by=record.emergency_due_at,
        )
        enqueue(session, event, topic=TOPIC_DECISIONS, key=str(record.child_id))
        timeline_note(session, record, now, "emergency_unanswered",
              "No contact was recorded within the emergency time limit; the front door team has been alerted")
        count += 1
    return count


def run_emergency_check(engine: Engine) -> int:
    """One round of the emergency clock (blocking)."""
    with session_scope(engine) as session:
        return mark_unanswered_emergencies(session, utcnow())


def _referral(session: Session, referral_id: uuid.UUID) -> ReferralRecord:
    record = session.get(ReferralRecord, referral_id)
    if record is None:
        raise NoSuchReferralError
    return record


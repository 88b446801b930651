"""Adding a note to a referral: the front door's, with its referral.note_added event (ids only) through the outbox on
the decisions topic, in the same transaction (services/common/notes.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from schemas import TOPIC_DECISIONS
from schemas.events import ReferralNoteAdded
from schemas.lifecycle import FRONT_DOOR_TEAM
from services.common import notes
from services.common.auth import Principal
from services.common.outbox import enqueue
from services.intake.front_door.domain import NoSuchReferralError
from services.intake.tables import ReferralNote, ReferralRecord


def referral_of(session: Session, referral_id: uuid.UUID) -> ReferralRecord:
    record = session.get(ReferralRecord, referral_id)
    if record is None:
        raise NoSuchReferralError
    return record


def add_note(session: Session, referral_id: uuid.UUID, form: notes.NoteForm, *, by: Principal,
             now: datetime) -> tuple[ReferralNote, bool, ReferralRecord]:
    """A front-door note on any referral (the front door sees them all); (note, added, the referral)."""
    record = referral_of(session, referral_id)
    writer = notes.Writer(by.subject, by.name, FRONT_DOOR_TEAM)
    note, added = notes.add(session, ReferralNote, form, ("referral_id", record.id), writer, now)
    if added:
        enqueue(session, ReferralNoteAdded(**notes.written(note, record.child_id), referral_id=record.id),
                topic=TOPIC_DECISIONS, key=str(record.child_id))
    return note, added, record

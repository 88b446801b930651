"""Case notes on a service request (issue 23, item 4): its service's workers add and read them; while the request is
held for MASH its service cannot see the child yet, so no note can be added to it or read from it. Each note's
service_request.note_added event (ids only) goes through the outbox on the outcomes topic, in the same transaction
(services/common/notes.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from schemas import TOPIC_OUTCOMES
from schemas.events import ServiceRequestNoteAdded
from services.common import notes
from services.common.auth import Principal
from services.common.errors import ConflictError
from services.common.outbox import enqueue
from services.worklists.handlers import NOT_RECEIVED, RequestNotFoundError, item_of
from services.worklists.tables import ServiceRequestNote, WorklistItem


class HeldForMashError(ConflictError):
    message = ("This request is held for the safeguarding hub (MASH), which decides first: its notes can be added "
               "and read once MASH releases it")


def seen_item(session: Session, service: str, request_id: uuid.UUID) -> WorklistItem:
    """The service's request, if its workers may see the child: not held for MASH (409), received (404)."""
    item = item_of(session, service, request_id)
    if item.priority == NOT_RECEIVED:
        raise RequestNotFoundError
    if item.held:
        raise HeldForMashError
    return item


def add_note(session: Session, service: str, request_id: uuid.UUID, form: notes.NoteForm, *, by: Principal,
             now: datetime) -> tuple[ServiceRequestNote, bool, WorklistItem]:
    item = seen_item(session, service, request_id)
    note, added = notes.add(session, ServiceRequestNote, form, ("service_request_id", item.id),
                            notes.Writer(by.subject, by.name, service), now)
    if added:
        enqueue(session, ServiceRequestNoteAdded(**notes.written(note, item.child_id), service_request_id=item.id,
                                                 referral_id=item.referral_id, service=service),
                topic=TOPIC_OUTCOMES, key=str(item.child_id))
    return note, added, item


def request_notes(session: Session, service: str, request_id: uuid.UUID) -> list[dict[str, Any]]:
    return notes.listed(session, ServiceRequestNote, "service_request_id", [seen_item(session, service, request_id).id])


def child_notes(session: Session, service: str, child_id: uuid.UUID) -> list[dict[str, Any]]:
    """The notes on the service's requests about the child its workers may see (none held for MASH), newest first."""
    seen = session.exec(select(WorklistItem.id).where(
        WorklistItem.service == service, WorklistItem.child_id == child_id, WorklistItem.held == False,  # noqa: E712
        WorklistItem.priority != NOT_RECEIVED)).all()
    return notes.listed(session, ServiceRequestNote, "service_request_id", seen)

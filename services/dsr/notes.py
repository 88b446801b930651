"""Case notes on a register entry (issue 23, item 4): the DSR panel adds them; whoever may see the entry reads them
(the panel; a dsr_referrer, only on an entry they added). Each note's dsr.note_added event (ids only) goes through the
outbox on the register's changes topic, keyed by the child, in the same transaction (services/common/notes.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from schemas import TOPIC_DSR_CHANGES
from schemas.events import DsrNoteAdded
from schemas.views.notes import DSR_PANEL_TEAM
from services.common import notes
from services.common.auth import Principal
from services.common.outbox import enqueue
from services.dsr.domain import EntryNotFoundError
from services.dsr.tables import DsrEntry, DsrNote


def entry_of(session: Session, entry_id: uuid.UUID, *, added_by: str | None = None) -> DsrEntry:
    """The entry; with `added_by`, only if that person added it (any other is as good as missing)."""
    entry = session.get(DsrEntry, entry_id)
    if entry is None or (added_by is not None and entry.added_by != added_by):
        raise EntryNotFoundError
    return entry


def add_note(session: Session, entry_id: uuid.UUID, form: notes.NoteForm, *, by: Principal,
             now: datetime) -> tuple[DsrNote, bool, DsrEntry]:
    entry = entry_of(session, entry_id)
    note, added = notes.add(session, DsrNote, form, ("entry_id", entry.id),
                            notes.Writer(by.subject, by.name, DSR_PANEL_TEAM), now)
    if added:
        enqueue(session, DsrNoteAdded(**notes.written(note, entry.child_id), entry_id=entry.id),
                topic=TOPIC_DSR_CHANGES, key=str(entry.child_id))
    return note, added, entry


def entry_notes(session: Session, entry_id: uuid.UUID, *, added_by: str | None = None) -> list[dict[str, Any]]:
    return notes.listed(session, DsrNote, "entry_id", [entry_of(session, entry_id, added_by=added_by).id])


def child_notes(session: Session, child_id: uuid.UUID) -> list[dict[str, Any]]:
    """The notes on the child's entries, newest first (for the child's page)."""
    entries = session.exec(select(DsrEntry.id).where(DsrEntry.child_id == child_id)).all()
    return notes.listed(session, DsrNote, "entry_id", entries)

"""Case notes on a register entry over HTTP: the DSR panel adds them; the panel reads any entry's, a dsr_referrer only
those of an entry they added (404 for every other); the notes on a child's entries for the child's page (the panel).
Audited."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from schemas.views.notes import Note
from services.common import answers, notes
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.dsr import notes as entry_notes
from services.dsr.routes import Panel, PanelOrAdder

router = APIRouter(tags=["case notes"], route_class=AuditedRoute, responses=answers.SIGNED_IN)


@router.get("/dsr/entries/{entry_id}/notes", response_model=list[Note], response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_notes(request: Request, entry_id: uuid.UUID, by: PanelOrAdder) -> list[dict[str, Any]]:
    """The entry's notes, newest first: the panel, any entry's; a dsr_referrer, only an entry they added."""
    added_by = None if by.has("dsr_panel") else by.subject
    return await in_transaction(request, lambda s: entry_notes.entry_notes(s, entry_id, added_by=added_by),
                                by=by, action="dsr.notes", about=Subject(record_id=entry_id))


@router.post("/dsr/entries/{entry_id}/notes", status_code=201, response_model=Note, response_model_exclude_unset=True,
             responses=answers.of(404, 409, 413, 422, d409="this form's key was sent already with other words")
             | notes.SENT_AGAIN)
async def post_note(request: Request, response: Response, entry_id: uuid.UUID, form: notes.NoteForm,
                    by: Panel) -> dict[str, Any]:
    """A note on the entry (201); the same form sent again (its key and words) answers the note it added (200)."""
    def use_case(session: Session) -> Any:
        return entry_notes.add_note(session, entry_id, form, by=by, now=utcnow())

    return await notes.added(request, response, use_case, "entry_id", by=by, action="dsr.note",
                             about=lambda r: Subject(child_id=r[2].child_id, record_id=entry_id))


@router.get("/dsr/children/{child_id}/notes", response_model=list[Note], response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_child_notes(request: Request, child_id: uuid.UUID, by: Panel) -> list[dict[str, Any]]:
    """The notes on the child's register entries, newest first (for the child's page)."""
    return await in_transaction(request, lambda s: entry_notes.child_notes(s, child_id), by=by,
                                action="dsr.child.notes", about=Subject(child_id=child_id))

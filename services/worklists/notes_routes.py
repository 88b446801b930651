"""Case notes on a service request over HTTP: the service's own workers only (`worker:<service>`), never on a request
held for MASH (409); and the notes on the service's requests about one child, for the child's page. Audited."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from schemas.views.notes import Note
from services.common import answers, notes
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.worklists import notes as request_notes
from services.worklists.routes import ServicePath, Worker

router = APIRouter(tags=["case notes"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
HELD = "the request is held for MASH: its service may not add or read its notes until MASH releases it"


@router.get("/worklists/{service_name}/requests/{request_id}/notes", response_model=list[Note],
            response_model_exclude_unset=True, responses=answers.of(404, 409, 422, d409=HELD))
async def get_notes(request: Request, service_name: ServicePath, request_id: uuid.UUID,
                    by: Worker) -> list[dict[str, Any]]:
    """The request's notes, newest first."""
    return await in_transaction(request, lambda s: request_notes.request_notes(s, service_name.value, request_id),
                                by=by, action="worklist.notes", about=Subject(record_id=request_id))


@router.post("/worklists/{service_name}/requests/{request_id}/notes", status_code=201, response_model=Note,
             response_model_exclude_unset=True, responses=answers.of(
                 404, 409, 413, 422, d409=f"{HELD}; or this form's key was sent already with other words")
             | notes.SENT_AGAIN)
async def post_note(request: Request, response: Response, service_name: ServicePath, request_id: uuid.UUID,
                    form: notes.NoteForm, by: Worker) -> dict[str, Any]:
    """A note on the request (201); the same form sent again (its key and words) answers the note it added (200)."""
    def use_case(session: Session) -> Any:
        return request_notes.add_note(session, service_name.value, request_id, form, by=by, now=utcnow())

    return await notes.added(request, response, use_case, "service_request_id", by=by, action="worklist.note",
                             about=lambda r: Subject(referral_id=r[2].referral_id, child_id=r[2].child_id,
                                                     record_id=request_id))


@router.get("/worklists/{service_name}/children/{child_id}/notes", response_model=list[Note],
            response_model_exclude_unset=True, responses=answers.of(422))
async def get_child_notes(request: Request, service_name: ServicePath, child_id: uuid.UUID,
                          by: Worker) -> list[dict[str, Any]]:
    """The notes on the service's requests about the child (none held for MASH), newest first."""
    return await in_transaction(request, lambda s: request_notes.child_notes(s, service_name.value, child_id),
                                by=by, action="worklist.child.notes", about=Subject(child_id=child_id))

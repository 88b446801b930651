"""The front door's case notes over HTTP (role `front_door`): on a referral, and every note on a child's referrals
for the child's page. Every read and every note added is audited with the child's id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from schemas.views.notes import Note
from services.common import answers, notes
from services.common.auth import Principal, require
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.notes import handlers, views
from services.intake.tables import ReferralRecord

router = APIRouter(tags=["case notes"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
FrontDoor = Annotated[Principal, Depends(require("front_door"))]


@router.get("/front-door/referrals/{referral_id}/notes", response_model=list[Note], response_model_exclude_unset=True,
            responses=answers.of(404, 422, d404="no such referral"))
async def get_notes(referral_id: uuid.UUID, request: Request, by: FrontDoor) -> list[dict[str, Any]]:
    """The referral's notes, newest first."""
    def read(session: Session) -> tuple[list[dict[str, Any]], ReferralRecord]:
        return views.referral_notes(session, referral_id), handlers.referral_of(session, referral_id)

    found, _ = await in_transaction(request, read, by=by, action="front_door.notes",
                                    about=lambda r: Subject(referral_id=referral_id, child_id=r[1].child_id))
    return found


@router.post("/front-door/referrals/{referral_id}/notes", status_code=201, response_model=Note,
             response_model_exclude_unset=True, responses=answers.of(
                 404, 409, 413, 422, d404="no such referral",
                 d409="this form's key was sent already with other words or about another thing: nothing added")
             | notes.SENT_AGAIN)
async def post_note(referral_id: uuid.UUID, form: notes.NoteForm, request: Request, response: Response,
                    by: FrontDoor) -> dict[str, Any]:
    """A note on the referral (201); the same form sent again (its key and words) answers the note it added (200)."""
    def use_case(session: Session) -> Any:
        return handlers.add_note(session, referral_id, form, by=by, now=utcnow())

    return await notes.added(request, response, use_case, "referral_id", by=by, action="front_door.note",
                             about=lambda r: Subject(referral_id=referral_id, child_id=r[2].child_id))


@router.get("/children/{child_id}/notes", response_model=list[Note], response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_child_notes(child_id: uuid.UUID, request: Request, by: FrontDoor) -> list[dict[str, Any]]:
    """The notes on every referral about the child, newest first (for the child's page)."""
    return await in_transaction(request, lambda s: views.child_notes(s, child_id), by=by, action="child.notes",
                                about=Subject(child_id=child_id))

"""One child's record over HTTP, for the child's page: the front door (and its manager), MASH and the DSR panel (and
its chair) read everything intake holds about the child; every read audited with the child's id."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from schemas.views.child_record import ChildRecord
from services.common import answers
from services.common.auth import Principal, require
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.child_record import views

router = APIRouter(prefix="/children", tags=["children"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
ChildReader = Annotated[Principal, Depends(require("front_door", "dsr_panel", "worker:safeguarding"))]


def shown_child(child_id: uuid.UUID) -> Any:
    """`about=` for a read of the child's record: the child, and the record it was merged into if it was."""
    def about(view: dict[str, Any]) -> Subject:
        survivor = view.get("merged_into")
        return Subject(child_id=child_id, child_ids=(uuid.UUID(survivor),) if survivor else ())

    return about


@router.get("/{child_id}", response_model=ChildRecord, responses=answers.of(404, 422, d404="no such child"))
async def get_child(child_id: uuid.UUID, request: Request, by: ChildReader) -> dict[str, Any]:
    """Everything intake holds about one child: who they are, every referral, request, timeline line, advice question
    that led to a referral, and merge."""
    return await in_transaction(request, lambda s: views.child_record(s, child_id), by=by, action="child.read",
                                about=shown_child(child_id))

"""A referral's summary for the child's family or school over HTTP: its referrer and the front door."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from schemas.referral import LONDON
from schemas.views.summaries import FamilySummary
from services.common import answers
from services.common.auth import Principal, require
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.summaries import views

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
ReferrerOrFrontDoor = Annotated[Principal, Depends(require("referrer", "front_door"))]


@router.get("/referrals/{referral_id}/summary", response_model=FamilySummary, response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_summary(referral_id: uuid.UUID, request: Request, by: ReferrerOrFrontDoor) -> dict[str, Any]:
    """The referral in plain words to share with the child's family or school (to print): what was asked, what was
    decided and why, who will be in touch and by when. Its referrer's own referral (404 for anyone else's), or any
    for the front door; nothing of other referrers' activity, nothing MASH has yet to decide. Audited as `print`."""
    today = utcnow().astimezone(LONDON).date()

    def read(session: Any) -> tuple[dict[str, Any], uuid.UUID]:
        return views.summary_view(session, referral_id, by=by, today=today)

    summary, _ = await in_transaction(request, read, by=by, action="print",
                                      about=lambda found: Subject(referral_id=referral_id, child_id=found[1]))
    return summary

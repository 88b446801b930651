"""The DSR meeting's pack over HTTP (role `dsr_panel` only), audited as every child it shows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from schemas.views.dsr_pack import MeetingPack
from services.common import answers
from services.common.auth import Principal, require
from services.common.transactions import AuditedRoute, Shown, children_of, in_transaction
from services.dsr import pack
from services.dsr.routes import AgeBand, Now, Track
from services.dsr.tables import DsrEntry

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Panel = Annotated[Principal, Depends(require("dsr_panel"))]


ON_AGENDA = children_of(DsrEntry, "entry_id")


def _children(session: Session, found: dict[str, Any]) -> Iterable[uuid.UUID]:
    """Every child the pack shows: those on its agenda."""
    return ON_AGENDA.children(session, [e["agenda"] for e in found["entries"]])


@router.get("/dsr/meeting-pack", response_model=MeetingPack, response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_meeting_pack(request: Request, by: Panel, now: Now, age_band: AgeBand | None = None,
                           track: Track | None = None) -> dict[str, Any]:
    """The pack for the meeting (to print): the agenda (only one age band or review track when asked) with each
    person's rating and why, risks, open tasks and last review's actions, and the last meeting's attendees."""
    return await in_transaction(request, lambda s: pack.meeting_pack(s, now, age_band=age_band, track=track), by=by,
                                action="dsr.meeting_pack", about=Shown(_children))

"""Each service's part of "who saw this child" over HTTP (issue 23, item 8): its own audit rows about one child
(`audit.who_saw`, the core `frontdoor audit who-saw` prints), each with the name the service knows for its login id
(`teams.names`), for the front-door manager and the DSR chair only. In production each service keeps its audit in its
own database, so each serves its part and the portal merges them by time. Reading the trail is audited too, with the
child's id (an export as an export)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from schemas.views.child_record import SeenBy
from services.common import answers, teams
from services.common import audit as chain
from services.common.auth import AUDIT_READERS, Principal, require
from services.common.transactions import AuditedRoute, Subject, in_transaction

router = APIRouter(tags=["audit"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
AuditReader = Annotated[Principal, Depends(require(*sorted(AUDIT_READERS)))]


@router.get("/children/{child_id}/who-saw", response_model=list[SeenBy], responses=answers.of(422))
async def get_who_saw(child_id: uuid.UUID, request: Request, by: AuditReader,
                      export: bool = False) -> list[dict[str, Any]]:
    """Every audit row of this service about the child, oldest first: who (login id, and the name this service knows
    for it), role, what, when, allowed or refused, from which address. `export=true`: the reader is downloading it
    (audited as an export)."""
    return await in_transaction(request, lambda s: named(s, chain.who_saw(s, child_id)), by=by,
                                action="audit.who_saw.export" if export else "audit.who_saw",
                                about=Subject(child_id=child_id))


def named(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with the name this service knows for its login id (None: none known)."""
    known = teams.names(session, (r["actor"] for r in rows))
    return [r | {"name": known.get(r["actor"])} for r in rows]

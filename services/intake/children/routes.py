"""The front door's duplicate children over HTTP: the flagged pairs, "same child" (a merge, undoable),
"different children" and the merge history. Role front_door only; each use case writes its audit rows (one per
child)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from schemas.events import Rationale
from schemas.names import TypedText
from schemas.referral import TolerantInput
from schemas.views import shown
from schemas.views.children import Different, FlaggedPair, Merge, MergeHistoryItem
from services.common import answers
from services.common.auth import Principal, require
from services.common.errors import NotFoundError
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, in_transaction
from services.intake.children import handlers as children
from services.intake.children import views
from services.intake.tables import ChildMerge, DistinctChildren

router = APIRouter(prefix="/front-door/duplicates", tags=["front door"], route_class=AuditedRoute,
                   responses=answers.SIGNED_IN)
FrontDoor = Annotated[Principal, Depends(require("front_door"))]


class MergeBody(TolerantInput):
    """A person's decision (tolerant input: the reason they type is trimmed before it is checked)."""

    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    reason: Rationale


class DifferentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    child_a: uuid.UUID
    child_b: uuid.UUID
    reason: Annotated[str, TypedText(0, 4000)] | None = None


def audited_inside(_: object) -> None:
    """The use case wrote its own audit rows (one per child it showed or changed)."""
    return None


@router.get("", response_model=list[FlaggedPair])
async def get_duplicates(request: Request, by: FrontDoor) -> list[dict[str, Any]]:
    """Possible duplicate children not yet decided, oldest flag first, with what matched in words."""
    return await in_transaction(request, lambda s: views.flagged_pairs(s, by), by=by, action="front_door.duplicates",
                                about=audited_inside)


@router.get("/merges", response_model=list[MergeHistoryItem])
async def get_merges(request: Request, by: FrontDoor) -> list[dict[str, Any]]:
    """Every merge, newest first: who (by name), why, when, and whether it can still be undone (and why not)."""
    return await in_transaction(request, lambda s: views.merge_history(s, by), by=by, action="front_door.merges",
                                about=audited_inside)


@router.get("/merges/{merge_id}", response_model=MergeHistoryItem, responses=answers.of(404, 422, d404="no such merge"))
async def get_merge(merge_id: uuid.UUID, request: Request, by: FrontDoor) -> dict[str, Any]:
    """One merge as the history shows it (to confirm its undo)."""
    def read(session: Any) -> dict[str, Any]:
        found = views.merge_record(session, merge_id, by)
        if found is None:
            raise NotFoundError("No such merge")
        return found

    return await in_transaction(request, read, by=by, action="front_door.merges", about=audited_inside)


@router.post("/merge", status_code=201, response_model=Merge, responses=answers.of(
    404, 409, 413, 422, d404="no such child record", d409="the same record twice, or one already merged into another"))
async def post_merge(body: MergeBody, request: Request, by: FrontDoor) -> dict[str, Any]:
    """"Same child": everything of merged_id moves to survivor_id; undo with .../merges/{merge_id}/undo."""
    now = utcnow()
    record = await in_transaction(
        request, lambda s: children.merge(s, body.survivor_id, body.merged_id, reason=body.reason, by=by, now=now),
        by=by, action="front_door.merge", about=audited_inside)
    return merge_view(record)


@router.post("/merges/{merge_id}/undo", response_model=Merge, responses=answers.of(
    404, 409, 422, d404="no such merge", d409="already undone, or the surviving record was merged since"))
async def post_undo(merge_id: uuid.UUID, request: Request, by: FrontDoor) -> dict[str, Any]:
    """Undo a merge: every link it moved goes back, exactly."""
    record = await in_transaction(request, lambda s: children.undo(s, merge_id, by=by, now=utcnow()),
                                  by=by, action="front_door.unmerge", about=audited_inside)
    return merge_view(record)


@router.post("/different", status_code=201, response_model=Different, responses=answers.of(
    404, 409, 413, 422, d404="no such child record", d409="the same record twice, or one already merged into another"))
async def post_different(body: DifferentBody, request: Request, by: FrontDoor) -> dict[str, Any]:
    """"Different children": the pair is never flagged again."""
    now = utcnow()
    record = await in_transaction(
        request, lambda s: children.different(s, body.child_a, body.child_b, reason=body.reason, by=by, now=now),
        by=by, action="front_door.different", about=audited_inside)
    return distinct_view(record)


def merge_view(record: ChildMerge) -> dict[str, Any]:
    moved = {name: len(record.links.get(name, [])) for name in children.LINKED}
    return shown(Merge, {
        "merge_id": str(record.id), "survivor_id": str(record.survivor_id), "merged_id": str(record.merged_id),
        "by": record.by, "at": _iso(record.at), "moved": moved,
        "nhs_number_moved": bool(record.links.get("nhs_number_moved")),
        "undone_at": _iso(record.undone_at), "undone_by": record.undone_by,
        "links": {"undo": f"/front-door/duplicates/merges/{record.id}/undo"}})


def distinct_view(record: DistinctChildren) -> dict[str, Any]:
    return shown(Different, {"child_a": str(record.child_a), "child_b": str(record.child_b), "by": record.by,
                             "at": _iso(record.at)})


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None

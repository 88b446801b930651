"""Who on the front door holds a referral on its queue, over HTTP (role `front_door`): read it, pick it up, give it
to a colleague, release it, hand several over at once; and the team's people. Taking a referral someone else holds
without `confirm` is a 409 naming who holds it (`held_by`, `held_by_name`); a confirmation for a holder who changed
meanwhile is a 409 naming who holds it now. HTTP only: every route runs one use case or view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from schemas.events import Person
from schemas.lifecycle import FRONT_DOOR_TEAM
from schemas.views.assignments import Colleague, HandedOver, Holding
from services.common import answers
from services.common.auth import Principal, require
from services.common.tables import utcnow
from services.common.teams import colleague
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.assignments import handlers, views
from services.intake.tables import ReferralRecord

router = APIRouter(prefix="/front-door", tags=["front door"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
HOLDER_ANSWERS = answers.of(404, 409, 413, 422, d409=(
    "someone else holds it and `confirm` was not sent, or who holds it is no longer `expected_holder`: the answer's "
    "`held_by` and `held_by_name` say who holds it now"))


Member = Annotated[Principal, Depends(require("front_door"))]  # noted in the team's people as they sign in (teams)


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignForm(Form):
    """`pick_up` (the caller takes it), `give` (to the colleague `to`, a login id) or `release`. Taking it from
    someone else needs `confirm` with `expected_holder`: the login id of the holder the person was shown (null:
    nobody)."""

    action: Literal["pick_up", "give", "release"]
    to: Person | None = None
    confirm: bool = False
    expected_holder: Person | None = None


class HandoverForm(Form):
    """Give every one of `referral_ids`, each held by `holder` (the caller when not sent), to the colleague `to`."""

    referral_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500)]
    to: Person
    holder: Person | None = None


def _about(record: ReferralRecord) -> Subject:
    return Subject(referral_id=record.id, child_id=record.child_id)


@router.get("/referrals/{referral_id}/assignment", response_model=Holding, response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_assignment(request: Request, referral_id: uuid.UUID, by: Member) -> dict[str, Any]:
    """Who holds the referral, every change, and the colleagues it can be given to."""
    return await in_transaction(request, lambda s: views.holding(s, referral_id, caller=by.subject, now=utcnow()),
                                by=by, action="front_door.assignment.read", about=Subject(referral_id=referral_id))


@router.post("/referrals/{referral_id}/assignment", response_model=Holding, response_model_exclude_unset=True,
             responses=HOLDER_ANSWERS)
async def post_assignment(request: Request, referral_id: uuid.UUID, form: AssignForm, by: Member) -> dict[str, Any]:
    """Pick up, give or release the referral; asking for what is so already changes nothing (and announces
    nothing). Each change is `referral.assigned` on the decisions topic."""
    def use_case(session: Session) -> tuple[ReferralRecord, dict[str, Any]]:
        now = utcnow()
        record = handlers.assign(session, referral_id, form.action, by=by, now=now, to=form.to, confirm=form.confirm,
                                 expected=form.expected_holder)
        return record, views.holding(session, referral_id, caller=by.subject, now=now)

    _, view = await in_transaction(request, use_case, by=by, action=f"front_door.assignment.{form.action}",
                                   about=lambda r: _about(r[0]))
    return view


@router.get("/colleagues", response_model=list[Colleague], response_model_exclude_unset=True)
async def get_colleagues(request: Request, by: Member) -> list[dict[str, Any]]:
    """The front door's people (the caller left out), as the service learned them from the tokens it saw."""
    return await in_transaction(request, lambda s: views.colleagues(s, caller=by.subject, now=utcnow()), by=by,
                                action="front_door.colleagues")


@router.post("/handover", response_model=HandedOver, response_model_exclude_unset=True, responses=answers.of(
    404, 409, 413, 422, d409="a referral is no longer held by `holder` (its `held_by` says who holds it): nothing "
                             "was handed over"))
async def post_handover(request: Request, form: HandoverForm, by: Member) -> dict[str, Any]:
    """Hand over referrals (leave, a shift change): one `referral.assigned` (`handed_over`) per referral."""
    def use_case(session: Session) -> tuple[dict[str, Any], list[uuid.UUID]]:
        now = utcnow()
        records = handlers.hand_over(session, form.referral_ids, holder=form.holder or by.subject, to=form.to, by=by,
                                     now=now)
        done = {"handed_over": len(records), "to": colleague(session, FRONT_DOOR_TEAM, form.to, now).shown()}
        return done, [r.child_id for r in records]

    done, _ = await in_transaction(request, use_case, by=by, action="front_door.handover",
                                   about=lambda r: Subject(child_ids=tuple(dict.fromkeys(r[1]))))
    return done

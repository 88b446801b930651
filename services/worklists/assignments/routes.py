"""Who in a service holds a request, over HTTP (role `worker:<service>`, its own requests only): read it, pick it
up, give it to a colleague of the service, release it, hand several over at once; and the service's people. Taking
a request someone else holds without `confirm` is a 409 naming who holds it (`held_by`, `held_by_name`); a
confirmation for a holder who changed meanwhile is a 409 naming who holds it now. HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field
from sqlmodel import Session

from schemas.events import Person
from schemas.views.assignments import Colleague, HandedOver, Holding
from services.common import answers
from services.common.tables import utcnow
from services.common.teams import colleague
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.worklists.assignments import handlers, views
from services.worklists.routes import Form, Member, ServicePath
from services.worklists.tables import WorklistItem

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
HOLDER_ANSWERS = answers.of(404, 409, 413, 422, d409=(
    "someone else holds it and `confirm` was not sent, or who holds it is no longer `expected_holder`: the answer's "
    "`held_by` and `held_by_name` say who holds it now"))


class AssignForm(Form):
    """`pick_up`, `give` (to the colleague `to`, a login id) or `release`; taking it from someone else needs
    `confirm` with `expected_holder`, the login id of the holder the person was shown (null: nobody)."""

    action: Literal["pick_up", "give", "release"]
    to: Person | None = None
    confirm: bool = False
    expected_holder: Person | None = None


class HandoverForm(Form):
    """Give every one of `request_ids`, each held by `holder` (the caller when not sent), to the colleague `to`."""

    request_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500)]
    to: Person
    holder: Person | None = None


@router.get("/worklists/{service_name}/requests/{request_id}/assignment", response_model=Holding,
            response_model_exclude_unset=True, responses=answers.of(404, 422))
async def get_assignment(request: Request, service_name: ServicePath, request_id: uuid.UUID,
                         by: Member) -> dict[str, Any]:
    """Who holds the request, every change, and the colleagues it can be given to."""
    return await in_transaction(
        request, lambda s: views.holding(s, service_name.value, request_id, caller=by.subject, now=utcnow()),
        by=by, action="worklist.assignment.read", about=Subject(record_id=request_id))


@router.post("/worklists/{service_name}/requests/{request_id}/assignment", response_model=Holding,
             response_model_exclude_unset=True, responses=HOLDER_ANSWERS)
async def post_assignment(request: Request, service_name: ServicePath, request_id: uuid.UUID, form: AssignForm,
                          by: Member) -> dict[str, Any]:
    """Pick up, give or release the request (what is so already changes nothing); each change is
    `service_request.assigned` on the outcomes topic."""
    def use_case(session: Session) -> tuple[WorklistItem, dict[str, Any]]:
        now = utcnow()
        item = handlers.assign(session, service_name.value, request_id, form.action, by=by, now=now, to=form.to,
                               confirm=form.confirm, expected=form.expected_holder)
        return item, views.holding(session, service_name.value, request_id, caller=by.subject, now=now)

    _, view = await in_transaction(request, use_case, by=by, action=f"worklist.assignment.{form.action}",
                                   about=lambda r: Subject(record_id=r[0].id, child_id=r[0].child_id))
    return view


@router.get("/worklists/{service_name}/colleagues", response_model=list[Colleague],
            response_model_exclude_unset=True, responses=answers.of(422))
async def get_colleagues(request: Request, service_name: ServicePath, by: Member) -> list[dict[str, Any]]:
    """The service's people (the caller left out), as the service learned them from the tokens it saw."""
    return await in_transaction(request, lambda s: views.colleagues(s, service_name.value, caller=by.subject,
                                                                    now=utcnow()),
                                by=by, action="worklist.colleagues")


@router.post("/worklists/{service_name}/handover", response_model=HandedOver, response_model_exclude_unset=True,
             responses=answers.of(404, 409, 413, 422, d409="a request is no longer held by `holder` (its `held_by` "
                                                           "says who holds it): nothing was handed over"))
async def post_handover(request: Request, service_name: ServicePath, form: HandoverForm, by: Member) -> dict[str, Any]:
    """Hand over requests (leave, a shift change): one `service_request.assigned` (`handed_over`) per request."""
    def use_case(session: Session) -> tuple[dict[str, Any], list[uuid.UUID]]:
        now = utcnow()
        items = handlers.hand_over(session, service_name.value, form.request_ids, holder=form.holder or by.subject,
                                   to=form.to, by=by, now=now)
        done = {"handed_over": len(items), "to": colleague(session, service_name.value, form.to, now).shown()}
        return done, [i.child_id for i in items]

    done, _ = await in_transaction(request, use_case, by=by, action="worklist.handover",
                                   about=lambda r: Subject(child_ids=tuple(dict.fromkeys(r[1]))))
    return done

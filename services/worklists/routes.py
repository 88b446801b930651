"""The workers' API: each service's worklist for its own workers (role `worker:<service>`), and the
held requests for MASH (`worker:safeguarding`). HTTP only: every route runs one use case or view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import Session

from schemas.enums import Service
from schemas.views.worklists import (
    ActionDone,
    Breaches,
    HeldDecided,
    ListCounts,
    ListedRequest,
    ListState,
    OneRequest,
    ReleasedRequest,
)
from services.common import answers
from services.common.auth import Principal, authenticated, require
from services.common.http import TypedText
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, children_of, in_transaction
from services.common.workdays import WorkingCalendar
from services.worklists import handlers, rules, views
from services.worklists.tables import WorklistItem

# Refusals before a use case are audited too; every route checks a token and a worker's role.
router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
ACTION_ANSWERS = answers.of(404, 409, 413, 422, d409="the request's status does not allow this action")
Reason = Annotated[str, TypedText(3, 2000)]
CALENDAR = WorkingCalendar()  # England's working days: those a request's clock is told in


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclineForm(Form):
    reason: Reason
    signpost: Annotated[str, TypedText(3, 500)]


class RedirectForm(Form):
    redirect_to: Service
    reason: Reason


class NoteForm(Form):
    reason: Reason | None = None


class HeldDecisionForm(Form):
    """`request_ids`: the held requests of the referral to decide on (none sent: every one still held). A decline
    needs a reason (kept with the request and sent with the event; the service's workers and the referrer see only
    that MASH declined it); a release may have one."""

    decision: Literal["release", "decline"]
    reason: Annotated[Reason | None, Field(validate_default=True)] = None
    request_ids: Annotated[list[uuid.UUID] | None, Field(min_length=1, max_length=20)] = None

    @field_validator("reason")
    @classmethod
    def decline_needs_reason(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if reason is None and info.data.get("decision") == "decline":
            raise ValueError("Enter why you are declining these requests")
        return reason


ServicePath = Annotated[Service, Path(description="safeguarding, semh, counselling, salt or early_help")]


def service_worker(service_name: ServicePath, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    """Admit only the path's service's workers (another service's worker, a referrer, anyone else: 403),
    checked before the body is even read."""
    if f"worker:{service_name.value}" not in principal.roles:
        raise HTTPException(403, "only this service's workers can use its worklist")
    return principal


Worker = Annotated[Principal, Depends(service_worker)]


Member = Worker  # noted in the service's people as they sign in (services.common.teams.signed_in)
Mash = Annotated[Principal, Depends(require("worker:safeguarding"))]


Window = Annotated[int, Query(ge=1, le=366, description="Finished requests received in the last this many days "
                                                        "(open ones are shown however old)")]


@router.get("/worklists/{service_name}", response_model=list[ListedRequest], response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_worklist(
    request: Request, service_name: ServicePath, by: Member, pathway: str | None = None,
    status: Annotated[list[ListState] | None, Query(description="Any of these: open (created or accepted), or a "
                                                                "status; open when not given")] = None,
    held: bool | None = None, received_within_days: Window = rules.DEFAULT_WINDOW,
    assigned: Annotated[Literal["me", "nobody"] | None, Query(
        description="me: only what the caller is working on; nobody: only what nobody has picked up")] = None,
) -> list[dict[str, Any]]:
    def listed(s: Session) -> list[dict[str, Any]]:
        return views.worklist(s, service_name.value, utcnow(), pathway=pathway, status=status, held=held,
                              days=received_within_days, held_by=by.subject if assigned == "me" else None,
                              unassigned=assigned == "nobody")

    return await in_transaction(request, listed, by=by, action="worklist.list",
                                about=children_of(WorklistItem, "service_request_id"))


@router.get("/worklists/{service_name}/counts", response_model=ListCounts, responses=answers.of(422))
async def get_counts(request: Request, service_name: ServicePath, by: Worker,
                     received_within_days: Window = rules.DEFAULT_WINDOW) -> dict[str, Any]:
    """How many requests each state of the worklist shows: open ones, and finished ones received in the window."""
    return await in_transaction(request, lambda s: views.counts(s, service_name.value, utcnow(),
                                                                days=received_within_days),
                                by=by, action="worklist.counts")


@router.get("/worklists/{service_name}/requests/{request_id}", response_model=OneRequest,
            response_model_exclude_unset=True, responses=answers.of(404, 422))
async def get_request(request: Request, service_name: ServicePath, request_id: uuid.UUID, by: Worker) -> dict[str, Any]:
    return await in_transaction(request, lambda s: views.view(s, service_name.value, request_id, utcnow(), CALENDAR),
                                by=by, action="worklist.read", about=Subject(record_id=request_id))


@router.get("/worklists/{service_name}/children/{child_id}", response_model=list[OneRequest],
            response_model_exclude_unset=True, responses=answers.of(
                404, 422, d404="no request of this service about this child, or only requests held for MASH"))
async def get_child(request: Request, service_name: ServicePath, child_id: uuid.UUID,
                    by: Worker) -> list[dict[str, Any]]:
    """The service's own requests about one child (for the child's page), newest first: what its sharing list gave it,
    nothing of a request held for MASH."""
    return await in_transaction(request, lambda s: views.child_requests(s, service_name.value, child_id, utcnow()),
                                by=by, action="worklist.child", about=Subject(child_id=child_id))


async def act(request: Request, service_name: Service, request_id: uuid.UUID, action: str, by: Principal,
              **fields: Any) -> dict[str, str]:
    def use_case(session: Session) -> WorklistItem:
        return handlers.act(session, service_name.value, request_id, action, by=by.subject, by_name=by.name,
                            now=utcnow(), **fields)

    item = await in_transaction(request, use_case, by=by, action=f"worklist.{action}",
                                about=Subject(record_id=request_id))
    return {"service_request_id": str(item.id), "status": item.status}


@router.post("/worklists/{service_name}/requests/{request_id}/accept", response_model=ActionDone,
             responses=ACTION_ANSWERS)
async def accept(request: Request, service_name: ServicePath, request_id: uuid.UUID, form: NoteForm,
                 by: Worker) -> dict[str, str]:
    return await act(request, service_name, request_id, "accept", by, reason=form.reason)


@router.post("/worklists/{service_name}/requests/{request_id}/decline", response_model=ActionDone,
             responses=ACTION_ANSWERS)
async def decline(request: Request, service_name: ServicePath, request_id: uuid.UUID, form: DeclineForm,
                  by: Worker) -> dict[str, str]:
    """A reason and a signpost (where the family can go instead) are both required."""
    return await act(request, service_name, request_id, "decline", by, reason=form.reason, signpost=form.signpost)


@router.post("/worklists/{service_name}/requests/{request_id}/redirect", response_model=ActionDone,
             responses=ACTION_ANSWERS)
async def redirect(request: Request, service_name: ServicePath, request_id: uuid.UUID, form: RedirectForm,
                   by: Worker) -> dict[str, str]:
    """Triage decides again for the target service only and a new request lands on its queue."""
    return await act(request, service_name, request_id, "redirect", by, reason=form.reason,
                     redirect_to=form.redirect_to.value)


@router.post("/worklists/{service_name}/requests/{request_id}/complete", response_model=ActionDone,
             responses=ACTION_ANSWERS)
async def complete(request: Request, service_name: ServicePath, request_id: uuid.UUID, form: NoteForm,
                   by: Worker) -> dict[str, str]:
    return await act(request, service_name, request_id, "complete", by, reason=form.reason)


@router.get("/worklists/safeguarding/referrals/{referral_id}/held", response_model=list[ReleasedRequest],
            response_model_exclude_unset=True, responses=answers.of(422))
async def get_held(request: Request, referral_id: uuid.UUID, by: Mash) -> list[dict[str, Any]]:
    shown = children_of(WorklistItem, "service_request_id", Subject(referral_id=referral_id))
    return await in_transaction(request, lambda s: views.held_for_referral(s, referral_id, utcnow()),
                                by=by, action="worklist.held", about=shown)


@router.post("/worklists/safeguarding/referrals/{referral_id}/held", response_model=HeldDecided, responses=answers.of(
    404, 409, 413, 422, d404="a request sent is not this referral's",
    d409="a request sent is no longer held for MASH (released or decided already); nothing changed"))
async def post_held(request: Request, referral_id: uuid.UUID, form: HeldDecisionForm, by: Mash) -> dict[str, Any]:
    def use_case(session: Session) -> int:
        return handlers.decide_held(session, referral_id, form.decision, by=by.subject, by_name=by.name,
                                    now=utcnow(), reason=form.reason, request_ids=form.request_ids)

    count = await in_transaction(request, use_case, by=by, action=f"worklist.held.{form.decision}",
                                 about=Subject(record_id=referral_id))
    return {"decision": form.decision, "requests": count}


@router.get("/worklists/{service_name}/breaches", response_model=Breaches, responses=answers.of(422))
async def get_breaches(request: Request, service_name: ServicePath, by: Worker) -> dict[str, Any]:
    counts = await in_transaction(request, views.breach_counts, by=by, action="worklist.breaches")
    return {"service": service_name.value, "breaches": counts[service_name.value]}

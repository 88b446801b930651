"""The front-door team over HTTP (role `front_door`): the queue, recording emergency contact,
chasing missing information; the queue lists the dead letters of referral events waiting for an
administrator (services/intake/dead_letters). HTTP only: every route runs one use case or view."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Session

from schemas.views.front_door import (
    ChaseRecorded,
    ContactRecorded,
    DecisionRequested,
    Queue,
)
from schemas.views.referrals import ReferralView
from schemas.wire import Instant
from services.common import answers
from services.common.auth import Principal, require
from services.common.http import TypedText
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.assignments.routes import Member  # a person using the queue is one of the team's people
from services.intake.dead_letters.routes import read_dead_letters
from services.intake.front_door import domain as overrides
from services.intake.front_door import handlers as front_door
from services.intake.front_door import views
from services.intake.front_door.views import AgeBand, Filters, Reason
from services.intake.referrals import handlers as referral_handlers
from services.intake.referrals import views as intake_views
from services.intake.tables import ReferralRecord

log = get_logger("frontdoor.intake.front_door")
router = APIRouter(prefix="/front-door", tags=["front door"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
FrontDoor = Annotated[Principal, Depends(require("front_door"))]
CLOCK_SKEW = timedelta(minutes=2)  # a device clock a little ahead is not "in the future"
Note = Annotated[str, TypedText(1, 2000)]


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactForm(Form):
    contacted: Annotated[str, TypedText(2, 200)]
    how: Literal["phone", "in_person", "video", "email"]
    contacted_at: Instant
    note: Note | None = None

    @field_validator("contacted_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value > utcnow() + CLOCK_SKEW:
            raise ValueError("must not be in the future")
        return value


class ChaseForm(Form):
    how: Literal["phone", "email"]
    note: Note | None = None


def settings_of(request: Request) -> Settings:
    """The service's own settings (the app was built from them; its token verifier holds them)."""
    settings: Settings = request.app.state.verifier.settings
    return settings


@router.get("/queue", response_model=Queue, response_model_exclude_unset=True, responses=answers.of(422))
async def get_queue(
    request: Request, by: Member, reason: Reason | None = None, service: str | None = None,
    school: str | None = None, age_band: Annotated[AgeBand | None, Query()] = None,
    assigned: Annotated[Literal["me", "nobody"] | None, Query(
        description="me: only what the caller is working on; nobody: only what nobody has picked up")] = None,
) -> dict[str, Any]:
    """Everything that needs a person, most urgent first, with the count per reason (before filtering), each with
    who is working on it."""
    settings = settings_of(request)
    letters = await read_dead_letters(settings.kafka_bootstrap_servers)
    filters = Filters(reason=reason, service=service, school=school, age_band=age_band,
                      held_by=by.subject if assigned == "me" else None, unassigned=assigned == "nobody")

    def read(session: Session) -> dict[str, Any]:
        return views.queue(session, utcnow(), chase_after_working_days=settings.chase_after_working_days,
                           chase_again_working_days=settings.chase_again_working_days,
                           dead_letters=letters, filters=filters)

    return await in_transaction(request, read, by=by, action="front_door.queue", about=queue_children)


def queue_children(view: dict[str, Any]) -> Subject:
    """Every child the queue showed: each item's, and those it may be a duplicate of."""
    ids = {c for i in view["items"] for c in [i.get("child_id"), *i.get("possible_duplicate_of", [])] if c}
    return Subject(child_ids=tuple(uuid.UUID(c) for c in sorted(ids)))


@router.get("/referrals/{referral_id}", response_model=ReferralView, response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_referral(referral_id: uuid.UUID, request: Request, by: FrontDoor) -> dict[str, Any]:
    """Any referral as the front door sees it (for a person's decision): the decision in force, the
    original one with its explanation, people's decisions, its requests and the child's whole timeline."""
    def read(session: Session) -> dict[str, Any]:
        return intake_views.referral_view(session, referral_id, by=by, front_door=True)

    return await in_transaction(request, read, by=by, action="front_door.read",
                                about=lambda v: Subject(referral_id=referral_id, child_id=uuid.UUID(v["child_id"])))


@router.post("/referrals/{referral_id}/emergency-contact", status_code=201, response_model=ContactRecorded,
             responses=answers.of(404, 409, 413, 422, d409="the referral is not an emergency"))
async def post_emergency_contact(referral_id: uuid.UUID, form: ContactForm, request: Request,
                                 by: FrontDoor) -> dict[str, Any]:
    """Who was contacted for an emergency, how and when: the clock stops and it leaves the queue (409 if
    the referral is not an emergency)."""
    def use_case(session: Session) -> Any:
        contact = front_door.record_emergency_contact(
            session, referral_id, contacted=form.contacted, how=form.how, contacted_at=form.contacted_at,
            note=form.note, by=by.subject, by_name=by.name, now=utcnow())
        record = session.get(ReferralRecord, referral_id)
        assert record is not None
        return contact, record

    contact, record = await in_transaction(request, use_case, by=by, action="front_door.emergency_contact",
                                           about=lambda r: Subject(referral_id=r[1].id, child_id=r[1].child_id))
    return {"referral_id": str(record.id), "contact_id": contact.id, "contacted": contact.contacted,
            "how": contact.how, "contacted_at": contact.contacted_at.isoformat(),
            "contact_made_at": record.contact_made_at.isoformat() if record.contact_made_at else None}


@router.post("/referrals/{referral_id}/chase", status_code=201, response_model=ChaseRecorded,
             responses=answers.of(404, 409, 413, 422, d409="the referral does not wait for information"))
async def post_chase(referral_id: uuid.UUID, form: ChaseForm, request: Request, by: FrontDoor) -> dict[str, Any]:
    """Record that the referrer was contacted about missing information (409 unless it needs information): its
    next action is to chase again by the end of CHASE_AGAIN_WORKING_DAYS working days later (`next_action_at`)."""
    def use_case(session: Session) -> Any:
        chase = front_door.record_chase(session, referral_id, how=form.how, note=form.note, by=by.subject,
                                        by_name=by.name, now=utcnow())
        record = session.get(ReferralRecord, referral_id)
        assert record is not None
        return chase, record

    chase, record = await in_transaction(request, use_case, by=by, action="front_door.chase",
                                         about=lambda r: Subject(referral_id=r[1].id, child_id=r[1].child_id))
    again = overrides.next_chase(chase.at, settings_of(request).chase_again_working_days)
    return {"referral_id": str(record.id), "chase_id": chase.id, "how": chase.how, "at": chase.at.isoformat(),
            "next_action_at": again.isoformat()}


DECISION_ANSWERS = answers.of(
    404, 409, 413, 422, d404="no such referral",
    d409="no decision yet; a request already accepted or closed; a decision still being applied",
    d422="a route already open, a request of another referral, a rule that did not fire; or the form has problems",
)


@router.post("/referrals/{referral_id}/decision", status_code=202, response_model=DecisionRequested,
             responses=DECISION_ANSWERS)
async def post_decision(referral_id: uuid.UUID, decided: overrides.PersonsDecision, request: Request,
                        by: FrontDoor) -> dict[str, str]:
    """A person on the front door decides on a referral, or overrides its decision: sent to triage to
    apply (202); the referral shows it once applied."""
    def about(row: Any) -> Subject:
        return Subject(referral_id=row.referral_id, child_id=row.child_id, record_id=row.id)

    row = await in_transaction(
        request, lambda s: referral_handlers.decide(s, referral_id, decided, by=by, now=utcnow()),
        by=by, action="front_door.decide", about=about)
    return {"decision_id": str(row.id), "status": "requested"}

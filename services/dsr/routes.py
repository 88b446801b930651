"""The DSR meeting's API (role `dsr_panel` only): agenda, entry, review, consent, close, exports; and a child's
entries for the child's page (the panel, the front door and MASH).
HTTP only: each route reads its form and runs one use case or view with `in_transaction` (audited)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from schemas.enums import DsrSource
from schemas.scalars import Day
from schemas.views.child_record import ChildEntry
from schemas.views.dsr import (
    AgendaEntry,
    EntryStatusNow,
    EntryView,
    NextReview,
    Register,
    RegisterAgeBand,
    RegisterRating,
    RegisterTrack,
    ReviewRecorded,
    WeekCounts,
)
from services.common import answers
from services.common.auth import Principal, require
from services.common.http import TypedText
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Shown, Subject, children_of, in_transaction
from services.dsr import handlers, views
from services.dsr.domain import ActionIn, Clock, Rating, ReviewIn
from services.dsr.tables import DsrEntry, DsrReview

# Refusals before a use case are audited too; every route checks a token and the dsr_panel role.
router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
CSV = {"text/csv": {"schema": {"type": "string"}}}


def clock(request: Request) -> Clock:
    """Now, on the service's working-day calendar."""
    return Clock(utcnow(), request.app.state.calendar)


Panel = Annotated[Principal, Depends(require("dsr_panel"))]
PanelOrAdder = Annotated[Principal, Depends(require("dsr_panel", "dsr_referrer"))]
ChildReader = Annotated[Principal, Depends(require("dsr_panel", "front_door", "worker:safeguarding"))]
Now = Annotated[Clock, Depends(clock)]
Text = Annotated[str, TypedText(1, 200)]


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Attendee(Form):
    name: Text
    agency: Text


class ActionForm(Form):
    what: Annotated[str, TypedText(3, 500)]
    owner_agency: Text
    due: Day


class ReviewForm(Form):
    rating: Rating
    keyworker: Text | None = Field(
        None, description="The keyworker allocated, if any (role or service, not a person's name)")
    lead_professional: Text | None = None
    rationale: Annotated[str, TypedText(10, 4000)] = Field(
        description="Why the meeting chose this rating (required)"
    )
    attendees: list[Attendee] = Field(min_length=1)
    actions: list[ActionForm] = []
    next_review_due: Day | None = Field(
        None, description="Defaults by rating: red 1 week, amber 2 weeks, green and blue 3 months")
    held_on: Day | None = None

    def review(self) -> ReviewIn:
        return ReviewIn(
            rating=self.rating, rationale=self.rationale, attendees=[a.model_dump() for a in self.attendees],
            actions=[ActionIn(a.what, a.owner_agency, a.due) for a in self.actions],
            next_review_due=self.next_review_due, held_on=self.held_on,
            keyworker=self.keyworker, lead_professional=self.lead_professional,
        )


class ConsentForm(Form):
    basis: Literal["person", "parent_with_pr", "best_interests"]
    given_by: Text


class CloseForm(Form):
    reason: Literal["no_longer_needed", "moved_out_of_area", "transferred", "died", "other"]


def entry(entry_id: uuid.UUID) -> Subject:
    return Subject(record_id=entry_id)


AgeBand = Literal["0-17", "18-25", "26+"]
Track = Literal["CETR", "CTR"]


@router.get("/dsr/agenda", response_model=list[AgendaEntry], response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_agenda(request: Request, by: Panel, now: Now, horizon_days: Annotated[int, Query(ge=0, le=90)] = 7,
                     age_band: AgeBand | None = None, track: Track | None = None) -> list[dict[str, Any]]:
    """`age_band` and `track` (both optional): only that part of the meeting."""
    return await in_transaction(
        request, lambda s: views.agenda(s, now, horizon_days=horizon_days, age_band=age_band, track=track),
        by=by, action="dsr.agenda", about=children_of(DsrEntry, "entry_id"))


# The whole register's filters: any of a filter's choices (none: no filter).
Ratings = Annotated[list[RegisterRating] | None, Query()]
Sources = Annotated[list[DsrSource] | None, Query()]
Tracks = Annotated[list[RegisterTrack] | None, Query()]
AgeBands = Annotated[list[RegisterAgeBand] | None, Query()]
NextReviews = Annotated[list[NextReview] | None, Query()]


@router.get("/dsr/register", response_model=Register, responses=answers.of(422))
async def get_register(request: Request, by: Panel, now: Now, rating: Ratings = None, source: Sources = None,
                       track: Tracks = None, age_band: AgeBands = None, next_review: NextReviews = None,
                       order: Literal["soonest", "latest"] = "soonest") -> dict[str, Any]:
    """Every open entry (not only the agenda's) the filters keep, by next review (`order`: soonest or latest first),
    with how many entries each filter's choices show given the other filters."""
    chosen = {k: [str(v) for v in values or []] for k, values in (
        ("rating", rating), ("source", source), ("track", track), ("age_band", age_band),
        ("next_review", next_review))}
    return await in_transaction(
        request, lambda s: views.register(s, now, chosen, latest_first=order == "latest"), by=by,
        action="dsr.register", about=Shown(lambda s, answer: children_of(DsrEntry, "entry_id").children(
            s, answer["entries"])))


@router.get("/dsr/entries/{entry_id}", response_model=EntryView, response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_entry(request: Request, entry_id: uuid.UUID, by: PanelOrAdder, now: Now) -> dict[str, Any]:
    """The panel: any entry. A dsr_referrer: only an entry they added (404 for every other)."""
    added_by = None if by.has("dsr_panel") else by.subject
    return await in_transaction(request, lambda s: views.entry_view(s, entry_id, now, added_by=added_by),
                                by=by, action="dsr.read", about=entry(entry_id))


@router.get("/dsr/children/{child_id}/entries", response_model=list[ChildEntry], responses=answers.of(422))
async def get_child_entries(request: Request, child_id: uuid.UUID, by: ChildReader) -> list[dict[str, Any]]:
    """The child's register entries (for the child's page: the panel, the front door and MASH), newest first."""
    return await in_transaction(request, lambda s: views.child_entries(s, child_id), by=by, action="dsr.child",
                                about=Subject(child_id=child_id))


@router.post("/dsr/entries/{entry_id}/reviews", status_code=201, response_model=ReviewRecorded,
             responses=answers.of(404, 409, 413, 422))
async def post_review(request: Request, entry_id: uuid.UUID, form: ReviewForm, by: Panel, now: Now) -> dict[str, Any]:
    def review(s: Session) -> DsrReview:
        return handlers.record_review(s, entry_id, form.review(), by=by.subject, by_name=by.name, clock=now)

    record = await in_transaction(request, review, by=by, action="dsr.review", about=entry(entry_id))
    return {"review_id": str(record.id), "next_review_due": record.next_review_due.isoformat()}


@router.post("/dsr/entries/{entry_id}/consent", status_code=201, response_model=EntryStatusNow,
             responses=answers.of(404, 409, 413, 422))
async def post_consent(request: Request, entry_id: uuid.UUID, form: ConsentForm, by: Panel, now: Now) -> dict[str, str]:
    def consent(s: Session) -> DsrEntry:
        return handlers.record_consent(s, entry_id, basis=form.basis, given_by=form.given_by, by=by.subject, clock=now)

    done = await in_transaction(request, consent, by=by, action="dsr.consent", about=entry(entry_id))
    return {"status": done.status}


@router.post("/dsr/entries/{entry_id}/consent/withdraw", response_model=EntryStatusNow,
             responses=answers.of(404, 409, 422))
async def post_withdraw(request: Request, entry_id: uuid.UUID, by: Panel, now: Now) -> dict[str, str]:
    def withdraw(s: Session) -> DsrEntry:
        return handlers.withdraw_consent(s, entry_id, by=by.subject, clock=now)

    done = await in_transaction(request, withdraw, by=by, action="dsr.withdraw", about=entry(entry_id))
    return {"status": done.status}


@router.post("/dsr/entries/{entry_id}/close", response_model=EntryStatusNow, responses=answers.of(404, 409, 413, 422))
async def post_close(request: Request, entry_id: uuid.UUID, form: CloseForm, by: Panel, now: Now) -> dict[str, str]:
    def close(s: Session) -> DsrEntry:
        return handlers.close_entry(s, entry_id, reason=form.reason, by=by.subject, clock=now)

    done = await in_transaction(request, close, by=by, action="dsr.close", about=entry(entry_id))
    return {"status": done.status}


@router.get("/dsr/export.csv", response_class=Response,
            responses={200: {"description": "the register as CSV (the NHS England return)", "content": CSV}})
async def get_export(request: Request, by: Panel, now: Now) -> Response:
    text = await in_transaction(request, lambda s: views.export_csv(s, now), by=by, action="dsr.export",
                                about=Shown(lambda s, csv_text: exported(s, csv_text)))
    filename = f"dynamic-support-register-{now.today.isoformat()}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def exported(session: Session, csv_text: str) -> list[uuid.UUID]:
    """The children of the register's rows in the export (its entry_id column)."""
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    return children_of(DsrEntry, "entry_id").children(session, rows)


Weeks = Annotated[int, Query(ge=1, le=104)]


@router.get("/dsr/counts", response_model=list[WeekCounts], responses=answers.of(422))
async def get_counts(request: Request, by: Panel, now: Now, weeks: Weeks = 12,
                     age_band: AgeBand | None = None) -> list[dict[str, Any]]:
    """Open entries by rating at each week's end; `age_band`: only people of that age at the week's end."""
    return await in_transaction(request, lambda s: views.counts_by_week(s, now, weeks=weeks, age_band=age_band),
                                by=by, action="dsr.counts")


@router.get("/dsr/counts.csv", response_class=Response, responses={
    200: {"description": "weekly counts by rating, one row per week per age band", "content": CSV}, **answers.of(422)})
async def get_counts_csv(request: Request, by: Panel, now: Now, weeks: Weeks = 12) -> Response:
    text = await in_transaction(request, lambda s: views.counts_csv(s, now, weeks=weeks), by=by, action="dsr.counts")
    filename = f"dynamic-support-register-counts-{now.today.isoformat()}.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

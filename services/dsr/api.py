"""The DSR meeting's API (role `dsr_panel` only): agenda, entry, review, consent, close, exports."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import Response
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth import Principal, require
from services.common.broker import make_broker
from services.common.db import make_engine, session_scope
from services.common.runtime import service_app, wake_relay
from services.common.settings import Settings
from services.common.tables import AuditEntry, utcnow
from services.common.workdays import WorkingCalendar
from services.dsr import consumer, service, views
from services.dsr.rules import Rating

Panel = Annotated[Principal, Depends(require("dsr_panel"))]
T = TypeVar("T")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Attendee(Form):
    name: Text
    agency: Text


class ActionForm(Form):
    what: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    owner_agency: Text
    due: date


class ReviewForm(Form):
    rating: Rating
    keyworker: Text | None = Field(None, description="The keyworker allocated, if any (role or service, not a person's name)")
    lead_professional: Text | None = None
    rationale: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)] = Field(
        description="Why the meeting chose this rating (required)"
    )
    attendees: list[Attendee] = Field(min_length=1)
    actions: list[ActionForm] = []
    next_review_due: date | None = Field(None, description="Defaults by rating: red 1 week, amber 2 weeks, green and blue 3 months")
    held_on: date | None = None


class ConsentForm(Form):
    basis: Literal["person", "parent_with_pr", "best_interests"]
    given_by: Text


class CloseForm(Form):
    reason: Literal["no_longer_needed", "moved_out_of_area", "transferred", "died", "other"]


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)
    calendar = WorkingCalendar()

    def build_broker() -> KafkaBroker:
        broker = make_broker(settings, client_id="frontdoor-dsr")
        broker.include_router(consumer.build_router(settings, engine))
        return broker

    app = service_app("Front Door DSR", settings, build_broker, engine=engine, relay=True, version="1")

    async def run(fn: Callable[[Session, service.Clock], T], by: Principal, action: str, entry_id: uuid.UUID | None = None) -> T:
        def work() -> T:
            with session_scope(engine) as session:
                session.add(AuditEntry(actor=by.subject, role="dsr_panel", action=f"dsr.{action}", record_id=entry_id))
                return fn(session, service.Clock(utcnow(), calendar))

        try:
            result = await asyncio.to_thread(work)
        except service.NotFoundError:
            raise HTTPException(404, "No register entry has this id") from None
        except service.ConflictError as exc:
            raise HTTPException(409, str(exc)) from None
        wake_relay(app)
        return result

    @app.get("/dsr/agenda")
    async def get_agenda(by: Panel, horizon_days: Annotated[int, Query(ge=0, le=90)] = 7) -> list[dict[str, Any]]:
        return await run(lambda s, c: views.agenda(s, c, horizon_days=horizon_days), by, "agenda")

    @app.get("/dsr/entries/{entry_id}")
    async def get_entry(entry_id: uuid.UUID, by: Panel) -> dict[str, Any]:
        return await run(lambda s, c: views.entry_view(s, entry_id, c), by, "read", entry_id)

    @app.post("/dsr/entries/{entry_id}/reviews", status_code=201)
    async def post_review(entry_id: uuid.UUID, form: ReviewForm, by: Panel) -> dict[str, Any]:
        review = service.ReviewIn(
            rating=form.rating, rationale=form.rationale, attendees=[a.model_dump() for a in form.attendees],
            actions=[service.ActionIn(a.what, a.owner_agency, a.due) for a in form.actions],
            next_review_due=form.next_review_due, held_on=form.held_on,
            keyworker=form.keyworker, lead_professional=form.lead_professional,
        )
        record = await run(lambda s, c: service.record_review(s, entry_id, review, by=by.subject, clock=c), by, "review", entry_id)
        return {"review_id": str(record.id), "next_review_due": record.next_review_due.isoformat()}

    @app.post("/dsr/entries/{entry_id}/consent", status_code=201)
    async def post_consent(entry_id: uuid.UUID, form: ConsentForm, by: Panel) -> dict[str, str]:
        entry = await run(lambda s, c: service.record_consent(s, entry_id, basis=form.basis, given_by=form.given_by, by=by.subject, clock=c), by, "consent", entry_id)
        return {"status": entry.status}

    @app.post("/dsr/entries/{entry_id}/consent/withdraw")
    async def post_withdraw(entry_id: uuid.UUID, by: Panel) -> dict[str, str]:
        entry = await run(lambda s, c: service.withdraw_consent(s, entry_id, by=by.subject, clock=c), by, "withdraw", entry_id)
        return {"status": entry.status}

    @app.post("/dsr/entries/{entry_id}/close")
    async def post_close(entry_id: uuid.UUID, form: CloseForm, by: Panel) -> dict[str, str]:
        entry = await run(lambda s, c: service.close_entry(s, entry_id, reason=form.reason, by=by.subject, clock=c), by, "close", entry_id)
        return {"status": entry.status}

    @app.get("/dsr/export.csv")
    async def get_export(by: Panel) -> Response:
        text = await run(views.export_csv, by, "export")
        filename = f"dynamic-support-register-{calendar.local_day(utcnow()).isoformat()}.csv"
        return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.get("/dsr/counts")
    async def get_counts(by: Panel, weeks: Annotated[int, Query(ge=1, le=104)] = 12) -> list[dict[str, Any]]:
        return await run(lambda s, c: views.counts_by_week(s, c, weeks=weeks), by, "counts")

    return app

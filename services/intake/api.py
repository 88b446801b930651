"""The intake HTTP API: POST /referrals, GET /referrals, GET /referrals/{id}."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED, Referral
from schemas.referral import LONDON
from services.common.auth import Principal, require
from services.common.broker import group_lag, make_broker
from services.common.db import make_engine, session_scope
from services.common.http import invalid, invalid_body
from services.common.logging import get_logger
from services.common.runtime import every, service_app, wake_relay
from services.common.settings import Settings
from services.common.tables import utcnow
from services.intake import bulk, consumer
from services.intake.reports import REPORTS
from services.intake.service import (
    ClientReferenceReusedError,
    NotCompletableError,
    Submitted,
    complete_missing,
    redrive_undecided,
    referral_summaries,
    referral_view,
    report_rows,
    submit,
)

log = get_logger("frontdoor.intake")
REDRIVE_MAX_BACKLOG = 50  # records; beyond this the pipeline is still catching up
REDRIVEN = Counter("frontdoor_intake_redriven_referrals", "Referrals still undecided long after publishing, whose event was published again")
Referrer = Annotated[Principal, Depends(require("referrer"))]
REFERRAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Referral"}}}}}


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)

    def build_broker() -> KafkaBroker:
        broker = make_broker(settings, client_id="frontdoor-intake")
        broker.include_router(consumer.build_router(settings, engine))
        return broker

    def redrive() -> int:
        with session_scope(engine) as session:
            sent = redrive_undecided(session, now=utcnow(), after=timedelta(seconds=settings.undecided_redrive_seconds))
        for referral_id in sent:
            log.warning("referral still undecided; its event published again", referral_id=str(referral_id))
        REDRIVEN.inc(len(sent))
        return len(sent)

    async def catching_up() -> str | None:
        """Only a pipeline that has caught up can say a referral was lost: while triage or intake's
        own consumer still has a backlog, a referral may simply not be reached yet, and sending it
        again would only add to the backlog."""
        behind = await group_lag(settings, "triage", TOPIC_SUBMITTED) + await group_lag(settings, "intake", TOPIC_DECISIONS)
        return f"{behind} records still to consume" if behind > REDRIVE_MAX_BACKLOG else None

    redrive_job = every(min(60.0, settings.undecided_redrive_seconds / 2), redrive, what="undecided referral check",
                        then=lambda sent: wake_relay(app) if sent else None, unless=catching_up)
    app = service_app("Front Door intake", settings, build_broker, engine=engine, relay=True, version="1",
                      background=lambda: [redrive_job])

    @app.post("/referrals", status_code=201, openapi_extra=REFERRAL_BODY, responses={200: {"description": "already received (same client_reference)"}, 422: {"description": "every problem, by field"}})
    async def post_referral(request: Request, by: Referrer) -> JSONResponse:
        now = utcnow()
        try:
            referral = Referral.model_validate_json(await request.body(), context={"as_of": now.astimezone(LONDON).date()})
        except ValidationError as exc:
            return invalid(exc)
        try:
            result = await asyncio.to_thread(_submit, engine, referral, by, now)
        except ClientReferenceReusedError:
            raise HTTPException(409, "This client_reference was already used for a different referral") from None
        if result.created:
            wake_relay(app)
        body = {"referral_id": str(result.record.id), "child_id": str(result.record.child_id), "status": result.record.status,
                "links": {"self": f"/referrals/{result.record.id}"}}
        return JSONResponse(body, status_code=201 if result.created else 200, headers={"Location": f"/referrals/{result.record.id}"})

    @app.patch("/referrals/{referral_id}", openapi_extra={"requestBody": {"required": True, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}}})
    async def patch_referral(referral_id: uuid.UUID, request: Request, by: Referrer) -> dict[str, Any]:
        """Complete a referral that needs information: send only what is missing (a JSON merge patch)."""
        try:
            patch = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return invalid_body("the body is not JSON")
        if not isinstance(patch, dict):
            return invalid_body("send an object with only the parts to change")
        try:
            record = await asyncio.to_thread(_read, engine, lambda s: complete_missing(s, referral_id, patch, by=by, now=utcnow()))
        except ValidationError as exc:
            return invalid(exc)
        except NotCompletableError:
            raise HTTPException(409, "Only a referral that needs information can be completed") from None
        if record is None:
            raise HTTPException(404, "No referral of yours has this id")
        wake_relay(app)
        return {"referral_id": str(record.id), "status": record.status}

    @app.post("/imports", openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
    async def post_import(request: Request, by: Annotated[Principal, Depends(require("admin"))], import_valid: bool = False) -> dict[str, Any]:
        """Bulk import (the CSV layout of `frontdoor import`): refused whole if any row is invalid, unless import_valid."""
        try:
            text = (await request.body()).decode("utf-8-sig")
        except UnicodeDecodeError:
            return {"imported": 0, "already": 0, "refused": True, "rows": 0, "problems": [{"row": 1, "column": "(file)", "problem": "the file is not UTF-8 text"}]}
        now = utcnow()
        checked = await asyncio.to_thread(bulk.check, text, today=now.astimezone(LONDON).date())
        result: dict[str, Any] = {"rows": len(checked.valid) + len(checked.bad_rows), "bad_rows": len(checked.bad_rows),
                                  "problems": [p.__dict__ for p in checked.problems[:500]], "imported": 0, "already": 0}
        if checked.problems and (not import_valid or not checked.valid):
            return result | {"refused": True}
        importer = Principal(subject=by.subject, roles=frozenset({"referrer"}))

        def run_import() -> tuple[int, int]:
            with session_scope(engine) as session:
                return bulk.import_rows(checked.valid, lambda r: submit(session, r, by=importer, now=now).created)

        result["imported"], result["already"] = await asyncio.to_thread(run_import)
        wake_relay(app)
        return result | {"refused": False}

    @app.get("/reports/{name}")
    async def get_report(
        name: Literal["referrals-by-week", "waiting-times", "breaches", "concerns-by-school"],
        by: Annotated[Principal, Depends(require("admin", "manager"))],
        weeks: Annotated[int, Query(ge=1, le=260)] = 12,
        format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
    ) -> Any:
        """Figures for commissioning (aggregates only, no child records): JSON, or CSV for a spreadsheet."""
        since = utcnow() - timedelta(weeks=weeks)
        referrals, requests = await asyncio.to_thread(_read, engine, lambda s: report_rows(s, since=since))
        rows = REPORTS[name](referrals, requests)
        if format == "json":
            return rows
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["no_data"], lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    @app.get("/referrals")
    async def list_referrals(by: Referrer) -> list[dict[str, Any]]:
        return await asyncio.to_thread(_read, engine, lambda s: referral_summaries(s, by=by))

    @app.get("/referrals/{referral_id}")
    async def get_referral(referral_id: uuid.UUID, by: Referrer) -> dict[str, Any]:
        view = await asyncio.to_thread(_read, engine, lambda s: referral_view(s, referral_id, by=by))
        if view is None:
            raise HTTPException(404, "No referral of yours has this id")
        return view

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            defs = Referral.model_json_schema(ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.pop("$defs", {}))
            schema["components"]["schemas"]["Referral"] = defs
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _submit(engine: Engine, referral: Referral, by: Principal, now: Any) -> Submitted:
    try:
        with session_scope(engine) as session:
            return submit(session, referral, by=by, now=now)
    except IntegrityError:
        # Two submissions raced on the same client_reference: the loser reads the winner's.
        with session_scope(engine) as session:
            return submit(session, referral, by=by, now=now)


def _read(engine: Engine, fn: Any) -> Any:
    with session_scope(engine) as session:
        return fn(session)


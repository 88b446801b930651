"""Intake over HTTP: referrals (submit, complete, read) and bulk imports.
Each route parses, runs one use case or view with `in_transaction` and shapes the answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

import schemas
from schemas import Referral
from schemas.referral import LONDON, ReferralInput
from schemas.views import referrals as shapes
from services.common import answers
from services.common.auth import Principal, require
from services.common.http import invalid, invalid_body
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, children_of, in_transaction, nothing_shown
from services.intake.advice.views import asked_by
from services.intake.referrals import bulk, handlers, sample, views
from services.intake.referrals.domain import PatchRefusedError
from services.intake.referrals.handlers import Submitted
from services.intake.tables import ReferralRecord

# Refusals before a use case are audited too; every route checks a token and a role.
router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Referrer = Annotated[Principal, Depends(require("referrer"))]
Admin = Annotated[Principal, Depends(require("admin"))]

EXAMPLE = json.loads((Path(schemas.__file__).parent / "examples" / "referral.json").read_text(encoding="utf-8"))
REFERRAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Referral"},
    "examples": {"referral": {"summary": "A school's referral (schemas/examples/referral.json)", "value": EXAMPLE}}}}}}
PATCH_BODY = {"requestBody": {"required": True, "content": {
    "application/merge-patch+json": {"schema": {"type": "object"}},
    "application/json": {"schema": {"type": "object"}}}}}
CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string", "minLength": 1}}}}}
REFERRAL_PROBLEMS = "The referral has problems"
SUBMIT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "already received (same client_reference)", "model": shapes.Submitted},
    201: {"description": "a new referral, sent to triage"},
    **answers.of(409, 413, 422, d409="the client_reference was used before for a different referral",
                 d422=f"{REFERRAL_PROBLEMS}: each one by field"),
}


def subject_of(record: Any) -> Subject:
    return Subject(referral_id=record.id, child_id=record.child_id)


@router.post("/referrals", status_code=201, response_model=shapes.Submitted, openapi_extra=REFERRAL_BODY,
             responses=SUBMIT_ANSWERS)
async def post_referral(request: Request, by: Referrer) -> JSONResponse:
    """Submit a referral. Tolerant input, as a person types it: white space around any text is trimmed, a number
    or a yes/no may come as text ("5", "yes"), NHS numbers and postcodes may be spaced as people write them. What
    is stored and sent on is the tidy form, which the events' JSON Schema (strict: exactly as written) accepts.
    A referral made "from" advice may add `advice_request_id` (a UUID, beside the referral's own fields): it must name
    an advice request the referrer asked (else 422 on that field) and is kept on intake's record, not sent on."""
    now = utcnow()
    try:
        referral = ReferralInput.model_validate_json(await request.body(),
                                                     context={"as_of": now.astimezone(LONDON).date()})
    except ValidationError as exc:
        return invalid(exc, REFERRAL_PROBLEMS)
    advice_id = referral.advice_request_id  # "make a referral from this" advice: one the referrer asked
    if advice_id and not await in_transaction(request, lambda s: asked_by(s, advice_id, by), by=by, action="submit",
                                              about=nothing_shown):
        return JSONResponse({"title": REFERRAL_PROBLEMS, "errors": [
            {"field": "advice_request_id", "problem": "must be an advice request you asked"}]}, status_code=422)
    result = await _submit(request, referral, by, now, advice_request_id=advice_id)
    return JSONResponse(views.submitted(result), status_code=201 if result.created else 200,
                        headers={"Location": f"/referrals/{result.record.id}"})


async def _submit(request: Request, referral: Referral, by: Principal, now: datetime, *,
                  advice_request_id: uuid.UUID | None = None) -> Submitted:
    """Audited as "submit" only when the referral is new (a replay shows nothing new). A referral made "from"
    advice keeps the advice request's id on intake's record (not in the referral sent on)."""
    def use_case(session: Any) -> Submitted:
        result = handlers.submit(session, referral, by=by, now=now)
        if advice_request_id is not None and result.created:
            result.record.advice_request_id = advice_request_id
            session.add(result.record)
        return result

    def about(result: Submitted) -> Subject | None:
        return subject_of(result.record) if result.created else None

    try:
        return await in_transaction(request, use_case, by=by, action="submit", about=about)
    except IntegrityError:  # two submissions raced on the same client_reference: the loser reads the winner's
        return await in_transaction(request, use_case, by=by, action="submit", about=about)


@router.patch("/referrals/{referral_id}", response_model=shapes.Completed, openapi_extra=PATCH_BODY,
              responses=answers.of(404, 409, 413, 422))
async def patch_referral(referral_id: uuid.UUID, request: Request, by: Referrer) -> dict[str, Any]:
    """Complete a referral that needs information: send only what is missing (a JSON merge patch). Whose it is
    and whether it waits for information are checked before the body is read (404, 409); then only the fields
    the decision lists as missing may change, never who the child is (422 naming each field refused)."""
    await in_transaction(request, lambda s: handlers.completable(s, referral_id, by=by), by=by,
                         action="complete", about=nothing_shown)
    try:
        patch = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return invalid_body("the body is not JSON")  # type: ignore[return-value]
    if not isinstance(patch, dict):
        return invalid_body("send an object with only the parts to change")  # type: ignore[return-value]
    try:
        record = await in_transaction(
            request, lambda s: handlers.complete_missing(s, referral_id, patch, by=by, now=utcnow()),
            by=by, action="complete", about=subject_of)
    except PatchRefusedError as exc:
        body = {"title": "Only the missing information can be sent", "errors": exc.problems}
        return JSONResponse(body, status_code=422)  # type: ignore[return-value]
    except ValidationError as exc:
        return invalid(exc, REFERRAL_PROBLEMS)  # type: ignore[return-value]
    return {"referral_id": str(record.id), "status": record.status}


@router.post("/imports", response_model=shapes.ImportResult, response_model_exclude_unset=True, openapi_extra=CSV_BODY,
             responses=answers.of(409, 413, 422))
async def post_import(request: Request, by: Admin, import_valid: bool = False) -> dict[str, Any]:
    """Bulk import (the CSV layout of `frontdoor import`): refused whole if any row is invalid, unless import_valid."""
    body = await request.body()
    if not body:
        return invalid_body("send the CSV file as the body")  # type: ignore[return-value]
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return bulk.not_utf8()
    now = utcnow()
    checked = await asyncio.to_thread(bulk.check, text, today=now.astimezone(LONDON).date())
    result = bulk.summary(checked)
    if checked.problems and (not import_valid or not checked.valid):
        return result | {"refused": True}
    importer = Principal(subject=by.subject, roles=frozenset({"referrer"}))  # one "submit" audit row per referral
    result["imported"], result["already"] = await in_transaction(
        request, lambda s: handlers.import_checked(s, checked.valid, by=importer, now=now),
        by=by, action="import", about=nothing_shown)
    return result | {"refused": False}


SAMPLE_ROWS = 10  # enough to show every column filled in several ways; every row valid


@router.get("/imports/sample", response_class=Response, responses={
    200: {"description": "A sample import file in the CSV layout of `POST /imports`: made-up children and referrers "
                         "(NHS numbers from the test range), every row valid",
          "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def get_import_sample(by: Admin) -> Response:
    """A file to start an import from (as `frontdoor import-sample` writes it); nothing stored is read."""
    text = sample.sample_import_csv(SAMPLE_ROWS, 0, today=utcnow().astimezone(LONDON).date())
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="front-door-import-sample.csv"'})


@router.get("/referrals", response_model=list[shapes.ReferralSummary])
async def list_referrals(request: Request, by: Referrer) -> list[dict[str, Any]]:
    return await in_transaction(request, lambda s: views.referral_summaries(s, by=by), by=by, action="list",
                                about=children_of(ReferralRecord, "referral_id"))


@router.get("/referrals/{referral_id}", response_model=shapes.ReferralView, response_model_exclude_unset=True,
            responses=answers.of(404, 422))
async def get_referral(referral_id: uuid.UUID, request: Request, by: Referrer) -> dict[str, Any]:
    def read(view: dict[str, Any]) -> Subject:
        return Subject(referral_id=referral_id, child_id=uuid.UUID(view["child_id"]))

    return await in_transaction(request, lambda s: views.referral_view(s, referral_id, by=by), by=by, action="read",
                                about=read)

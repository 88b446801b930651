"""Intake over HTTP: referrals (submit, complete, read), bulk imports and the commissioning reports.
Each route parses, runs one use case or view with `in_transaction` and shapes the answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

import schemas
from schemas import Referral
from schemas.referral import LONDON, ReferralInput
from services.common import answers, csvfile
from services.common.auth import Principal, require
from services.common.http import invalid, invalid_body
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, Subject, children_of, in_transaction
from services.intake.advice.views import asked_by
from services.intake.front_door import domain as overrides
from services.intake.referrals import bulk, handlers, views
from services.intake.referrals.domain import PatchRefusedError
from services.intake.referrals.handlers import Submitted
from services.intake.reports.domain import SUPPRESSED
from services.intake.tables import ReferralRecord

# Refusals before a use case are audited too; every route checks a token and a role.
router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Referrer = Annotated[Principal, Depends(require("referrer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Manager = Annotated[Principal, Depends(require("admin", "manager"))]
FrontDoor = Annotated[Principal, Depends(require("front_door"))]
Weeks = Annotated[int, Query(ge=1, le=260)]
ReportName = Literal["referrals-by-week", "waiting-times", "breaches", "concerns-by-school", "disagreement"]

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
    200: {"description": "already received (same client_reference)"},
    **answers.of(409, 413, 422, d409="the client_reference was used before for a different referral",
                 d422=f"{REFERRAL_PROBLEMS}: each one by field"),
}


def nothing_shown(_: object) -> None:
    """No audit row: nothing about a child was read or written (aggregates, a check that shows nothing)."""
    return None


def subject_of(record: Any) -> Subject:
    return Subject(referral_id=record.id, child_id=record.child_id)


@router.post("/referrals", status_code=201, openapi_extra=REFERRAL_BODY, responses=SUBMIT_ANSWERS)
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


@router.patch("/referrals/{referral_id}", openapi_extra=PATCH_BODY, responses=answers.of(404, 409, 413, 422))
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


@router.post("/imports", openapi_extra=CSV_BODY, responses=answers.of(409, 413, 422))
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


SMALL_NUMBERS = """

Small numbers are suppressed (disclosure control). Every count from 1 to SMALL_NUMBER_THRESHOLD - 1 (default 5)
is suppressed; where a published total (the overview's per_week, per_service and per_concern, a breaches row's
requests, waiting-times' accepted) holds exactly one suppressed count, the smallest other count in that total is
suppressed too, so that no suppressed count can be worked out by subtraction. Totals are true figures, suppressed
when small or when they would give a suppressed count back (a total whose one count was hidden to protect another).
A median or 90th percentile over fewer than the threshold is suppressed with its count.
A suppressed value is null in JSON, its row saying `"suppressed": true` (`false` otherwise), and reads `suppressed`
in CSV: one marker for both kinds, as telling them apart would give the hidden counts away. Zero is shown as 0,
except in concerns-by-school (the overview's concerns_by_school): that report lists every cell of its grid, each
school in the period by each concern in the period, zeros included, and suppresses a zero alike (a cell listed only
when non-zero, or a zero shown beside it, would make "suppressed" read "at least one child at this school with this
concern"); where a per-concern total would give a suppressed zero back, the smallest other count is suppressed too.
The advice report (/reports/advice) does the same in its rows by school and concern: each week with a question
lists every school in the period by every concern in the period, zeros included, and suppresses a zero alike; each
week's totals row (school and concern "all") counts every school and shows its zeros."""


REPORT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "the report's rows: JSON, or CSV with format=csv",
          "content": {"text/csv": {"schema": {"type": "string"}}}},
    **answers.of(422),
}


def threshold(request: Request) -> int:
    return int(request.app.state.verifier.settings.small_number_threshold)  # the app's Settings


@router.get("/reports/overview", responses=answers.of(422),
            description="Every figure of the portal's reports page (aggregates only, no child records)."
                        + SMALL_NUMBERS)
async def get_overview(request: Request, by: Manager, weeks: Weeks = 12) -> dict[str, Any]:
    since, k = utcnow() - timedelta(weeks=weeks), threshold(request)
    return await in_transaction(request, lambda s: views.overview(s, weeks=weeks, since=since, threshold=k),
                                by=by, action="report", about=nothing_shown)


@router.get("/reports/{name}", responses=REPORT_ANSWERS,
            description="Figures for commissioning (aggregates only, no child records): JSON, or CSV for a spreadsheet."
                        + SMALL_NUMBERS)
async def get_report(
    request: Request, name: ReportName, by: Manager, weeks: Weeks = 12,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
) -> Any:
    since, k = utcnow() - timedelta(weeks=weeks), threshold(request)
    rows = await in_transaction(request, lambda s: views.report(s, name, since=since, threshold=k), by=by,
                                action="report", about=nothing_shown)
    return rows if format == "json" else as_csv(rows, name)


def as_csv(rows: list[dict[str, Any]], name: str) -> Response:
    """A report as CSV (services.common.csvfile: formula cells escaped); a suppressed value reads "suppressed"."""
    columns = [c for c in rows[0] if c != "suppressed"] if rows else ["no_data"]
    shown = [{c: SUPPRESSED if row.get("suppressed") and row[c] is None else row[c] for c in columns} for row in rows]
    return Response(csvfile.write_dicts(columns, shown), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


DECISION_ANSWERS = answers.of(
    404, 409, 413, 422, d404="no such referral",
    d409="no decision yet; a request already accepted or closed; a decision still being applied",
    d422="a route already open, a request of another referral, a rule that did not fire; or the form has problems",
)


@router.post("/front-door/referrals/{referral_id}/decision", status_code=202, responses=DECISION_ANSWERS)
async def post_decision(referral_id: uuid.UUID, decided: overrides.PersonsDecision, request: Request,
                        by: FrontDoor) -> dict[str, str]:
    """A person on the front door decides on a referral, or overrides its decision: sent to triage to
    apply (202); the referral shows it once applied."""
    def about(row: Any) -> Subject:
        return Subject(referral_id=row.referral_id, child_id=row.child_id, record_id=row.id)

    row = await in_transaction(request, lambda s: handlers.decide(s, referral_id, decided, by=by, now=utcnow()),
                               by=by, action="front_door.decide", about=about)
    return {"decision_id": str(row.id), "status": "requested"}


@router.get("/referrals")
async def list_referrals(request: Request, by: Referrer) -> list[dict[str, Any]]:
    return await in_transaction(request, lambda s: views.referral_summaries(s, by=by), by=by, action="list",
                                about=children_of(ReferralRecord, "referral_id"))


@router.get("/referrals/{referral_id}", responses=answers.of(404, 422))
async def get_referral(referral_id: uuid.UUID, request: Request, by: Referrer) -> dict[str, Any]:
    def read(view: dict[str, Any]) -> Subject:
        return Subject(referral_id=referral_id, child_id=uuid.UUID(view["child_id"]))

    return await in_transaction(request, lambda s: views.referral_view(s, referral_id, by=by), by=by, action="read",
                                about=read)

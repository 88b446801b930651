"""Advice without a formal referral over HTTP: a referrer asks (and may check a question for identifying details
first), the front door or the service the concerns point to answers, the referrer sees the answer; the managers'
advice report. Every route is audited; the question and answer are never logged. HTTP only: each route runs one
use case or view (advice_views, advice_report)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from schemas.advice import AdviceInput, identifying_details
from schemas.views.advice import AdviceItem, Asked, Checked
from schemas.views.reports import AdviceReportRow
from services.common import answers
from services.common.auth import Principal, require
from services.common.tables import utcnow
from services.common.transactions import NOBODY, AuditedRoute, Subject, in_transaction, nothing_shown
from services.intake.advice import report as advice_report
from services.intake.advice import views as advice_views
from services.intake.advice.domain import AnswerForm, Wanted
from services.intake.reports.routes import SMALL_NUMBERS, as_csv, threshold

router = APIRouter(tags=["advice"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
Referrer = Annotated[Principal, Depends(require("referrer"))]
Reader = Annotated[Principal, Depends(require("referrer", "front_door", "worker:*"))]
Answerer = Annotated[Principal, Depends(require("front_door", "worker:*"))]
Manager = Annotated[Principal, Depends(require("admin", "manager"))]
NOT_YOURS = "no advice request with this id that you may see"


def rules_of(request: Request) -> Any:
    """The advice policy and calendar of the triage policy this service is configured with (RULESET_PATH)."""
    path = request.app.state.verifier.settings.ruleset_path
    return advice_views.policy(str(path) if path else None)


def warnings(question: str) -> list[dict[str, str]]:
    return [{"kind": f.kind, "message": f.message} for f in identifying_details(question)]


def about(view: dict[str, Any]) -> Subject:
    return Subject(record_id=uuid.UUID(view["advice_id"]))


@router.post("/advice", status_code=201, response_model=Asked, responses=answers.of(413, 422))
async def post_advice(form: AdviceInput, request: Request, by: Referrer) -> dict[str, Any]:
    """Ask the front door for advice about a situation (no child's name, date of birth or NHS number). It goes to
    the front door's queue and, when its concerns point to one service (the ruleset's `advice` section), to that
    service's advice list too. A question that seems to hold identifying details is still accepted: `warnings`
    says what to remove (never quoting it)."""
    rules, calendar = rules_of(request)
    now = utcnow()
    record = await in_transaction(
        request, lambda s: advice_views.ask(s, form, by=by, now=now, rules=rules, calendar=calendar),
        by=by, action="advice.ask", about=lambda r: Subject(record_id=r.id))
    return {"advice_id": str(record.id), "service": record.service, "answer_due": record.answer_due.isoformat(),
            "warnings": warnings(form.question)}


@router.post("/advice/check", response_model=Checked, responses=answers.of(413, 422))
async def post_advice_check(form: AdviceInput, request: Request, by: Referrer) -> dict[str, Any]:
    """What a question would be warned about, without saving it (the portal's check-answers page)."""
    await in_transaction(request, lambda s: None, by=by, action="advice.check", about=NOBODY)
    return {"warnings": warnings(form.question)}


@router.get("/advice", response_model=list[AdviceItem], response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_advice(request: Request, by: Reader,
                     state: Annotated[Wanted, Query()] = "unanswered") -> list[dict[str, Any]]:
    """A referrer: their own requests, every state, newest first, with answers and the referral made from each.
    The front door: every request; a worker: their service's advice list; both filtered by `state` (default
    unanswered), oldest due first."""
    _, calendar = rules_of(request)
    return await in_transaction(
        request, lambda s: advice_views.listed(s, by=by, wanted=state, now=utcnow(), calendar=calendar),
        by=by, action="advice.list", about=lambda _: NOBODY)


@router.get("/advice/{advice_id:uuid}", response_model=AdviceItem, response_model_exclude_unset=True,
            responses=answers.of(404, 422, d404=NOT_YOURS))
async def get_advice_request(advice_id: uuid.UUID, request: Request, by: Reader) -> dict[str, Any]:
    """One request: for the referrer who asked it, the front door, or a worker of its service (404 for anyone
    else)."""
    _, calendar = rules_of(request)
    return await in_transaction(
        request, lambda s: advice_views.read(s, advice_id, by=by, now=utcnow(), calendar=calendar),
        by=by, action="advice.read", about=about)


@router.post("/advice/{advice_id:uuid}/answer", response_model=AdviceItem, response_model_exclude_unset=True,
             responses=answers.of(404, 409, 413, 422, d404=NOT_YOURS, d409="the request has been answered already"))
async def post_answer(advice_id: uuid.UUID, form: AnswerForm, request: Request, by: Answerer) -> dict[str, Any]:
    """Answer a request (the front door, or a worker of the service its concerns point to; other workers 404):
    the advice, perhaps a next step (`make_referral` with `refer_to`, `try_strategies`, `no_referral_needed`).
    Once only (409 after)."""
    _, calendar = rules_of(request)
    return await in_transaction(
        request, lambda s: advice_views.answer(s, advice_id, form, by=by, now=utcnow(), calendar=calendar),
        by=by, action="advice.answer", about=about)


@router.get("/reports/advice", response_model=list[AdviceReportRow], responses=answers.of(422) | {200: {
    "description": "the report's rows: JSON, or CSV with format=csv", "content": {"text/csv": {"schema": {
        "type": "string"}}}}}, description=(advice_report.__doc__ or "") + SMALL_NUMBERS)
async def get_advice_report(
    request: Request, by: Manager, weeks: Annotated[int, Query(ge=1, le=260)] = 12,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
) -> Any:
    since, k = utcnow() - timedelta(weeks=weeks), threshold(request)
    _, calendar = rules_of(request)
    rows = await in_transaction(
        request, lambda s: advice_report.disclosed(advice_report.advice_rows(advice_report.load(s, since=since),
                                                                             calendar), k),
        by=by, action="report", about=nothing_shown)
    return rows if format == "json" else as_csv(rows, "advice")

"""The policy what-if over HTTP, for managers (the portal's what-if page): a proposed ruleset file in the body is
checked as `frontdoor rules check` checks it (422 listing every problem, each where it is), then every stored
referral.submitted event is replayed through the ruleset in force and the proposed one (services.triage.whatif).
Reads only: nothing is written but the audit row."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from services.common import answers
from services.common.auth import Principal, require
from services.common.http import invalid_body
from services.common.transactions import AuditedRoute, in_transaction
from services.triage.ruleset import RulesetError, load_ruleset
from services.triage.ruleset.compile import compile_ruleset
from services.triage.ruleset.compiled import Ruleset
from services.triage.whatif import WhatIf, compare
from services.triage.whatif_store import Stored, from_database

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Manager = Annotated[Principal, Depends(require("admin", "manager"))]
RULESET_PROBLEMS = "The ruleset has problems"
RULESET_BODY = {"requestBody": {"required": True, "content": {
    "text/yaml": {"schema": {"type": "string", "minLength": 1}},
    "application/yaml": {"schema": {"type": "string", "minLength": 1}},
    "application/json": {"schema": {"type": "object"}}}}}
WHATIF_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "the what-if report: JSON, or CSV with format=csv (section, key, detail, before, after)",
          "content": {"text/csv": {"schema": {"type": "string"}}}},
    **answers.of(413, 422, d422=f"{RULESET_PROBLEMS}: each one where it is in the file (or a bad since/until)"),
}


def proposed_ruleset(body: bytes) -> Ruleset:
    """The uploaded file, parsed and checked as `load_ruleset` does a file; RulesetError lists every problem."""
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(file)"
        raise RulesetError("proposed", [f"{where}: not valid YAML or JSON ({getattr(exc, 'problem', None) or exc})"]) \
            from None
    return compile_ruleset(data, source="proposed", digest=hashlib.sha256(body).hexdigest()[:12])


def located(problem: str) -> dict[str, str]:
    """'where: what' as a Problem's field and problem."""
    where, sep, what = problem.partition(": ")
    return {"field": where, "problem": what} if sep else {"field": "(file)", "problem": problem}


def replay(stored: Stored, baseline: Ruleset, proposed: Ruleset) -> WhatIf:
    report = compare(stored.events, baseline, proposed, acceptance=stored.acceptance)
    report.apart = stored.apart
    return report


@router.post("/rulesets/whatif", openapi_extra=RULESET_BODY, responses=WHATIF_ANSWERS)
async def post_whatif(
    request: Request, by: Manager,
    since: Annotated[date | None, Query(description="first submission day to replay")] = None,
    until: Annotated[date | None, Query(description="last submission day to replay")] = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
) -> Any:
    """What a proposed ruleset would have done to every stored referral in the period, against the ruleset in
    force (RULESET_PATH, or the shipped reference ruleset): decisions changed by class with example referral ids,
    each service's workload before and after, the rules that fire more or less often. Ids only, no personal data."""
    body = await request.body()
    if not body.strip():
        return invalid_body("send the proposed ruleset file (YAML or JSON) as the body")
    try:
        proposed = await asyncio.to_thread(proposed_ruleset, body)
    except RulesetError as exc:
        return JSONResponse({"title": RULESET_PROBLEMS, "errors": [located(p) for p in exc.problems]},
                            status_code=422)
    baseline = load_ruleset(request.app.state.verifier.settings.ruleset_path)
    engine = request.app.state.engine
    stored = await in_transaction(request, lambda _s: from_database(engine, since=since, until=until), by=by,
                                  action="report.whatif")  # a row about no one: aggregates and ids only
    report = await asyncio.to_thread(replay, stored, baseline, proposed)
    if format == "csv":
        return Response(report.csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="whatif.csv"'})
    return report.as_json()

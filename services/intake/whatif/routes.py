"""The policy what-if over HTTP, for managers (the portal's what-if page): a proposed ruleset file in the body is
checked as `frontdoor rules check` checks it (422 listing every problem, each where it is), then every stored
referral.submitted event is replayed through the ruleset in force and the proposed one (services.policy.whatif).
Reads only: nothing is written but the audit row.

The answer discloses what the reports disclose (services.intake.whatif.disclosure: small counts suppressed, before
and after together; example referral ids only for the front door, who may open those referrals). The file is
parsed within RULESET_MAX_NODES and RULESET_MAX_DEPTH, and the replay runs on its own worker thread, one at a time,
stopped after WHATIF_TIME_LIMIT_SECONDS (503): one upload cannot hold intake's event loop or its database threads."""

from __future__ import annotations

import asyncio
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from schemas.scalars import Day
from schemas.views import shown
from schemas.views.whatif import RulesetInForce, WhatIfReport
from services.common import answers
from services.common.auth import Principal, require
from services.common.http import invalid_body
from services.common.transactions import AuditedRoute, in_transaction
from services.intake.whatif.disclosure import csv_of, disclosed_whatif
from services.intake.whatif.store import Stored, from_database
from services.policy.ruleset import DEFAULT_RULESET, RulesetError, load_ruleset
from services.policy.ruleset.compile import compile_ruleset
from services.policy.ruleset.compiled import Ruleset
from services.policy.ruleset.explain import rule_names
from services.policy.ruleset.in_force import ruleset_in_force
from services.policy.ruleset.load import Limits, parse_yaml
from services.policy.whatif import WhatIf, compare

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Manager = Annotated[Principal, Depends(require("admin", "manager"))]
RulesReader = Annotated[Principal, Depends(require("admin", "manager", "front_door"))]  # who may download the rules
MAY_OPEN_REFERRALS = frozenset({"front_door"})  # the roles shown example referral ids
RULESET_PROBLEMS = "The ruleset has problems"
TOO_LONG = "The what-if took too long"
REPLAYS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whatif")  # one replay at a time, off the loop
RULESET_BODY = {"requestBody": {"required": True, "content": {
    "text/yaml": {"schema": {"type": "string", "minLength": 1}},
    "application/yaml": {"schema": {"type": "string", "minLength": 1}},
    "application/json": {"schema": {"type": "object"}}}}}
WHATIF_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "the what-if report: JSON, or CSV with format=csv (section, key, detail, before, after)",
          "content": {"text/csv": {"schema": {"type": "string"}}}},
    **answers.of(413, 422, 503, d422=f"{RULESET_PROBLEMS}: each one where it is in the file, a file too large once "
                 "its aliases are expanded or nested too deep among them (or a bad since/until)",
                 d503=f"{TOO_LONG}: the replay passed WHATIF_TIME_LIMIT_SECONDS and was stopped (a shorter period "
                      "with since and until takes less time)"),
}


class TooLongError(Exception):
    """The replay passed its deadline."""


def proposed_ruleset(body: bytes, limits: Limits) -> Ruleset:
    """The uploaded file, parsed within `limits` and checked as `load_ruleset` does a file; RulesetError lists every
    problem."""
    data = parse_yaml(body, "proposed", limits)
    return compile_ruleset(data, source="proposed", digest=hashlib.sha256(body).hexdigest()[:12])


def located(problem: str) -> dict[str, str]:
    """'where: what' as a Problem's field and problem."""
    where, sep, what = problem.partition(": ")
    return {"field": where, "problem": what} if sep else {"field": "(file)", "problem": problem}


def replay(stored: Stored, baseline: Ruleset, proposed: Ruleset, deadline: float = float("inf")) -> WhatIf:
    """The comparison, stopped (TooLongError) at the first referral after `deadline` (time.monotonic())."""
    def in_time(done: int) -> None:
        if time.monotonic() > deadline:
            raise TooLongError

    report = compare(stored.events, baseline, proposed, acceptance=stored.acceptance, progress=in_time)
    report.apart = stored.apart
    return report


@router.get("/rulesets/in-force", response_model=RulesetInForce, responses=answers.of(503))
async def get_ruleset_in_force(request: Request, by: RulesReader) -> Any:
    """The ruleset triage and the what-if work by (RULESET_PATH, or the shipped reference ruleset): its file exactly,
    to start a proposed ruleset from, with its name and version and a file name holding the version. The policy is
    public (the portal's "How we decide" writes it out in words); no personal data."""
    path = Path(request.app.state.verifier.settings.ruleset_path or DEFAULT_RULESET)
    try:
        ruleset = await asyncio.to_thread(ruleset_in_force, path)
        content = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (RulesetError, OSError):
        return JSONResponse({"title": "The rules in force cannot be read",
                             "detail": "The ruleset file in force cannot be read just now. Try again later."},
                            status_code=503)
    return {"name": ruleset.name, "version": ruleset.version, "content": content,
            "file_name": f"{ruleset.name}-{ruleset.version}.yaml"}


@router.post("/rulesets/whatif", response_model=WhatIfReport, response_model_exclude_unset=True,
             openapi_extra=RULESET_BODY, responses=WHATIF_ANSWERS)
async def post_whatif(
    request: Request, by: Manager,
    since: Annotated[Day | None, Query(description="first submission day to replay")] = None,
    until: Annotated[Day | None, Query(description="last submission day to replay")] = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
) -> Any:
    """What a proposed ruleset would have done to every stored referral in the period, against the ruleset in
    force (RULESET_PATH, or the shipped reference ruleset): decisions changed by class, each service's workload
    before and after, the rules that fire more or less often. Counts from 1 to SMALL_NUMBER_THRESHOLD - 1 are
    suppressed as in the reports (null with "suppressed": true; a before and after pair differing by a small
    count shows at most one of the two); no referral ids or personal data."""
    settings = request.app.state.verifier.settings
    limit = float(settings.whatif_time_limit_seconds)
    deadline = time.monotonic() + limit
    body = await request.body()
    if not body.strip():
        return invalid_body("send the proposed ruleset file (YAML or JSON) as the body")
    limits = Limits.of(settings)
    try:
        proposed = await asyncio.to_thread(proposed_ruleset, body, limits)
    except RulesetError as exc:
        return JSONResponse({"title": RULESET_PROBLEMS, "errors": [located(p) for p in exc.problems]},
                            status_code=422)
    baseline = await asyncio.to_thread(load_ruleset, settings.ruleset_path, limits=limits)
    engine = request.app.state.engine
    stored = await in_transaction(request, lambda _s: from_database(engine, since=since, until=until), by=by,
                                  action="report.whatif")  # a row about no one: aggregates only
    running = asyncio.get_running_loop().run_in_executor(REPLAYS, replay, stored, baseline, proposed, deadline)
    try:
        report = await asyncio.wait_for(running, timeout=max(0.0, deadline - time.monotonic()) + 1.0)
    except (TooLongError, TimeoutError):
        return JSONResponse({"title": TOO_LONG, "detail": f"The replay took longer than {limit:g} seconds and was "
                             "stopped. Choose a shorter period and try again."}, status_code=503)
    answer = disclosed_whatif(report.as_json(), int(settings.small_number_threshold),
                              may_open_referrals=bool(MAY_OPEN_REFERRALS & set(by.roles)))
    names = rule_names(baseline) | rule_names(proposed)  # a rule in both: as the proposal words it
    answer["rules"] = [{"rule_id": r["rule_id"], "rule": names.get(r["rule_id"])} | r for r in answer["rules"]]
    if format == "csv":
        return Response(csv_of(answer), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="whatif.csv"'})
    return shown(WhatIfReport, answer)

"""The commissioning reports over HTTP (aggregates only, no child records): JSON, or CSV for a spreadsheet."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from schemas.views.reports import Disagreement, Overview, ReportRows
from services.common import answers, csvfile
from services.common.auth import Principal, require
from services.common.tables import utcnow
from services.common.transactions import AuditedRoute, in_transaction, nothing_shown
from services.intake.reports import views
from services.intake.reports.domain import SUPPRESSED
from services.policy.ruleset import RulesetError
from services.policy.ruleset.explain import rule_names
from services.policy.ruleset.in_force import ruleset_in_force

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)
Manager = Annotated[Principal, Depends(require("admin", "manager"))]
# the disagreement report counts the front door's own decisions against triage's: the front door reads it too
DisagreementReader = Annotated[Principal, Depends(require("admin", "manager", "front_door"))]
Weeks = Annotated[int, Query(ge=1, le=260)]
ReportName = Literal["referrals-by-week", "waiting-times", "breaches", "concerns-by-school"]


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


def names_in_force(request: Request) -> dict[str, str]:
    """Each rule of the ruleset in force (RULESET_PATH, as triage's) named in words; none when it cannot be read."""
    try:
        return rule_names(ruleset_in_force(request.app.state.verifier.settings.ruleset_path))
    except RulesetError:
        return {}


@router.get("/reports/overview", response_model=Overview, responses=answers.of(422),
            description="Every figure of the portal's reports page (aggregates only, no child records)."
                        + SMALL_NUMBERS)
async def get_overview(request: Request, by: Manager, weeks: Weeks = 12) -> dict[str, Any]:
    since, k = utcnow() - timedelta(weeks=weeks), threshold(request)
    names = names_in_force(request)
    return await in_transaction(request, lambda s: views.overview(s, weeks=weeks, since=since, threshold=k,
                                                                  names=names),
                                by=by, action="report", about=nothing_shown)


@router.get("/reports/disagreement", response_model=list[Disagreement], responses=REPORT_ANSWERS,
            description="Per rule of the triage policy, named in words: the decisions it was part of and what people "
                        "on the front door changed (aggregates only, no child records), for managers, admins and the "
                        "front door: JSON, or CSV for a spreadsheet." + SMALL_NUMBERS)
async def get_disagreement(
    request: Request, by: DisagreementReader, weeks: Weeks = 12,
    format: Literal["json", "csv"] = "json",  # noqa: A002 - the query parameter people type
) -> Any:
    since, k, names = utcnow() - timedelta(weeks=weeks), threshold(request), names_in_force(request)
    rows = await in_transaction(request, lambda s: views.disagreement_report(s, since=since, threshold=k, names=names),
                                by=by, action="report", about=nothing_shown)
    return rows if format == "json" else as_csv(rows, "disagreement")


@router.get("/reports/{name}", response_model=ReportRows, responses=REPORT_ANSWERS,
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

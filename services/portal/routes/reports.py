"""Commissioning reports for managers: charts with the same figures as tables beside them, and CSV.
Intake works out every figure (`GET /reports/overview`), small numbers already suppressed (null, and the row's
"suppressed" true); this page only draws them, a suppressed one as "suppressed", and states the rule.

The front door reads the disagreement report too (`/reports/disagreement`): it counts the front door's own decisions
against triage's. Managers, admins and the front door download the ruleset in force (`/rules-in-force.yaml`, from
intake's `GET /rulesets/in-force`), the starting point of a proposed ruleset for the what-if."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from schemas.labels import day, label
from schemas.views.reports import AdviceReportRow, Disagreement, Overview
from schemas.views.whatif import RulesetInForce
from services.portal import charts
from services.portal.deps import Manager, client, needs, render
from services.portal.users import User

router = APIRouter()
WEEKS = 12
CHARTED = 8  # the chart shows the most common concerns; the table beside it has every one
CHART_LABEL = 34  # characters of a rule's name a chart's bar shows; the table beside it has the whole name
NO_LONGER = "A rule the rules in force no longer have"
# the disagreement report counts the front door's decisions; the rules in force are a what-if's starting point
RulesReader = Annotated[User, needs(lambda u: u.role in ("manager", "admin") or u.acts_as("front_door"))]


def rule_html(row: dict[str, Any]) -> Markup:
    """A rule as a table shows it: its name in words, its id beneath in small print (both escaped)."""
    return Markup('{}<br><span class="govuk-body-s">{}</span>').format(row.get("rule") or NO_LONGER, row["rule_id"])


def rule_label(row: dict[str, Any]) -> str:
    """A rule's name cut short at a word for a chart's bar ("A looked-after child, so routine…")."""
    name = row.get("rule") or NO_LONGER
    if len(name) <= CHART_LABEL:
        return name
    return name[:CHART_LABEL].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def disagreement_chart(rows: list[dict[str, Any]]) -> Markup:
    """The most overridden rules first; the table beside it has every rule that fired."""
    return charts.bar_chart("Decisions people overrode, by rule",
                            [(rule_label(r), r["overridden"]) for r in rows[:CHARTED]], label_w=280)


@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request, user: Manager) -> Response:
    api = client(request, user)
    data = await api.read(Overview, "intake", "GET", "/reports/overview", params={"weeks": WEEKS})
    advice = await api.read(list[AdviceReportRow], "intake", "GET", "/reports/advice", params={"weeks": WEEKS})
    advice_weeks = [r for r in advice if r["school"] == "all"]  # each week's totals row counts a request once
    drawn = {
        "weekly": charts.bar_chart("Referrals per week",
                                   [(f"w/c {day(r['week_starting'])}", r["count"]) for r in data["per_week"]]),
        "by_service": charts.bar_chart("Service requests per service",
                                       [(label(r["service"]), r["count"]) for r in data["per_service"]]),
        "waits": charts.bar_chart("Median days to acceptance",
                                  [(label(r["service"]), r["median_days"]) for r in data["waiting_times"]],
                                  unit=" days"),
        "breaches": charts.bar_chart("Breaches per service",
                                     [(label(r["service"]), r["breached"]) for r in data["breaches"]]),
        "schools": charts.bar_chart("Most common concerns",
                                    [(label(r["concern"]), r["count"]) for r in data["per_concern"][:CHARTED]]),
        "disagreement": disagreement_chart(data["disagreement"]),
        "advice": charts.bar_chart("Advice requests per week",
                                   [(f"w/c {day(r['week_starting'])}", r["requests"]) for r in advice_weeks]),
        "advice_answered": charts.bar_chart("Advice requests answered within the service level, per week", [
            (f"w/c {day(r['week_starting'])}", r["answered_within_level"]) for r in advice_weeks]),
    }
    return render(request, "reports.html", weeks=WEEKS, charts=drawn, threshold=data["small_number_threshold"],
                  weekly=data["referrals_by_week"],
                  by_service=data["by_service"], waits=data["waiting_times"], breaches=data["breaches"],
                  schools=data["concerns_by_school"], disagreement=data["disagreement"],
                  advice=[r for r in advice if r["school"] != "all"], advice_weeks=advice_weeks, rule_html=rule_html)


@router.get("/reports/disagreement", response_class=HTMLResponse)
async def disagreement(request: Request, user: RulesReader) -> Response:
    rows = await client(request, user).read(list[Disagreement], "intake", "GET", "/reports/disagreement",
                                            params={"weeks": WEEKS})
    return render(request, "disagreement.html", weeks=WEEKS, rows=rows, chart=disagreement_chart(rows),
                  rule_html=rule_html)


@router.get("/reports/disagreement.csv")
async def disagreement_csv(request: Request, user: RulesReader) -> Response:
    return await csv_of(request, user, "disagreement")


@router.get("/rules-in-force.yaml")
async def rules_in_force(request: Request, user: RulesReader) -> Response:
    """The ruleset file in force, as intake and triage read it, saved under a name holding its version."""
    rules = await client(request, user).read(RulesetInForce, "intake", "GET", "/rulesets/in-force")
    name = re.sub(r"[^A-Za-z0-9._+-]", "-", rules["file_name"])  # only what a header and a file name can hold
    return Response(rules["content"], media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/{name}.csv")
async def report_csv(request: Request, name: str, user: Manager) -> Response:
    return await csv_of(request, user, name)


async def csv_of(request: Request, user: User, name: str) -> Response:
    params = {"weeks": WEEKS, "format": "csv"}
    text = await client(request, user).call("intake", "GET", f"/reports/{name}", params=params)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

"""Commissioning reports for managers: charts with the same figures as tables beside them, and CSV.
Intake works out every figure (`GET /reports/overview`), small numbers already suppressed (null, and the row's
"suppressed" true); this page only draws them, a suppressed one as "suppressed", and states the rule."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.labels import day, label
from schemas.views.reports import AdviceReportRow, Overview
from services.portal import charts
from services.portal.deps import Manager, client, render

router = APIRouter()
WEEKS = 12
CHARTED = 8  # the chart shows the most common concerns; the table beside it has every one


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
        # the most overridden rules first; the table beside it has every rule that fired
        "disagreement": charts.bar_chart("Decisions people overrode, by rule",
                                         [(r["rule_id"], r["overridden"]) for r in data["disagreement"][:CHARTED]],
                                         label_w=280),
        "advice": charts.bar_chart("Advice requests per week",
                                   [(f"w/c {day(r['week_starting'])}", r["requests"]) for r in advice_weeks]),
        "advice_answered": charts.bar_chart("Advice requests answered within the service level, per week", [
            (f"w/c {day(r['week_starting'])}", r["answered_within_level"]) for r in advice_weeks]),
    }
    return render(request, "reports.html", weeks=WEEKS, charts=drawn, threshold=data["small_number_threshold"],
                  weekly=data["referrals_by_week"],
                  by_service=data["by_service"], waits=data["waiting_times"], breaches=data["breaches"],
                  schools=data["concerns_by_school"], disagreement=data["disagreement"],
                  advice=[r for r in advice if r["school"] != "all"], advice_weeks=advice_weeks)


@router.get("/reports/{name}.csv")
async def report_csv(request: Request, name: str, user: Manager) -> Response:
    params = {"weeks": WEEKS, "format": "csv"}
    text = await client(request, user).call("intake", "GET", f"/reports/{name}", params=params)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

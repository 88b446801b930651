"""The policy what-if for managers: upload a proposed ruleset, see its problems (each where it is in the file, as
`frontdoor rules check` shows them), then what it would have done to the stored referrals, as charts with their
tables and a CSV. Intake checks the file and replays the referrals (`POST /rulesets/whatif`); this page only shows
the answer. The last report's CSV is kept in the person's (server-side) session for its download link."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.labels import label
from schemas.views.whatif import WhatIfReport
from services.portal import charts
from services.portal.backend import BackendError
from services.portal.deps import Manager, client, render
from services.portal.routes.reports import rule_html

router = APIRouter()
CSV_KEY = "whatif_csv"
UPLOAD_LIMIT = 200_000  # bytes: a ruleset file is about 20 KB; intake's body limit is 256 KB


def change_name(key: str) -> str:
    """A kind of change in words ("Due date moved"): schemas.labels, as intake's CSV names it."""
    return label(key)


def problems_of(exc: BackendError) -> list[dict[str, str]]:
    """Intake's 422 as an error summary: each problem where it is in the file, all linking to the upload."""
    found = exc.problems or [{"field": "(file)", "problem": exc.title or "The file could not be checked"}]
    return [{"text": f"{p.get('field', '(file)')}: {p.get('problem', '')}", "href": "#file"} for p in found]


def drawn(report: dict[str, Any]) -> dict[str, Any]:
    changes = report["changes"]
    services = report["services"]
    return {
        "changes": charts.bar_chart("Decisions that change, by kind",
                                    [(change_name(c), n) for c, n in changes.items()], label_w=200),
        "workload": charts.bar_chart("Service requests after the change, per service",
                                     [(label(s), w["after"]["total"]) for s, w in services.items()]),
    }


def page(request: Request, status: int = 200, *, report: dict[str, Any] | None = None,
         errors: list[dict[str, str]] | None = None) -> Response:
    return render(request, "whatif.html", status, report=report, errors=errors or [],
                  charts=drawn(report) if report else None, change_name=change_name, rule_html=rule_html)


@router.get("/reports/whatif", response_class=HTMLResponse)
async def whatif_page(request: Request, user: Manager) -> Response:
    return page(request)


@router.post("/reports/whatif", response_class=HTMLResponse)
async def whatif_upload(request: Request, user: Manager) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read(UPLOAD_LIMIT + 1) if upload is not None and hasattr(upload, "read") else b""
    if not content:
        return page(request, 422, errors=[{"text": "Choose a ruleset file (YAML or JSON)", "href": "#file"}])
    if len(content) > UPLOAD_LIMIT:
        return page(request, 422, errors=[{"text": "The file must be smaller than 200 KB", "href": "#file"}])
    backend = client(request, user)
    try:
        report = await backend.read(WhatIfReport, "intake", "POST", "/rulesets/whatif", content=content,
                                    headers={"Content-Type": "text/yaml"})
    except BackendError as exc:
        if exc.status == 503 and isinstance(exc.body, dict) and exc.body.get("detail"):  # stopped at its time limit
            return page(request, 503, errors=[{"text": str(exc.body["detail"]), "href": "#file"}])
        if exc.status != 422:
            raise
        return page(request, 422, errors=problems_of(exc))
    csv_text = await backend.call("intake", "POST", "/rulesets/whatif", content=content, params={"format": "csv"},
                                  headers={"Content-Type": "text/yaml"})
    request.session[CSV_KEY] = csv_text
    return page(request, report=report)


@router.get("/reports/whatif.csv")
async def whatif_csv(request: Request, user: Manager) -> Response:
    text = request.session.get(CSV_KEY)
    if not text:
        return page(request, 404, errors=[{"text": "Upload a ruleset first: the CSV is of the last what-if you ran",
                                           "href": "#file"}])
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="whatif.csv"'})

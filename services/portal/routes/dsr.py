"""The DSR meeting's pages: the agenda with the register over time, one entry, recording a review,
consent, closing an entry, and the register as CSV."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.labels import day, label
from schemas.views.dsr import AgendaEntry, EntryView, Register, WeekCounts
from services.portal import charts, dates, notes
from services.portal.backend import BackendError, Client
from services.portal.deps import Panel, client, filled, form_data, not_found, render
from services.portal.pages import call_or_show_again, errors_from

router = APIRouter()
RATINGS = ("red", "amber", "green", "blue")
FILTERS = {"age_band": ("0-17", "18-25", "26+"), "track": ("CETR", "CTR")}  # the agenda API's query parameters


@router.get("/dsr", response_class=HTMLResponse)
async def agenda(request: Request, user: Panel) -> Response:
    api = client(request, user)
    chosen = {k: request.query_params.get(k, "") for k in ("age_band", "track")}
    chosen = {k: v for k, v in chosen.items() if v in FILTERS[k]}  # anything else: the whole agenda
    band = {"age_band": chosen["age_band"]} if "age_band" in chosen else {}  # the counts follow the age band too
    counts = await api.read(list[WeekCounts], "dsr", "GET", "/dsr/counts", params={"weeks": 12} | band)
    chart = charts.stacked_chart("Open register entries by rating, week by week", [
        (day(w["week_ending"]), [(r.capitalize(), w[r]) for r in RATINGS] + [("Not rated", w["unrated"])])
        for w in counts
    ], styles=charts.RATING_STYLES)  # each rating in its own colour and pattern, as the agenda's tags
    items = await api.read(list[AgendaEntry], "dsr", "GET", "/dsr/agenda", params=chosen)
    return render(request, "agenda.html", items=items, counts=counts, counts_chart=chart, chosen=chosen,
                  filters=FILTERS)


# The whole register's filters: each one's choices in the page's order, with their words (the API's query values).
REGISTER_FILTERS: dict[str, tuple[str, dict[str, str]]] = {
    "rating": ("Rating", {r: label(r) for r in RATINGS} | {"unrated": "Not rated yet"}),
    "next_review": ("Next review", {"overdue": "Overdue", "due_14_days": "Due in the next 14 days",
                                    "later": "Later", "not_set": "Not set yet"}),
    "source": ("How they came to the register", {"triage": label("triage"), "direct": label("direct")}),
    "track": ("Review track", {"CETR": "CETR (children and young people)", "CTR": "CTR (adults)",
                               "unknown": "Not known (no date of birth)"}),
    "age_band": ("Age", {"0-13": "0 to 13", "14-17": "14 to 17", "18-25": "18 to 25", "26+": "26 and over",
                         "unknown": "Not known"}),
}
ORDERS = {"soonest": "Next review, soonest first", "latest": "Next review, latest first"}


def register_filter(query: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The choices ticked in each filter of the address (any the page does not offer are left out), and the order."""
    chosen: dict[str, list[str]] = {name: [] for name in REGISTER_FILTERS}
    for key, value in query:
        if key in REGISTER_FILTERS and value in REGISTER_FILTERS[key][1] and value not in chosen[key]:
            chosen[key].append(value)
    orders = [v for k, v in query if k == "order" and v in ORDERS]
    return chosen | {"order": orders[:1] or ["soonest"]}


@router.get("/dsr/register", response_class=HTMLResponse)
async def whole_register(request: Request, user: Panel) -> Response:
    """Every open entry on the register (the agenda has only those due for the meeting), filtered and counted."""
    chosen = register_filter(request.query_params.multi_items())
    found = await client(request, user).read(Register, "dsr", "GET", "/dsr/register", params=chosen)
    return render(request, "register.html", register=found, chosen=chosen, filters=REGISTER_FILTERS, orders=ORDERS,
                  filtered=any(v for k, v in chosen.items() if k != "order"))


@router.get("/dsr/{entry_id}", response_class=HTMLResponse)
async def entry(request: Request, entry_id: uuid.UUID, user: Panel) -> Response:
    api = client(request, user)
    view = await api.read(EntryView, "dsr", "GET", f"/dsr/entries/{entry_id}")
    return await entry_page(request, api, view, done=request.query_params.get("done"))


async def entry_page(request: Request, api: Client, view: dict[str, Any], *, status: int = 200,
                     errors: list[dict[str, str]] | None = None, form: dict[str, str] | None = None,
                     done: str | None = None, found: dict[str, Any] | None = None) -> Response:
    """An entry's page, however it is shown (read, or again with a refused form's errors): always with its case notes
    (`found`: a section that keeps a refused note's words), read here."""
    entry_id = view["entry_id"]
    if found is None:
        found = await notes.shown(api, "dsr", f"/dsr/entries/{entry_id}/notes", f"/dsr/{entry_id}/notes")
    return render(request, "entry.html", status, entry=view, errors=errors or [], form=form or {}, done=done,
                  notes=found)


def review_body(form: dict[str, str]) -> dict[str, Any]:
    """The review the DSR API takes, from the form: attendees one a line as "name, agency", at most one action, the
    dates from GOV.UK date inputs."""
    attendees = [dict(zip(("name", "agency"), (part.strip() for part in line.split(",", 1)), strict=False))
                 for line in form.get("attendees", "").splitlines() if line.strip()]
    body: dict[str, Any] = {"rating": form.get("rating") or None, "rationale": form.get("rationale", ""),
                            "attendees": attendees}
    if next_review := dates.sent_from(form, "next_review_due"):
        body["next_review_due"] = next_review
    if form.get("action_what"):
        body["actions"] = [{"what": form["action_what"], "owner_agency": form.get("action_owner", ""),
                            "due": dates.sent_from(form, "action_due") or ""}]
    return body


@router.post("/dsr/{entry_id}/review", response_class=HTMLResponse)
async def review(request: Request, entry_id: uuid.UUID, user: Panel) -> Response:
    form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v}
    api = client(request, user)

    async def again(exc: BackendError) -> Response:
        view = await api.read(EntryView, "dsr", "GET", f"/dsr/entries/{entry_id}")
        errors = errors_from(exc, form="dsr_review", href=lambda field: f"#review-{field.split('.')[0]}",
                             otherwise="#review")
        return await entry_page(request, api, view, status=422, errors=errors, form=form)

    return await call_or_show_again(api.call("dsr", "POST", f"/dsr/entries/{entry_id}/reviews", json=review_body(form)),
                                    done=f"/dsr/{entry_id}?done=review", again=again)


@router.post("/dsr/{entry_id}/{action}", response_class=HTMLResponse)
async def dsr_action(request: Request, entry_id: uuid.UUID, action: str, user: Panel) -> Response:
    form = filled(await form_data(request))
    paths = {"consent": f"/dsr/entries/{entry_id}/consent", "withdraw": f"/dsr/entries/{entry_id}/consent/withdraw",
             "close": f"/dsr/entries/{entry_id}/close"}
    if action not in paths:
        return not_found(request)
    api = client(request, user)

    async def again(exc: BackendError) -> Response:
        view = await api.read(EntryView, "dsr", "GET", f"/dsr/entries/{entry_id}")
        errors = errors_from(exc, form=f"dsr_{action}", href=f"#{action}", otherwise=f"#{action}")
        return await entry_page(request, api, view, status=422, errors=errors)

    return await call_or_show_again(api.call("dsr", "POST", paths[action], json=form if action != "withdraw" else None),
                                    done=f"/dsr/{entry_id}?done={action}", again=again)


@router.get("/dsr-counts.csv")
async def dsr_counts(request: Request, user: Panel) -> Response:
    """Open entries by rating at the end of each week, one row per week and age band."""
    text = await client(request, user).call("dsr", "GET", "/dsr/counts.csv", params={"weeks": 12})
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="dynamic-support-register-counts.csv"'})


@router.get("/dsr-register.csv")
async def dsr_export(request: Request, user: Panel) -> Response:
    text = await client(request, user).call("dsr", "GET", "/dsr/export.csv")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="dynamic-support-register.csv"'})

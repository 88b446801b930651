"""A service worker's pages: their service's worklist, one request, and acting on it; for MASH, the requests it
holds for the referral, released or declined from the safeguarding request's page."""

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.enums import Service
from schemas.labels import LONDON, day
from schemas.views.worklists import HeldDecided, ListCounts, ListedRequest, OneRequest, ReleasedRequest
from services.portal import holders, notes
from services.portal.backend import BackendError, Client
from services.portal.deps import Worker, client, filled, form_data, needs, not_found, render
from services.portal.emergency import due_when
from services.portal.pages import call_or_show_again, errors_from
from services.portal.users import User

router = APIRouter()
ACTIONS = ("accept", "decline", "redirect", "complete")
FORM_OF = {"accept": "note", "decline": "decline", "redirect": "redirect", "complete": "note"}  # schemas.messages
HELD_DECISIONS = {"release": "released", "decline": "declined"}
NONE_CHOSEN = {"release": "Select the requests you are releasing", "decline": "Select the requests you are declining"}
ALREADY_DECIDED = ("Someone else has decided on it since you opened the page. Go back to the safeguarding request and "
                   "reload it to see the requests still held.")
Mash = needs(lambda u: u.role == "worker:safeguarding")
ASSIGNED = {"": "All", "me": "Assigned to me", "nobody": "Unassigned"}  # the worklist's "who is working on it" filter


# The worklist's filter: which requests (open, or finished each way) and how far back finished ones go.
STATES = {"open": "Open", "completed": "Completed", "declined": "Declined", "redirected": "Redirected",
          "withdrawn": "Withdrawn"}
WINDOWS = ("30", "90", "365")
DEFAULT_WINDOW = "90"


def list_filter(query: dict[str, list[str]]) -> tuple[list[str], str]:
    """The states ticked (in the page's order; none or only unknown ones: open) and the window in days (anything
    but a choice the page offers: 90)."""
    ticked = set(query.get("status", []))
    states = [s for s in STATES if s in ticked] or ["open"]
    days = next(iter(query.get("days", [])), DEFAULT_WINDOW)
    return states, days if days in WINDOWS else DEFAULT_WINDOW


def list_caption(states: list[str], days: str) -> str:
    """What the table shows, in words: "Open requests, most urgent first", "Completed and declined requests received
    in the last 90 days", "Open requests, then withdrawn ones received in the last 30 days"."""
    finished = [STATES[s].lower() for s in states if s != "open"]
    said = finished[0] if len(finished) == 1 else ", ".join(finished[:-1]) + " and " + finished[-1] if finished else ""
    if not finished:
        return "Open requests, most urgent first"
    window = f"received in the last {days} days"
    if "open" in states:
        return f"Open requests, most urgent first, then {said} ones {window}"
    return f"{said.capitalize()} requests {window}, the latest first"


@router.get("/work/{service}", response_class=HTMLResponse)
async def worklist(request: Request, service: Service, user: Worker) -> Response:
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    states, days = list_filter(query)
    assigned = request.query_params.get("assigned", "")
    assigned = assigned if assigned in ASSIGNED else ""  # all, or only mine, or only those nobody has picked up
    api, path = client(request, user), f"/worklists/{service.value}"
    items = await api.read(list[ListedRequest], "worklists", "GET", path,
                           params={"status": states, "received_within_days": days} | (
                               {"assigned": assigned} if assigned else {}))
    counts = await api.read(ListCounts, "worklists", "GET", f"{path}/counts", params={"received_within_days": days})
    return render(request, "worklist.html", service=service.value, items=items, states=states, days=days,
                  counts=counts["counts"], choices=STATES, windows=WINDOWS, caption=list_caption(states, days),
                  assigned=assigned, assigned_choices=ASSIGNED)


async def held_for(api: Client, service: Service, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests MASH holds for the referral of its own request (none for any other service)."""
    if service is not Service.safeguarding or not item.get("referral_id"):
        return []
    held: list[dict[str, Any]] = await api.read(list[ReleasedRequest], "worklists", "GET",
                                                f"/worklists/safeguarding/referrals/{item['referral_id']}/held")
    return held


def held_banner(query: dict[str, str]) -> str | None:
    """The success banner after a held decision: "2 held requests released" (None without one)."""
    decided, count = query.get("held"), query.get("n", "")
    if decided not in HELD_DECISIONS.values() or not count.isdigit():
        return None
    return f"{count} held request{'' if count == '1' else 's'} {decided}"


@router.get("/work/{service}/{request_id}", response_class=HTMLResponse)
async def work_item(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    api = client(request, user)
    try:
        item = await api.read(OneRequest, "worklists", "GET", f"/worklists/{service.value}/requests/{request_id}")
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request, "Request not found", "This service has no request with this reference.")
        raise
    return await request_page(request, api, service, item, held_done=held_banner(dict(request.query_params)),
                              done=request.query_params.get("done"))


async def request_page(request: Request, api: Client, service: Service, item: dict[str, Any], *, status: int = 200,
                       errors: list[dict[str, str]] | None = None, done: str | None = None,
                       held_done: str | None = None, held_form: dict[str, Any] | None = None,
                       found: dict[str, Any] | None = None) -> Response:
    """A request's page, however it is shown (read, or again with a refused form's errors): always with the requests
    held for MASH's decision, its case notes (`found`: a section that keeps a refused note's words) and who is working
    on it, read here. A request held for MASH: no notes (its service may not see them)."""
    request_id = uuid.UUID(str(item["service_request_id"]))
    place = holders.request_place(service, request_id)
    if found is None and not item.get("mash_decides_first"):
        found = await notes.shown(api, "worklists", f"/worklists/{service.value}/requests/{request_id}/notes",
                                  f"{place.page}/notes")
    return render(request, "request.html", status, service=service.value, item=item, errors=errors or [],
                  held=await held_for(api, service, item), held_done=held_done, done=done, held_form=held_form or {},
                  notes=found, holding=await holders.holding_of(api, place), place=place,
                  assigned_done=holders.done_words(request.query_params))


def held_choice(form: dict[str, list[str]]) -> tuple[str | None, dict[str, Any], list[dict[str, str]]]:
    """The held decision a form asks for: the decision (None: not one), the API's body, and the form's own problems.
    Sending no request would decide every held request, so none chosen is a problem here, before the API."""
    decision = next(iter(form.get("decision", [])), None)
    if decision not in HELD_DECISIONS:
        return None, {}, []
    ids = [i.strip() for i in form.get("request_id", []) if i.strip()]
    body: dict[str, Any] = {"decision": decision, "request_ids": ids}
    if reason := filled(form).get("reason"):
        body["reason"] = reason
    problems = [] if ids else [{"text": NONE_CHOSEN[decision],
                                "href": "#held-decline-requests" if decision == "decline" else "#held"}]
    return decision, body, problems


@router.post("/work/safeguarding/{request_id}/held", response_class=HTMLResponse)
async def held_decision(request: Request, request_id: uuid.UUID, user: User = Mash) -> Response:
    """MASH releases or declines held requests of the referral of its request `request_id`."""
    decision, body, errors = held_choice(await form_data(request))
    if decision is None:
        return not_found(request)
    api, path = client(request, user), f"/worklists/safeguarding/requests/{request_id}"
    item = await api.read(OneRequest, "worklists", "GET", path)
    if not errors:
        try:
            done = await api.read(HeldDecided, "worklists", "POST",
                                  f"/worklists/safeguarding/referrals/{item['referral_id']}/held", json=body)
        except BackendError as exc:
            if exc.status == 409:
                return render(request, "error.html", 409, title=exc.title or "This request has already been decided",
                              message=ALREADY_DECIDED)
            if exc.status != 422:
                raise
            errors = errors_from(exc, form="held", otherwise=f"#held-{decision}",
                                 href=lambda field: "#held-reason" if field == "reason" else f"#held-{decision}")
        else:
            banner = f"held={HELD_DECISIONS[decision]}&n={done['requests']}"
            return RedirectResponse(f"/work/safeguarding/{request_id}?{banner}", status_code=303)
    held_form = {"decision": decision, "chosen": body["request_ids"], "reason": body.get("reason", ""),
                 "errors": {e["href"]: e["text"] for e in errors}}
    return await request_page(request, api, Service.safeguarding, item, status=422, errors=errors,
                              held_form=held_form)


def due_by_words(due_by: str, priority: str) -> str:
    """A request's due date as the accept page says it: an emergency's time ("3:40pm today"), any other's day with
    its weekday ("Tuesday 15 December 2026")."""
    if priority == "emergency":
        return due_when(due_by, None)
    try:
        when = datetime.fromisoformat(due_by)
    except ValueError:
        return due_by
    return f"{when.astimezone(LONDON):%A} {day(when)}"


async def accept_page(request: Request, service: Service, request_id: uuid.UUID, user: Any,
                      status: int = 200) -> Response:
    """Accepting, confirmed first: what it commits to (the due date and its clock). A request that can no longer be
    accepted (accepted already, finished, or held for MASH) says so instead, with no button: Back to this page after
    accepting, or a second tab, cannot accept twice."""
    item = await client(request, user).read(OneRequest, "worklists", "GET",
                                            f"/worklists/{service.value}/requests/{request_id}")
    can_accept = item["status"] == "created" and not item["held"]
    return render(request, "accept.html", status, service=service.value, item=item, can_accept=can_accept,
                  due_words=due_by_words(item["due_by"], item["priority"]))


@router.get("/work/{service}/{request_id}/accept", response_class=HTMLResponse)
async def accept_confirm(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    try:
        return await accept_page(request, service, request_id, user)
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request, "Request not found", "This service has no request with this reference.")
        raise


@router.post("/work/{service}/{request_id}/accept", response_class=HTMLResponse)
async def accept(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    """Accepted: on to the request, whose banner says so (refreshing it accepts nothing). Refused because it was
    accepted already (a second click, Back and send again) or finished meanwhile: the accept page saying so (409)."""
    form = filled(await form_data(request))
    path = f"/worklists/{service.value}/requests/{request_id}"
    try:
        await client(request, user).call("worklists", "POST", f"{path}/accept", json=form)
    except BackendError as exc:
        if exc.status != 409:
            raise
        return await accept_page(request, service, request_id, user, 409)
    return RedirectResponse(f"/work/{service.value}/{request_id}?done=accept", status_code=303)


@router.post("/work/{service}/{request_id}/{action}", response_class=HTMLResponse)
async def work_action(request: Request, service: Service, request_id: uuid.UUID, action: str, user: Worker) -> Response:
    if action not in ACTIONS:
        return not_found(request)
    form = filled(await form_data(request))
    api, path = client(request, user), f"/worklists/{service.value}/requests/{request_id}"

    async def again(exc: BackendError) -> Response:
        item = await api.read(OneRequest, "worklists", "GET", path)
        errors = errors_from(exc, form=FORM_OF[action], href=lambda field: f"#{action}-{field}", otherwise="#actions")
        return await request_page(request, api, service, item, status=422, errors=errors)

    return await call_or_show_again(api.call("worklists", "POST", f"{path}/{action}", json=form),
                                    done=f"/work/{service.value}/{request_id}?done={action}", again=again)

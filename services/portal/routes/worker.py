"""A service worker's pages: their service's worklist, one request, and acting on it; for MASH, the requests it
holds for the referral, released or declined from the safeguarding request's page."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.enums import Service
from schemas.views.worklists import HeldDecided, ListedRequest, OneRequest, ReleasedRequest
from services.portal.backend import BackendError, Client
from services.portal.deps import Worker, client, filled, form_data, needs, not_found, render
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


@router.get("/work/{service}", response_class=HTMLResponse)
async def worklist(request: Request, service: Service, user: Worker) -> Response:
    items = await client(request, user).read(list[ListedRequest], "worklists", "GET", f"/worklists/{service.value}")
    return render(request, "worklist.html", service=service.value, items=items)


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
    return render(request, "request.html", service=service.value, item=item, errors=[],
                  held=await held_for(api, service, item), held_done=held_banner(dict(request.query_params)),
                  done=request.query_params.get("done"), held_form={})


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
    return render(request, "request.html", 422, service="safeguarding", item=item, errors=errors,
                  held=await held_for(api, Service.safeguarding, item), held_done=None, done=None,
                  held_form={"decision": decision, "chosen": body["request_ids"], "reason": body.get("reason", ""),
                             "errors": {e["href"]: e["text"] for e in errors}})


@router.post("/work/{service}/{request_id}/{action}", response_class=HTMLResponse)
async def work_action(request: Request, service: Service, request_id: uuid.UUID, action: str, user: Worker) -> Response:
    if action not in ACTIONS:
        return not_found(request)
    form = filled(await form_data(request))
    api, path = client(request, user), f"/worklists/{service.value}/requests/{request_id}"

    async def again(exc: BackendError) -> Response:
        item = await api.read(OneRequest, "worklists", "GET", path)
        errors = errors_from(exc, form=FORM_OF[action], href=lambda field: f"#{action}-{field}", otherwise="#actions")
        return render(request, "request.html", 422, service=service.value, item=item, errors=errors, done=None,
                      held=[], held_done=None, held_form={})

    return await call_or_show_again(api.call("worklists", "POST", f"{path}/{action}", json=form),
                                    done=f"/work/{service.value}/{request_id}?done={action}", again=again)

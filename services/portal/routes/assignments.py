"""Who is working on a piece of work, the portal's pages: on a front-door referral and on a service's request,
"Assign to me", "Give to a colleague" and "Release"; taking an item someone else holds goes through a GOV.UK
"Are you sure" page naming them; and "My work": a person's open items with their clocks, to give all (or those
ticked) to a colleague at once (leave, a shift change). The rules are the owning service's (intake for the front
door, the worklists for a service); this only asks and shows."""

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.enums import Service
from schemas.labels import LONDON
from schemas.views.assignments import Colleague, HandedOver, Holding
from schemas.views.front_door import Queue
from schemas.views.worklists import ListedRequest
from services.portal.backend import BackendError, Client
from services.portal.deps import FrontDoor, Worker, client, form_data, not_found, render
from services.portal.holders import Place, holder_name, holding_of, referral_place, request_place
from services.portal.routes.front_door import REASONS, queue_clock_words
from services.portal.users import User

router = APIRouter()
CHOOSE_COLLEAGUE = "Select the colleague to give it to"
CHOOSE_ITEMS = "Select the work to hand over"
CHANGED = "Someone else changed who is working on this since you looked. Check who has it now."
NOTHING_HANDED = ("Some of this work changed hands since you looked, so none of it was handed over. Check the list "
                  "and try again.")


async def change(request: Request, user: User, place: Place) -> Response:
    """POST of an item's assignment form: `action` (pick_up, give, release), `to`, and for a take-over `confirm`
    with `expected_holder`. Someone else holds it: the "Are you sure" page; it changed meanwhile: that page again,
    saying so; no colleague chosen: the give page with its error."""
    form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v}
    action = form.get("action", "")
    if action not in ("pick_up", "give", "release"):
        return not_found(request)
    body: dict[str, Any] = {"action": action}
    if action == "give":
        if not form.get("to"):
            return await give_page(request, user, place, errors=[{"text": CHOOSE_COLLEAGUE, "href": "#to"}])
        body["to"] = form["to"]
    if form.get("confirm") == "yes":
        body |= {"confirm": True, "expected_holder": form.get("expected_holder") or None}
    api = client(request, user)
    try:
        answer = await api.read(Holding, place.service, "POST", place.api, json=body)
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request)
        if exc.status == 409 and isinstance(exc.body, dict) and "held_by" in exc.body:
            if action == "give":
                return await give_page(request, user, place, errors=[{"text": CHANGED, "href": "#to"}], status=409)
            return await confirm_page(request, user, place, action=action,
                                      errors=[] if "confirm" not in body else [{"text": CHANGED, "href": "#confirm"}],
                                      status=409)
        if exc.status == 422:
            return await give_page(request, user, place, errors=[{"text": CHOOSE_COLLEAGUE, "href": "#to"}],
                                   status=422)
        raise
    last = answer["history"][-1]["change"] if answer["history"] else "picked_up"
    kind = "released" if action == "release" else last
    return RedirectResponse(f"{place.page}?{urlencode({'assigned': kind})}#assignment", status_code=303)


async def confirm_page(request: Request, user: User, place: Place, *, action: str = "pick_up",
                       errors: list[dict[str, str]] | None = None, status: int = 200) -> Response:
    """GOV.UK's "Are you sure": take over (or release) an item someone else holds, naming them."""
    holding = await holding_of(client(request, user), place)
    if holding is None:
        return not_found(request)
    holder = holding["holder"]
    if holder is None or is_mine(user, holder):  # nobody (or you) has it now: nothing to confirm
        return RedirectResponse(f"{place.page}#assignment", status_code=303)
    return render(request, "assignment_confirm.html", status, place=place, holding=holding, holder=holder,
                  holder_name=holder_name(holder), action=action, errors=errors or [])


async def give_page(request: Request, user: User, place: Place, *, errors: list[dict[str, str]] | None = None,
                    status: int = 200) -> Response:
    holding = await holding_of(client(request, user), place)
    if holding is None:
        return not_found(request)
    return render(request, "assignment_give.html", status, place=place, holding=holding,
                  holder_name=holder_name(holding["holder"]), mine=is_mine(user, holding["holder"]),
                  errors=errors or [])


def is_mine(user: User, holder: dict[str, Any] | None) -> bool:
    """Whether the signed-in person holds it (their key is their token's subject, with OIDC too)."""
    return holder is not None and holder["subject"] == user.key


# --- the front door ----------------------------------------------------------------------------------------------

@router.post("/front-door/referrals/{referral_id}/assignment", response_class=HTMLResponse)
async def referral_assignment(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    return await change(request, user, referral_place(referral_id))


@router.get("/front-door/referrals/{referral_id}/take-over", response_class=HTMLResponse)
async def referral_take_over(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    return await confirm_page(request, user, referral_place(referral_id))


@router.get("/front-door/referrals/{referral_id}/give", response_class=HTMLResponse)
async def referral_give(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    return await give_page(request, user, referral_place(referral_id))


@router.get("/front-door/my-work", response_class=HTMLResponse)
async def front_door_work(request: Request, user: FrontDoor) -> Response:
    return await work_page(request, user, None)


@router.post("/front-door/my-work", response_class=HTMLResponse)
async def front_door_handover(request: Request, user: FrontDoor) -> Response:
    return await handover(request, user, None)


# --- a service -----------------------------------------------------------------------------------------------------

@router.get("/work/{service}/my-work", response_class=HTMLResponse)
async def service_work(request: Request, service: Service, user: Worker) -> Response:
    return await work_page(request, user, service)


@router.post("/work/{service}/my-work", response_class=HTMLResponse)
async def service_handover(request: Request, service: Service, user: Worker) -> Response:
    return await handover(request, user, service)


@router.post("/work/{service}/{request_id}/assignment", response_class=HTMLResponse)
async def request_assignment(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    return await change(request, user, request_place(service, request_id))


@router.get("/work/{service}/{request_id}/take-over", response_class=HTMLResponse)
async def request_take_over(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    return await confirm_page(request, user, request_place(service, request_id))


@router.get("/work/{service}/{request_id}/give", response_class=HTMLResponse)
async def request_give(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    return await give_page(request, user, request_place(service, request_id))


# --- my work: a person's open items, handed over at once -------------------------------------------------------------

async def my_items(api: Client, service: Service | None) -> list[dict[str, Any]]:
    """The caller's open items with their clocks, most urgent first, each as the page lists it."""
    if service is None:
        queue = await api.read(Queue, "intake", "GET", "/front-door/queue", params={"assigned": "me"})
        now = datetime.now(LONDON)
        return [{"id": i["referral_id"], "link": f"/front-door/referrals/{i['referral_id']}",
                 "name": f"Referral {i['referral_id'][:8].upper()}", "what": REASONS[i["reason"]],
                 "clock": queue_clock_words(i, now), "overdue": i["clock"]["overdue"]}
                for i in queue["items"] if i.get("referral_id")]
    listed = await api.read(list[ListedRequest], "worklists", "GET", f"/worklists/{service.value}",
                            params={"assigned": "me"})
    return [{"id": i["service_request_id"], "link": f"/work/{service.value}/{i['service_request_id']}",
             "name": request_name(i), "what": "Priority: " + str(i["priority"]).replace("_", " "),
             "clock": i["time_left"], "overdue": i["overdue"]} for i in listed]


def request_name(item: dict[str, Any]) -> str:
    """A request as a worker's list names it: the child, or its reference while MASH decides first."""
    child = item.get("child") or {}
    name = f"{child.get('given_name') or ''} {child.get('family_name') or ''}".strip()
    return name or f"Request {str(item['service_request_id'])[:8].upper()}"


async def colleagues_of(api: Client, service: Service | None) -> list[dict[str, Any]]:
    path = "/front-door/colleagues" if service is None else f"/worklists/{service.value}/colleagues"
    people: list[dict[str, Any]] = await api.read(list[Colleague], "intake" if service is None else "worklists",
                                                  "GET", path)
    return people


async def work_page(request: Request, user: User, service: Service | None, *,
                    errors: list[dict[str, str]] | None = None, status: int = 200,
                    chosen: list[str] | None = None, to: str = "") -> Response:
    api = client(request, user)
    items = await my_items(api, service)
    done = request.query_params.get("handed")
    return render(request, "handover.html", status, items=items, colleagues=await colleagues_of(api, service),
                  errors=errors or [], service=service.value if service else None,
                  chosen=chosen if chosen is not None else [i["id"] for i in items], to=to,
                  done=f"{done} item{'' if done == '1' else 's'} handed over to {request.query_params.get('to', '')}"
                  if done and done.isdigit() else None)


async def handover(request: Request, user: User, service: Service | None) -> Response:
    form = await form_data(request)
    chosen = [i.strip() for i in form.get("item", []) if i.strip()]
    to = next((v.strip() for v in form.get("to", []) if v.strip()), "")
    errors = ([] if chosen else [{"text": CHOOSE_ITEMS, "href": "#work-items"}]) + (
        [] if to else [{"text": CHOOSE_COLLEAGUE, "href": "#to"}])
    if errors:
        return await work_page(request, user, service, errors=errors, status=422, chosen=chosen, to=to)
    api = client(request, user)
    path, ids = ("/front-door/handover", "referral_ids") if service is None else (
        f"/worklists/{service.value}/handover", "request_ids")
    try:
        done = await api.read(HandedOver, "intake" if service is None else "worklists", "POST", path,
                              json={ids: chosen, "to": to})
    except BackendError as exc:
        if exc.status not in (404, 409, 422):
            raise
        text = CHOOSE_COLLEAGUE if exc.status == 422 else NOTHING_HANDED
        return await work_page(request, user, service, errors=[{"text": text, "href": "#to" if exc.status == 422
                                                                 else "#work-items"}], status=exc.status, chosen=chosen,
                               to=to)
    home = "/front-door/my-work" if service is None else f"/work/{service.value}/my-work"
    banner = {"handed": done["handed_over"], "to": holder_name(done["to"])}
    return RedirectResponse(f"{home}?{urlencode(banner)}", status_code=303)

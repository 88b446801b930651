"""The front-door team's pages (role front_door): the queue of everything that needs a person, a
referral's decision with a person's decision or override, recording emergency contact and a chase,
and the possible duplicate children. (An administrator's dead letters: routes/admin.py.)"""

import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.labels import LONDON, day
from schemas.messages import sentence, too_short
from schemas.views.children import FlaggedPair, Merge, MergeHistoryItem
from schemas.views.front_door import ChaseRecorded, Queue
from schemas.views.referrals import ReferralView
from services.policy.people import pathways
from services.policy.ruleset.in_force import ruleset_in_force
from services.portal import holders, stash
from services.portal import notes as case_notes
from services.portal.backend import BackendError, Client
from services.portal.deps import FrontDoor, client, filled, form_data, not_found, render
from services.portal.pages import call_or_show_again, errors_from
from services.portal.users import User

router = APIRouter()

REASONS = {"emergency": "Emergency not answered", "manual_review": "For a person to decide",
           "out_of_scope": "Out of scope", "needs_information": "Waiting for information", "advice": "Asked for advice",
           "possible_duplicate": "Possible duplicate child", "dead_letter": "Could not be processed"}
RATIONALE, CONTACTED = 10, 2  # the shortest reasons and "who was contacted" intake takes (checked here first)
FIELD_IDS = {"contacted_at": "contacted_at-day"}
AGE_BANDS = ("0-4", "5-10", "11-15", "16-18", "19-25")
DONE = {"decision": "Your decision was sent. The referral shows it once it has been applied.",
        "contact": "Emergency contact recorded. The referral has left the queue.",
        "chase": "Chase recorded. The referrer sees that the front door contacted them.",
        "different": "Recorded as different children. This pair will not be flagged again.",
        "undone": "The merge was undone. Every record is back where it was.",
        "note": case_notes.ADDED}
MERGE_FORM = "merge"  # the merge's answers, kept between the pair list and its check page
PAIR_GONE = "These records are no longer waiting for a decision: someone has decided about them"


def clock_words(due_at: str | None, now: datetime) -> str:
    """A clock as a person reads it: "2 hours left", "overdue by 3 days"."""
    if not due_at:
        return "No clock"
    seconds = (datetime.fromisoformat(due_at) - now).total_seconds()
    size = abs(seconds)
    if size >= 86400:
        amount, unit = int(size // 86400), "day"
    elif size >= 3600:
        amount, unit = int(size // 3600), "hour"
    else:
        amount, unit = max(1, int(size // 60)), "minute"
    span = f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"{span} left" if seconds > 0 else f"overdue by {span}"


@router.get("/front-door", response_class=HTMLResponse)
async def queue(request: Request, user: FrontDoor) -> Response:
    params = request.query_params
    wanted = {k: v for k in ("reason", "service", "school", "age_band", "assigned") if (v := params.get(k, "").strip())}
    answer = await client(request, user).read(Queue, "intake", "GET", "/front-door/queue", params=wanted)
    now = datetime.now(LONDON)
    for item in answer["items"]:
        item["clock_words"] = queue_clock_words(item, now)
    return render(request, "front_door_queue.html", queue=answer, wanted=wanted, reasons=REASONS,
                  age_bands=AGE_BANDS, errors=[], done=done_words(params))


def queue_clock_words(item: dict[str, Any], now: datetime) -> str:
    """An item's clock in a few words; a referral chased and not due again yet: "chase again by 16 March 2026"."""
    clock = item["clock"]
    if item["reason"] == "needs_information" and item.get("last_chase") and not clock["overdue"] and clock["due_at"]:
        return f"chase again by {day(clock['due_at'])}"
    return clock_words(clock["due_at"], now)


def done_words(params: Any) -> str | None:
    """The banner after an action; after a chase, with the date to chase again by (a real date, or not said)."""
    words = DONE.get(params.get("done", ""))
    if words and params.get("done") == "chase":
        try:
            again = date.fromisoformat(params.get("chase_again", ""))
        except ValueError:
            return words
        return f"{words} If they have not answered, chase them again by {day(again)}."
    return words


async def referral_of(api: Client, referral_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        view: dict[str, Any] = await api.read(ReferralView, "intake", "GET", f"/front-door/referrals/{referral_id}")
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise
    return view


async def decision_page(request: Request, api: Client, view: dict[str, Any], *, status: int = 200,
                        errors: list[dict[str, str]] | None = None, form: dict[str, Any] | None = None,
                        notes: dict[str, Any] | None = None) -> Response:
    """The referral page, however it is shown (read, or again with a refused form's errors): always with its case
    notes section (services/portal/notes.py; `notes`: one that keeps a refused note's words) and who is working on it
    (services/portal/holders.py), both read here."""
    place = holders.referral_place(uuid.UUID(view["referral_id"]))
    if notes is None:
        path = f"{place.page}/notes"
        notes = await case_notes.shown(api, "intake", path, path)
    holding = await holders.holding_of(api, place)
    routes = pathways(ruleset_in_force(request.app.state.settings.ruleset_path))  # the policy's, never a list here
    return render(request, "front_door_referral.html", status, referral=view, errors=errors or [], form=form or {},
                  routes=routes, done=DONE.get(request.query_params.get("done", "")), notes=notes, holding=holding,
                  place=place, assigned_done=holders.done_words(request.query_params))


@router.get("/front-door/referrals/{referral_id}", response_class=HTMLResponse)
async def referral(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    api = client(request, user)
    view = await referral_of(api, referral_id)
    if view is None:
        return not_found(request, "Referral not found", "There is no referral with this reference.")
    return await decision_page(request, api, view)


def change_of(form: dict[str, str]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The one change the form asks for, or what the person still has to choose (the portal checks only
    that each field the change needs was chosen; the rules are intake's)."""
    kind = form.get("kind", "")
    if kind == "add_route":
        service, _, pathway = form.get("add-route", "").partition(":")
        change = {"kind": kind, "service": service, "pathway": pathway, "priority": form.get("add-priority")}
        missing = [("add-route", "Choose the service and pathway"), ("add-priority", "Choose the priority")]
    elif kind == "withdraw_route":
        change = {"kind": kind, "service_request_id": form.get("withdraw-request")}
        missing = [("withdraw-request", "Choose the request to withdraw")]
    elif kind == "change_priority":
        change = {"kind": kind, "service_request_id": form.get("change-request"),
                  "priority": form.get("change-priority")}
        missing = [("change-request", "Choose the request"), ("change-priority", "Choose the new priority")]
    elif kind == "close":
        change = {"kind": kind, "signpost": form.get("close-signpost")}
        missing = [("close-signpost", "Say where the family should go instead")]
    else:
        return None, [{"text": sentence("changes.kind", "missing", form="override"), "href": "#kind"}]
    errors = [{"text": text, "href": f"#{field}"} for field, text in missing if not form.get(field)]
    return (None if errors else change), errors


@router.post("/front-door/referrals/{referral_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    raw = await form_data(request)
    form: dict[str, Any] = filled(raw)
    form["disagreed_with"] = [v for v in raw.get("disagreed_with", []) if v]
    api = client(request, user)
    view = await referral_of(api, referral_id)
    if view is None:
        return not_found(request, "Referral not found", "There is no referral with this reference.")
    change, errors = change_of(form)
    if problem := too_short("rationale", form.get("rationale", ""), RATIONALE, form="override"):
        errors.append({"text": problem, "href": "#rationale"})
    if errors:
        return await decision_page(request, api, view, status=422, errors=errors, form=form)
    body = {"rationale": form["rationale"], "disagreed_with": form["disagreed_with"], "changes": [change]}

    async def again(exc: BackendError) -> Response:
        shown = await referral_of(api, referral_id) or view
        found = errors_from(exc, form="override", href=lambda f: "#rationale" if f == "rationale" else "#kind",
                            otherwise="#kind")
        return await decision_page(request, api, shown, status=exc.status, errors=found, form=form)

    return await call_or_show_again(api.call("intake", "POST", f"/front-door/referrals/{referral_id}/decision",
                                             json=body),
                                    done=f"/front-door/referrals/{referral_id}?done=decision", again=again)


def contact_time(form: dict[str, str]) -> datetime | None:
    """The date and time of contact typed in the form, in UK time; None if it is not a real one."""
    try:
        hour, _, minute = form.get("contact-time", "").replace(".", ":").partition(":")
        return datetime(int(form.get("contacted_at-year", "")), int(form.get("contacted_at-month", "")),
                        int(form.get("contacted_at-day", "")), int(hour), int(minute or 0), tzinfo=LONDON)
    except ValueError:
        return None


@router.get("/front-door/referrals/{referral_id}/{form_name}", response_class=HTMLResponse)
async def record_page(request: Request, referral_id: uuid.UUID, form_name: str, user: FrontDoor) -> Response:
    if form_name not in ("emergency-contact", "chase"):
        return not_found(request)
    view = await referral_of(client(request, user), referral_id)
    if view is None:
        return not_found(request, "Referral not found", "There is no referral with this reference.")
    now = datetime.now(LONDON)
    form = {"contacted_at-day": str(now.day), "contacted_at-month": str(now.month),
            "contacted_at-year": str(now.year), "contact-time": f"{now:%H:%M}"}
    return render(request, f"front_door_{form_name.replace('-', '_')}.html", referral=view, errors=[], form=form,
                  chase_again=request.app.state.settings.chase_again_working_days)


@router.post("/front-door/referrals/{referral_id}/{form_name}", response_class=HTMLResponse)
async def record(request: Request, referral_id: uuid.UUID, form_name: str, user: FrontDoor) -> Response:
    if form_name not in ("emergency-contact", "chase"):
        return not_found(request)
    form = filled(await form_data(request))
    api = client(request, user)
    template = f"front_door_{form_name.replace('-', '_')}.html"
    errors: list[dict[str, str]] = []
    if form_name == "emergency-contact":
        when = contact_time(form)
        body = {"contacted": form.get("contacted", ""), "how": form.get("how", ""), "note": form.get("note")}
        if problem := too_short("contacted", body["contacted"] or "", CONTACTED, form="emergency_contact"):
            errors.append({"text": problem, "href": "#contacted"})
        if not body["how"]:
            errors.append({"text": sentence("how", "missing", form="emergency_contact"), "href": "#how"})
        if when is None:
            errors.append({"text": sentence("contacted_at", "missing", form="emergency_contact"),
                           "href": "#contacted_at"})
        else:
            body["contacted_at"] = when.isoformat()
    else:
        body = {"how": form.get("how", ""), "note": form.get("note")}
        if not body["how"]:
            errors.append({"text": sentence("how", "missing", form="chase"), "href": "#how"})

    async def again(exc: BackendError | None) -> Response:
        view = await referral_of(api, referral_id)
        if view is None:
            return not_found(request, "Referral not found", "There is no referral with this reference.")
        shown = errors if exc is None else errors_from(
            exc, form=form_name.replace("-", "_"), href=lambda f: "#" + FIELD_IDS.get(f, f), otherwise="#how")
        return render(request, template, 422 if exc is None else exc.status, referral=view, errors=shown, form=form,
                      chase_again=request.app.state.settings.chase_again_working_days)

    if errors:
        return await again(None)
    body = {k: v for k, v in body.items() if v is not None}
    if form_name == "emergency-contact":
        return await call_or_show_again(api.call("intake", "POST", f"/front-door/referrals/{referral_id}/{form_name}",
                                                 json=body),
                                        done=f"/front-door?{urlencode({'done': 'contact'})}", again=again)

    def chased(answer: dict[str, Any]) -> Response:
        again_by = datetime.fromisoformat(answer["next_action_at"]).astimezone(LONDON).date()
        return RedirectResponse(f"/front-door?{urlencode({'done': 'chase', 'chase_again': again_by.isoformat()})}",
                                status_code=303)

    return await call_or_show_again(api.read(ChaseRecorded, "intake", "POST",
                                             f"/front-door/referrals/{referral_id}/chase", json=body),
                                    done=chased, again=again)


@router.get("/front-door/duplicates", response_class=HTMLResponse)
async def duplicates(request: Request, user: FrontDoor) -> Response:
    pairs = await client(request, user).read(list[FlaggedPair], "intake", "GET", "/front-door/duplicates")
    params = request.query_params
    form = stash.load(request, user, MERGE_FORM)[0] if params.get("back") else {}  # Back from the check page
    return render(request, "front_door_duplicates.html", pairs=pairs, errors=[], merged=params.get("merged"),
                  done=DONE.get(params.get("done", "")), form=form)


@router.post("/front-door/duplicates/{action}", response_class=HTMLResponse)
async def duplicate_action(request: Request, action: str, user: FrontDoor) -> Response:
    """"Same child" asks to confirm on a page with both records side by side (the merge is sent only with
    `confirmed`); "different children" is sent at once."""
    if action not in ("merge", "different"):
        return not_found(request)
    form = filled(await form_data(request))
    api = client(request, user)
    pair = form.get("pair", "")
    child_a, _, child_b = pair.partition(":")
    errors: list[dict[str, str]] = []
    if action == "merge":
        survivor = form.get("survivor", "")
        body = {"survivor_id": survivor, "merged_id": child_b if survivor == child_a else child_a,
                "reason": form.get("reason", "")}
        if survivor not in (child_a, child_b):
            errors.append({"text": sentence("survivor_id", "missing", form="merge"),
                           "href": f"#survivor-{pair_id(pair)}"})
        if problem := too_short("reason", body["reason"], RATIONALE, form="merge"):
            errors.append({"text": problem, "href": f"#reason-{pair_id(pair)}"})
    else:
        body = {"child_a": child_a, "child_b": child_b, **({"reason": form["reason"]} if "reason" in form else {})}

    async def again(exc: BackendError | None) -> Response:
        pairs = await api.read(list[FlaggedPair], "intake", "GET", "/front-door/duplicates")
        shown = errors if exc is None else errors_from(exc, form=action, href=f"#pair-{pair_id(pair)}",
                                                       otherwise=f"#pair-{pair_id(pair)}")
        return render(request, "front_door_duplicates.html", 422 if exc is None else exc.status, pairs=pairs,
                      errors=shown, merged=None, done=None, form=form)

    if errors:
        return await again(None)
    if action == "merge" and form.get("confirmed") != "yes":
        return await confirm_merge(request, user, form)

    def merged(answer: dict[str, Any]) -> Response:
        stash.discard(request, user, MERGE_FORM)
        return RedirectResponse(f"/front-door/duplicates?merged={answer['merge_id']}", status_code=303)

    path = f"/front-door/duplicates/{action}"
    if action == "merge":  # its answer is read: the merge's id, to offer undoing it
        sent = api.read(Merge, "intake", "POST", path, json=body)
    else:
        sent = api.call("intake", "POST", path, json=body)
    return await call_or_show_again(sent,
                                    done=merged if action == "merge" else "/front-door/duplicates?done=different",
                                    again=again, refusals=(404, 409, 422))


async def confirm_merge(request: Request, user: User, form: dict[str, str]) -> Response:
    """The check page: the record kept and the one merged into it side by side, the reason, and the button that
    merges. The answers are kept (never in the address) so that Back shows them again."""
    pairs = await client(request, user).read(list[FlaggedPair], "intake", "GET", "/front-door/duplicates")
    found = next((p for p in pairs if f"{p['child_a']['child_id']}:{p['child_b']['child_id']}" == form["pair"]), None)
    if found is None:  # someone decided about the pair meanwhile
        return render(request, "front_door_duplicates.html", 409, pairs=pairs, merged=None, done=None, form={},
                      errors=[{"text": PAIR_GONE, "href": "#pairs"}])
    a, b = found["child_a"], found["child_b"]
    keep, merged = (a, b) if form["survivor"] == a["child_id"] else (b, a)
    stash.save(request, user, MERGE_FORM, {k: form[k] for k in ("pair", "survivor", "reason")},
               action="front_door.merge.draft")
    return render(request, "front_door_merge_confirm.html", keep=keep, merged=merged, form=form,
                  back_query="back=1", errors=[])


@router.get("/front-door/merges", response_class=HTMLResponse)
async def merge_history(request: Request, user: FrontDoor) -> Response:
    """Every merge with who, why and when, and "Undo" while it is possible (or why not)."""
    merges = await client(request, user).read(list[MergeHistoryItem], "intake", "GET", "/front-door/duplicates/merges")
    return render(request, "front_door_merges.html", merges=merges, errors=[],
                  done=DONE.get(request.query_params.get("done", "")))


async def merge_of(api: Client, merge_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await api.read(MergeHistoryItem, "intake", "GET",
                                               f"/front-door/duplicates/merges/{merge_id}")
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise
    return found


@router.get("/front-door/duplicates/merges/{merge_id}/undo", response_class=HTMLResponse)
async def undo_merge_page(request: Request, merge_id: uuid.UUID, user: FrontDoor) -> Response:
    """Undo asks to confirm, showing the merge; a merge that cannot be undone says why."""
    merge = await merge_of(client(request, user), merge_id)
    if merge is None:
        return not_found(request, "Merge not found", "There is no merge with this reference.")
    return render(request, "front_door_undo_merge.html", merge=merge, errors=[])


@router.post("/front-door/duplicates/merges/{merge_id}/undo", response_class=HTMLResponse)
async def undo_merge(request: Request, merge_id: uuid.UUID, user: FrontDoor) -> Response:
    api = client(request, user)

    async def again(exc: BackendError) -> Response:
        merge = await merge_of(api, merge_id)
        if merge is None:
            return not_found(request, "Merge not found", "There is no merge with this reference.")
        return render(request, "front_door_undo_merge.html", exc.status, merge=merge, errors=[])

    return await call_or_show_again(api.call("intake", "POST", f"/front-door/duplicates/merges/{merge_id}/undo"),
                                    done="/front-door/merges?done=undone", again=again, refusals=(404, 409))


def pair_id(pair: str) -> str:
    return pair.replace(":", "-")

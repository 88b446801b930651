"""Administrators: importing referrals from a spreadsheet (CSV) through intake's bulk import, and a sample file in
the import layout to start from (intake's, as `frontdoor import-sample` writes it); the events not processed (dead
letters), sent again or discarded with a reason."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from schemas.messages import sentence, too_short
from schemas.views.front_door import DeadLetters, Replayed
from schemas.views.referrals import ImportResult
from services.portal.backend import BackendError
from services.portal.deps import Admin, client, filled, form_data, not_found, render
from services.portal.pages import errors_from
from services.portal.users import User

router = APIRouter()


@router.get("/admin/import", response_class=HTMLResponse)
async def import_page(request: Request, user: Admin) -> Response:
    return render(request, "import.html", result=None, errors=[])


@router.post("/admin/import", response_class=HTMLResponse)
async def import_file(request: Request, user: Admin) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    if not content:
        errors = [{"text": "Choose a CSV file to import", "href": "#file"}]
        return render(request, "import.html", 422, result=None, errors=errors)
    valid_only = "true" if form.get("mode") == "valid" else "false"
    result = await client(request, user).read(ImportResult, "intake", "POST", "/imports", content=content,
                                              params={"import_valid": valid_only}, headers={"Content-Type": "text/csv"})
    return render(request, "import.html", result=result, errors=[])


@router.get("/admin/import/sample.csv")
async def sample_file(request: Request, user: Admin) -> Response:
    """A sample import file: made-up children and referrers (sample NHS numbers), every column of the layout."""
    text = await client(request, user).call("intake", "GET", "/imports/sample")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="front-door-import-sample.csv"'})


# --- events not processed (dead letters) -------------------------------------------------------------------------
# One row per event however many times it failed, in one of three lists: waiting (never sent again, or failed again
# since), sent again (replayed, not failed since: who and when), or discarded with a reason when it can never
# succeed: it stays in the log (a topic is append-only) but is never offered again. Intake keeps both records.

REASON = 10  # the shortest reason intake takes for a discard (checked here first, in the catalogue's words)
DONE = {"discarded": "Event discarded. It stays in the log but will not be offered again."}


SHOWN = ("waiting", "sent_again", "discarded")


def sent_words(sent: str) -> str:
    """The banner after a replay, from its count (the redirect's query: a number, else none said)."""
    n = int(sent) if sent.isdigit() else None
    if n is None:
        return "Sent again to be processed."
    if n == 0:
        return "Nothing was sent again: the chosen events are no longer waiting."
    return f"{n} event{'' if n == 1 else 's'} sent again to be processed. Each is listed here until it fails again."


async def letters(request: Request, user: User, show: str = "waiting") -> Any:
    return await client(request, user).read(DeadLetters, "intake", "GET", "/front-door/dead-letters",
                                            params={"show": show})


@router.get("/admin/dead-letters", response_class=HTMLResponse)
async def dead_letters(request: Request, user: Admin) -> Response:
    show = request.query_params.get("show", "waiting")
    show = show if show in SHOWN else "waiting"
    asked = request.query_params.get("done", "")
    done = sent_words(request.query_params.get("sent", "")) if asked == "replayed" else DONE.get(asked)
    return render(request, "front_door_dead_letters.html", answer=await letters(request, user, show), errors=[],
                  done=done)


@router.post("/admin/dead-letters/replay", response_class=HTMLResponse)
async def replay(request: Request, user: Admin) -> Response:
    raw = await form_data(request)
    ids, topic = [v for v in raw.get("id", []) if v], raw.get("topic", [""])[0]
    if not ids:
        errors, status = [{"text": sentence("ids", "missing", form="replay"), "href": "#letters"}], 422
    else:
        try:
            replayed = await client(request, user).read(Replayed, "intake", "POST", "/front-door/dead-letters/replay",
                                                         json={"topic": topic, "ids": ids})
        except BackendError as exc:
            if exc.status not in (409, 422, 503):
                raise
            errors, status = errors_from(exc, form="replay", href="#letters", otherwise="#letters"), exc.status
        else:  # to the events sent again, by its address: a refresh or Back sends nothing more
            return RedirectResponse(f"/admin/dead-letters?show=sent_again&done=replayed&sent={replayed['replayed']}",
                                    status_code=303)
    return render(request, "front_door_dead_letters.html", status, answer=await letters(request, user),
                  errors=errors, done=None)


async def waiting_event(request: Request, user: User, event_id: uuid.UUID) -> Any | None:
    """The event as the list shows it, when it is waiting (None: not on the topics, or discarded already)."""
    answer = await letters(request, user)
    return next((e for e in answer["dead_letters"] if e["event_id"] == str(event_id)), None)


NOT_WAITING = ("Event not found", "This event is not waiting to be processed. It may have been discarded already: "
               "see the discarded events on the events not processed page.")


@router.get("/admin/dead-letters/{event_id}/discard", response_class=HTMLResponse)
async def discard_page(request: Request, event_id: uuid.UUID, user: Admin) -> Response:
    event = await waiting_event(request, user, event_id)
    if event is None:
        return not_found(request, *NOT_WAITING)
    return render(request, "dead_letter_discard.html", event=event, errors=[], form={})


@router.post("/admin/dead-letters/{event_id}/discard", response_class=HTMLResponse)
async def discard(request: Request, event_id: uuid.UUID, user: Admin) -> Response:
    form = filled(await form_data(request))
    reason = form.get("reason", "")
    errors = [{"text": problem, "href": "#reason"}] if (problem := too_short("reason", reason, REASON,
                                                                             form="discard")) else []

    async def again(exc: BackendError | None) -> Response:
        event = await waiting_event(request, user, event_id)
        if event is None:
            return not_found(request, *NOT_WAITING)
        shown = errors if exc is None else errors_from(exc, form="discard", href="#reason", otherwise="#reason")
        return render(request, "dead_letter_discard.html", 422 if exc is None else exc.status, event=event,
                      errors=shown, form=form)

    if errors:
        return await again(None)
    try:
        await client(request, user).call("intake", "POST", "/front-door/dead-letters/discard",
                                         json={"event_id": str(event_id), "reason": reason})
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request, *NOT_WAITING)
        if exc.status not in (409, 422):
            raise
        return await again(exc)
    return RedirectResponse("/admin/dead-letters?show=discarded&done=discarded", status_code=303)

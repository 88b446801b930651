"""Adding a case note from a page (issue 23, item 4): the front-door referral page, a worker's request page and a
register entry's page. Added: the page again by its address, with "Note added" (so a refresh sends nothing again);
a problem: the page with its error summary and the words as typed (services/portal/notes.py).

Before the pages' own routes (ROUTERS): their `/{action}` and `/{form_name}` paths would take `/notes` otherwise."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.enums import Service
from schemas.views.dsr import EntryView
from schemas.views.worklists import OneRequest
from services.portal import notes
from services.portal.deps import FrontDoor, Panel, Worker, client, form_data, not_found
from services.portal.routes.dsr import entry_page
from services.portal.routes.front_door import decision_page, referral_of
from services.portal.routes.worker import request_page

router = APIRouter()


@router.post("/front-door/referrals/{referral_id}/notes", response_class=HTMLResponse)
async def front_door_note(request: Request, referral_id: uuid.UUID, user: FrontDoor) -> Response:
    form, api = await form_data(request), client(request, user)
    page, path = f"/front-door/referrals/{referral_id}", f"/front-door/referrals/{referral_id}/notes"

    async def again(status: int, errors: list[dict[str, str]]) -> Response:
        view = await referral_of(api, referral_id)
        if view is None:
            return not_found(request, "Referral not found", "There is no referral with this reference.")
        found = notes.kept(await notes.notes_on(api, "intake", path), path, form, errors)
        return await decision_page(request, api, view, status=status, errors=errors, notes=found)

    return await notes.send(request, api, "intake", path, form, done=f"{page}?done=note#notes", again=again)


@router.post("/work/{service}/{request_id}/notes", response_class=HTMLResponse)
async def request_note(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    form, api = await form_data(request), client(request, user)
    page, path = f"/work/{service.value}/{request_id}", f"/worklists/{service.value}/requests/{request_id}"

    async def again(status: int, errors: list[dict[str, str]]) -> Response:
        item = await api.read(OneRequest, "worklists", "GET", path)
        found = notes.kept(await notes.notes_on(api, "worklists", f"{path}/notes"), f"{page}/notes", form, errors)
        return await request_page(request, api, service, item, status=status, errors=errors, found=found)

    return await notes.send(request, api, "worklists", f"{path}/notes", form, done=f"{page}?done=note#notes",
                            again=again)


@router.post("/dsr/{entry_id}/notes", response_class=HTMLResponse)
async def entry_note(request: Request, entry_id: uuid.UUID, user: Panel) -> Response:
    form, api = await form_data(request), client(request, user)
    path = f"/dsr/entries/{entry_id}"

    async def again(status: int, errors: list[dict[str, str]]) -> Response:
        view = await api.read(EntryView, "dsr", "GET", path)
        found = notes.kept(await notes.notes_on(api, "dsr", f"{path}/notes"), f"/dsr/{entry_id}/notes", form, errors)
        return await entry_page(request, api, view, status=status, errors=errors, found=found)

    return await notes.send(request, api, "dsr", f"{path}/notes", form, done=f"/dsr/{entry_id}?done=note#notes",
                            again=again)

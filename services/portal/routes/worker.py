"""A service worker's pages: their service's worklist, one request, and acting on it."""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.enums import Service
from services.portal.backend import BackendError
from services.portal.deps import Worker, client, filled, form_data, not_found, render
from services.portal.pages import call_or_show_again, errors_from

router = APIRouter()
ACTIONS = ("accept", "decline", "redirect", "complete")


@router.get("/work/{service}", response_class=HTMLResponse)
async def worklist(request: Request, service: Service, user: Worker) -> Response:
    items = await client(request, user).call("worklists", "GET", f"/worklists/{service.value}")
    return render(request, "worklist.html", service=service.value, items=items)


@router.get("/work/{service}/{request_id}", response_class=HTMLResponse)
async def work_item(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
    try:
        item = await client(request, user).call("worklists", "GET", f"/worklists/{service.value}/requests/{request_id}")
    except BackendError as exc:
        if exc.status == 404:
            return not_found(request, "Request not found", "This service has no request with this reference.")
        raise
    return render(request, "request.html", service=service.value, item=item, errors=[],
                  done=request.query_params.get("done"))


@router.post("/work/{service}/{request_id}/{action}", response_class=HTMLResponse)
async def work_action(request: Request, service: Service, request_id: uuid.UUID, action: str, user: Worker) -> Response:
    if action not in ACTIONS:
        return not_found(request)
    form = filled(await form_data(request))
    api, path = client(request, user), f"/worklists/{service.value}/requests/{request_id}"

    async def again(exc: BackendError) -> Response:
        item = await api.call("worklists", "GET", path)
        errors = errors_from(exc, href=lambda field: f"#{action}-{field}", otherwise="#actions")
        return render(request, "request.html", 422, service=service.value, item=item, errors=errors, done=None)

    return await call_or_show_again(api.call("worklists", "POST", f"{path}/{action}", json=form),
                                    done=f"/work/{service.value}/{request_id}?done={action}", again=again)

"""One page per child (issue 23, item 2) and "who saw this child" (item 8).

The front door, MASH and the DSR panel (and their leads) see everything the services hold about the child; a
service's worker only its own service's requests about the child and what its sharing list gave it (nothing of a
request held for MASH). The services answer and audit each read with the child's id; the portal composes
(services/portal/children.py). The front-door manager and the DSR chair open, from the page, the audit trail of the
child from every service, as a table (one row per look: a page's several audited reads are one row) and as CSV
(every recorded access); their reading is audited by each service too."""

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.views.child_record import ChildEntry, ChildRecord, SeenBy
from schemas.views.worklists import OneRequest
from services.common.csvfile import write_dicts
from services.portal import children, notes
from services.portal.backend import Client
from services.portal.deps import client, needs, not_found, render
from services.portal.pages import found
from services.portal.users import User

router = APIRouter()
EVERYTHING = ("front_door", "dsr_panel", "worker:safeguarding")  # who reads all the services hold about a child
Reader = needs(lambda u: any(u.acts_as(r) for r in EVERYTHING) or u.role.startswith("worker:"))
AuditReader = needs(lambda u: u.may_read_audit)
NOT_SHOWN = "There is no child with this reference that you can see."


def sees_everything(user: User) -> bool:
    return any(user.acts_as(role) for role in EVERYTHING)


async def everything(api: Client, user: User, child_id: uuid.UUID) -> dict[str, Any] | None:
    """Intake's record and the register's entries, as the page shows them (None: intake knows no such child)."""
    record, entries = await asyncio.gather(
        found(api.read(ChildRecord, "intake", "GET", f"/children/{child_id}")),
        api.read(list[ChildEntry], "dsr", "GET", f"/dsr/children/{child_id}/entries"))
    if record is None:
        return None
    links = children.links_for(user, record)
    noted = await notes.on_child(api, user, child_id, links)
    return {"child": record["child"], "merged_into": record["merged_into"], "referrals": record["referrals"],
            "requests": record["service_requests"], "entries": entries, "links": links,
            "timeline": children.timeline(children.record_entries(record, links),
                                          children.entry_entries(entries, links), noted)}


async def own_requests(api: Client, user: User, child_id: uuid.UUID) -> dict[str, Any] | None:
    """A service's own requests about the child (None: it has none it may see)."""
    service = user.role.removeprefix("worker:")
    requests = await found(api.read(list[OneRequest], "worklists", "GET", f"/worklists/{service}/children/{child_id}"))
    if not requests:
        return None
    links = children.links_for(user, None)
    noted = await notes.on_child(api, user, child_id, links)
    return {"child": children.shared_details(requests), "merged_into": None, "referrals": [], "requests": requests,
            "entries": [], "links": links,
            "timeline": children.timeline(children.request_entries(requests, links), noted)}


@router.get("/children/{child_id}", response_class=HTMLResponse)
async def child_page(request: Request, child_id: uuid.UUID, user: User = Reader) -> Response:
    api = client(request, user)
    shown = await (everything if sees_everything(user) else own_requests)(api, user, child_id)
    if shown is None:
        return not_found(request, "Child not found", NOT_SHOWN)
    return render(request, "child.html", child_id=str(child_id), everything=sees_everything(user),
                  may_read_audit=user.may_read_audit, **shown)


async def trail_of(api: Client, user: User, child_id: uuid.UUID, *, export: bool) -> list[dict[str, Any]]:
    """Every service's part of the child's audit trail, merged newest first."""
    params = {"export": "true"} if export else {}
    services = ("intake", "worklists", "dsr")
    parts = await asyncio.gather(*(api.read(list[SeenBy], s, "GET", f"/children/{child_id}/who-saw", params=params)
                                   for s in services))
    return children.trail(dict(zip(services, parts, strict=True)), children.known_names(user))


@router.get("/children/{child_id}/who-saw", response_class=HTMLResponse)
async def who_saw(request: Request, child_id: uuid.UUID, user: User = AuditReader) -> Response:
    api = client(request, user)
    record = await found(api.read(ChildRecord, "intake", "GET", f"/children/{child_id}"))
    rows = await trail_of(api, user, child_id, export=False)
    return render(request, "child_who_saw.html", child_id=str(child_id), rows=children.looks(rows),
                  recorded=len(rows), child=record["child"] if record else None)


@router.get("/children/{child_id}/who-saw.csv")
async def who_saw_csv(request: Request, child_id: uuid.UUID, user: User = AuditReader) -> Response:
    rows = await trail_of(client(request, user), user, child_id, export=True)
    return Response(write_dicts(children.TRAIL_COLUMNS, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="who-saw-{child_id}.csv"'})

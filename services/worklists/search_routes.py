"""Find a child over HTTP, for a service's workers: `GET /worklists/{service}/search?q=`, only the service's own
workers, only its own requests, never one held for MASH. Audited: every child shown and the kind of query, never
the query."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from schemas.views.search import Found
from services.common import answers
from services.common import search as core
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.worklists.routes import ServicePath, Worker
from services.worklists.search import search_requests

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)


@router.get("/worklists/{service_name}/search", response_model=Found, response_model_exclude_unset=True,
            responses=answers.of(422))
async def get_search(request: Request, service_name: ServicePath, by: Worker,
                     q: Annotated[core.QueryText, Query(description="A name, date of birth, NHS number, postcode, "
                                                                    "postcode district or reference")],
                     ) -> dict[str, Any]:
    """The children of this service's own requests (none held for MASH) whose details answer `q`, best first."""
    query = core.parse(q)
    return await in_transaction(request, lambda s: search_requests(s, service_name.value, query), by=by,
                                action=core.action_of(query, "worklist.search"),
                                about=lambda found: Subject(child_ids=core.child_ids(found)))

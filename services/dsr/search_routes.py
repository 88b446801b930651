"""Find a person on the register over HTTP: `GET /dsr/search?q=`, the DSR panel only. Audited: every person shown
and the kind of query, never the query."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from schemas.views.search import Found
from services.common import answers
from services.common import search as core
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.dsr.routes import Panel
from services.dsr.search import search_register

router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)


@router.get("/dsr/search", response_model=Found, response_model_exclude_unset=True, responses=answers.of(422))
async def get_search(request: Request, by: Panel,
                     q: Annotated[core.QueryText, Query(description="A name, date of birth, NHS number or reference")],
                     ) -> dict[str, Any]:
    """The people on the register (any age; not those whose consent was withdrawn) who answer `q`, best first."""
    query = core.parse(q)
    return await in_transaction(request, lambda s: search_register(s, query), by=by,
                                action=core.action_of(query, "dsr.search"),
                                about=lambda found: Subject(child_ids=core.child_ids(found)))

"""Find a child over HTTP: the front door, MASH (the safeguarding workers) and the DSR panel search every child
intake knows. The audit row names every child a search showed and the kind of query (`search.name`,
`search.date_of_birth`...), never the query itself: the audit has no place for what a person typed, and the query
is personal data (it is not logged either: the request line is logged by its route, without its query string)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from schemas.views.search import Found
from services.common import answers
from services.common import search as core
from services.common.auth import Principal, require
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.search import views

router = APIRouter(prefix="/children", tags=["children"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
Searcher = Annotated[Principal, Depends(require("front_door", "worker:safeguarding", "dsr_panel"))]


@router.get("/search", response_model=Found, response_model_exclude_unset=True, responses=answers.of(422))
async def get_search(request: Request, by: Searcher,
                     q: Annotated[core.QueryText, Query(description="A name, date of birth, NHS number, UPN, postcode, "
                                                           "postcode district or reference")]) -> dict[str, Any]:
    """The children whose name (fuzzily), date of birth (day and month swapped too), NHS number, UPN, postcode
    district or referral reference answer `q`, best first, as their latest referral shows them."""
    query = core.parse(q)
    return await in_transaction(request, lambda s: views.search_children(s, query), by=by, action=core.action_of(query),
                                about=lambda found: Subject(child_ids=core.child_ids(found)))

"""Find a child over HTTP: the front door, MASH (the safeguarding workers) and the DSR panel search every child
intake knows. The audit row names every child a search showed and the kind of query (`search.name`,
`search.date_of_birth`...), never the query itself: the audit has no place for what a person typed, and the query
is personal data (it is not logged either: the request line is logged by its route, without its query string)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StringConstraints

from schemas.views.search import Found
from services.common import answers
from services.common import search as core
from services.common.auth import Principal, require
from services.common.transactions import AuditedRoute, Subject, in_transaction
from services.intake.search import views

router = APIRouter(prefix="/children", tags=["children"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
Searcher = Annotated[Principal, Depends(require("front_door", "worker:safeguarding", "dsr_panel"))]
Typed = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def action_of(query: core.Query) -> str:
    """The audit's action for a search: what kind of query it was ("search.date_of_birth+reference")."""
    return "search." + ("+".join(query.kinds) or "nothing")


def children_shown(found: dict[str, Any]) -> Subject:
    return Subject(child_ids=tuple(uuid.UUID(str(r["child_id"])) for r in found["results"]))


@router.get("/search", response_model=Found, response_model_exclude_unset=True, responses=answers.of(422))
async def get_search(request: Request, by: Searcher,
                     q: Annotated[Typed, Query(description="A name, date of birth, NHS number, UPN, postcode, "
                                                           "postcode district or reference")]) -> dict[str, Any]:
    """The children whose name (fuzzily), date of birth (day and month swapped too), NHS number, UPN, postcode
    district or referral reference answer `q`, best first, as their latest referral shows them."""
    query = core.parse(q)
    return await in_transaction(request, lambda s: views.search_children(s, query), by=by, action=action_of(query),
                                about=children_shown)

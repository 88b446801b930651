"""The error answers the APIs document, written once: the body every refusal carries (`Problem`: a title and,
for a 422, every problem by field, never quoting the input) and the OpenAPI `responses=` entries for each
status, for routers and routes to list what they can answer.

    router = APIRouter(route_class=AuditedRoute, responses=answers.SIGNED_IN)   # 401, 403, 429 on every route
    @router.post("/things/{thing_id}/close", responses=answers.of(404, 409, 413, 422))

What each status means here: 401 no bearer token or one that is not valid (with `WWW-Authenticate: Bearer`);
403 a valid token whose role cannot use the route; 404 the id in the path names nothing (or nothing the caller
may see); 409 the record is not in a state that allows this; 413 the body is larger than the limit (256 KiB,
10 MiB for a bulk import); 422 the path, query or body does not validate (or JSON nested too deep, not UTF-8);
429 too many failed authentications from the caller's address (with `Retry-After`); 503 a dependency (the
message broker) did not answer."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from pydantic import BaseModel, Field


class FieldProblem(BaseModel):
    field: str = Field(description="where: a dotted path into the body, a parameter's name, or (body)")
    problem: str = Field(description="what is wrong, in words (never the value sent)")
    type: str | None = Field(None, description="the validation error's type (pydantic's, e.g. missing, "
                                               "string_too_short), for a program to choose its own words")
    ctx: dict[str, Any] | None = Field(None, description="what the type's words need: its limits (min_length, "
                                                         "max_length, ge, le...)")


class Problem(BaseModel):
    """The body of every refusal (4xx) and error (5xx)."""

    title: str = Field(description="what went wrong, in a sentence a person can read")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="every problem by field (422); absent on other refusals")


DESCRIPTIONS = {
    401: "No bearer token, or one that is not valid (expired, wrong issuer or audience, bad signature)",
    403: "The token's role cannot use this",
    404: "Nothing with that id (or nothing the caller may see)",
    409: "The record is not in a state that allows this",
    413: "The body is larger than the limit",
    422: "The request has problems: each one by field",
    429: "Too many failed authentications from this address; try again after Retry-After seconds",
    503: "A service this depends on (the message broker) did not answer; nothing was done",
}
PROBLEM_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}},
}


def answer(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented answer: its description, the Problem body (429 also as plain text, for a browser)
    and its headers."""
    documented: dict[str, Any] = {"model": Problem, "description": description or DESCRIPTIONS[status]}
    if status == 429:
        documented["content"] = {"text/plain": {"schema": {"type": "string"}}}
    if status in HEADERS:
        documented["headers"] = deepcopy(HEADERS[status])
    return documented


def of(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these statuses; `descriptions` (e.g. `d409="..."`) says more for one route."""
    return {s: answer(s, descriptions.get(f"d{s}")) for s in statuses}


SIGNED_IN = of(401, 403, 429)  # every API route: a token is checked, then its role

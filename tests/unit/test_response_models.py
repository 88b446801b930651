"""A typed read side (issue 21, item 4): every route that answers JSON declares what it answers as Pydantic
models (`response_model`), so the OpenAPI documents show them and the portal's stand-ins can be built from them.
The walk builds each app and lists the routes that answer JSON with no model: none for the worklists, the
register or intake (INTAKE_NOT_YET_TYPED is empty, and the list cannot go stale)."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin

import pytest
from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.responses import Response

from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app

APPS: dict[str, Callable[..., FastAPI]] = {"intake": intake_app, "dsr": dsr_app, "worklists": worklists_app}
# Intake's routes that answer JSON without a model ("METHOD /path"): none since every one was typed (issue 21,
# item 4). A route typed since it was listed fails test_the_intake_allow_list_holds_only_untyped_routes.
INTAKE_NOT_YET_TYPED: set[str] = set()


def routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of the app, those of included routers too."""
    return [c.original_route for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def label(route: APIRoute) -> str:
    path = route.path_format  # /advice/{advice_id:uuid} is documented as /advice/{advice_id}
    return " ".join(f"{method} {path}" for method in sorted(route.methods))


def answers_json(route: APIRoute) -> bool:
    """False for a route that answers 204, whose response class is not JSON (CSV and files), or whose function
    returns a response that is not JSON (the health probes' text, the metrics)."""
    if route.status_code == 204:
        return False
    response_class = route.response_class
    if isinstance(response_class, DefaultPlaceholder):
        response_class = response_class.value
    if not issubclass(response_class, JSONResponse):
        return False
    returned = typing.get_type_hints(route.endpoint).get("return")
    return not (inspect.isclass(returned) and issubclass(returned, Response) and not issubclass(returned, JSONResponse))


def typed(model: Any) -> bool:
    """A Pydantic model, or a list or union of them (`dict[str, Any]`, `Any` and the like are not)."""
    if inspect.isclass(model) and issubclass(model, BaseModel):
        return True
    if get_origin(model) is typing.Annotated:
        return typed(get_args(model)[0])
    if get_origin(model) in (list, Union, types.UnionType):
        return all(typed(a) for a in get_args(model) if a is not type(None))
    return False


def untyped(app: FastAPI) -> set[str]:
    """The routes that answer JSON with no model: "METHOD /path"."""
    return {label(r) for r in routes(app) if answers_json(r) and not typed(r.response_model)}


class Thing(BaseModel):
    name: str


def build(name: str) -> FastAPI:
    return APPS[name](Settings(database_url="sqlite://"))


@pytest.mark.parametrize("name", ["worklists", "dsr", "intake"])
def test_every_json_route_has_a_model(name: str) -> None:
    app = build(name)
    assert untyped(app) == set()
    assert any(answers_json(r) for r in routes(app))  # the walk found the service's routes, not only the probes


@pytest.mark.parametrize("name", ["worklists", "dsr", "intake"])
def test_the_openapi_documents_show_the_models(name: str) -> None:
    """Every success answered as JSON is documented with its model (a $ref to a component, or a list or union
    of them), not an empty schema; a 200 beside a 201 (a direct addition's note) too. A 204 has no body."""
    doc = build(name).openapi()
    shapeless = [f"{method.upper()} {path}: {status}"
                 for path, item in doc["paths"].items() for method, op in item.items()
                 for status, answer in op.get("responses", {}).items() if status.startswith("2") and status != "204"
                 for kind, content in (answer.get("content") or {"application/json": {}}).items()
                 if kind == "application/json" and "$ref" not in str(content.get("schema", {}))]
    assert shapeless == []


def test_intake_has_no_untyped_route_beyond_its_allow_list() -> None:
    assert untyped(build("intake")) <= INTAKE_NOT_YET_TYPED


def test_the_intake_allow_list_holds_only_untyped_routes() -> None:
    """A route typed (or gone) since must leave INTAKE_NOT_YET_TYPED."""
    assert INTAKE_NOT_YET_TYPED - untyped(build("intake")) == set()


def test_an_untyped_route_is_caught() -> None:
    """The walk is not tied to today's routes: a new route answering a dict, or a JSONResponse, is listed; one
    answering a model, a list of models, CSV, text or 204 is not."""
    app = build("worklists")
    before = untyped(app)

    @app.get("/things/{thing_id}")
    async def one(thing_id: str) -> dict[str, Any]:
        return {"name": thing_id}

    @app.post("/things")
    async def add() -> JSONResponse:
        return JSONResponse({"name": "x"})

    @app.get("/things", response_model=list[Thing])
    async def every() -> list[dict[str, Any]]:
        return []

    @app.get("/thing")
    async def thing() -> Thing | None:
        return None

    @app.get("/things.csv", response_class=Response)
    async def csv() -> Response:
        return Response("a,b", media_type="text/csv")

    @app.delete("/things/{thing_id}", status_code=204)
    async def remove(thing_id: str) -> None:
        return None

    assert untyped(app) - before == {"GET /things/{thing_id}", "POST /things"}

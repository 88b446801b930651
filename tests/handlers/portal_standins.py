"""The services as the portal's new pages reach them (issue 14), stood in for: canned answers by method and path,
every call remembered with its JSON body, so a test shows what a page sent and how it shows each answer. A canned
success of the register (DSR), the worklists or intake is built from the model its route answers (schemas.views): one
that does not fit fails the test, so a change of a view's shape fails the portal's tests (issue 21, item 4). The
portal reads those answers through the same models (`Client.read`): a stand-in checks that the page read the route
with the route's own model, and that it read a typed route's GET through its model at all."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine

from schemas.enums import Service
from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.portal.backend import Client
from services.portal.main import create_app
from services.worklists.main import create_app as worklists_app

BASE = "http://portal.test"


@cache
def typed_routes() -> tuple[APIRoute, ...]:
    """The register's, the worklists' and intake's routes that answer a model."""
    settings = Settings(database_url="sqlite://")
    return tuple(c.original_route for app in (dsr_app(settings), worklists_app(settings), intake_app(settings))
                 for c in iter_route_contexts(app.routes)
                 if isinstance(c.original_route, APIRoute) and c.original_route.response_model is not None)


def route_of(method: str, path: str) -> APIRoute | None:
    """The typed route that answers `method path` (None when no service's route declares a model for it)."""
    return next((r for r in typed_routes() if method in (r.methods or ()) and r.path_regex.match(path)), None)


def as_the_service_answers(method: str, path: str, body: Any) -> Any:
    """`body` built from the model the service's route answers, as that route serialises it (unchanged for a
    path neither service has); raises AssertionError naming the route when it does not fit the model."""
    route = route_of(method, path)
    if route is None:
        return body
    model = TypeAdapter(route.response_model)
    try:
        answer = model.validate_python(body)
    except ValidationError as exc:
        raise AssertionError(f"the stand-in for {method} {path} is not what {route.path} answers:\n{exc}") from None
    return model.dump_python(answer, mode="json", by_alias=True, exclude_unset=route.response_model_exclude_unset)


READ_AS: ContextVar[Any] = ContextVar("READ_AS", default=None)  # the model of the portal's call in progress


def reads_as(route: APIRoute | None, method: str, path: str, *, csv: bool = False) -> None:
    """The portal read `method path` with the model its route answers (AssertionError otherwise): through
    `Client.read` with that very model, or (an answer it does not read, a POST's, or CSV) with none."""
    shape = READ_AS.get()
    if route is None or csv:
        assert shape is None, f"the portal reads {method} {path} as {shape}, but no typed route answers it"
    elif shape is not None:
        assert shape == route.response_model, (f"the portal reads {method} {path} as {shape}; "
                                               f"{route.path} answers {route.response_model}")
    else:
        assert method != "GET", f"the portal reads GET {path} unchecked; {route.path} answers {route.response_model}"


NO_COUNTS = dict.fromkeys(("emergency", "manual_review", "out_of_scope", "needs_information", "possible_duplicate",
                           "dead_letter", "advice"), 0)  # the front door's queue's counts, none of each reason
EMPTY_QUEUE = {"items": [], "counts": NO_COUNTS, "total": 0, "notes": []}
NO_REQUESTS = {"received_within_days": 90, "counts": dict.fromkeys(
    ("open", "completed", "declined", "redirected", "withdrawn"), 0)}  # a worklist's counts, none of each state


# What a route answers when a test did not say, by the route's path: nobody holds the item (a page of a referral or a
# request reads who holds it beside it); any other route answers an empty list where it answers a list.
NOBODY_HOLDS = {"team": "front_door", "holder": None, "history": [], "colleagues": []}
UNSET_ANSWERS = {"/front-door/referrals/{referral_id}/assignment": NOBODY_HOLDS,
                 "/worklists/{service_name}/requests/{request_id}/assignment": NOBODY_HOLDS | {"team": "semh"}}


class CsvText(str):
    """A stand-in's answer sent as text/csv (a file a service offers), not as JSON."""


class StandIn:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        self.on("GET", "/front-door/queue", 200, EMPTY_QUEUE)  # the front door's home page
        for service in Service:  # a worklist's counts per state, beside its filter: none of each
            self.on("GET", f"/worklists/{service.value}/counts", 200, NO_REQUESTS)
        self.calls: list[tuple[str, str, Any, dict[str, str]]] = []

    def on(self, method: str, path: str, status: int, body: Any) -> None:
        """Answer `method path` with `status` and `body` (a success of a typed route: checked
        against its route's model and serialised as the route would)."""
        self.answers[(method, path)] = (status, as_the_service_answers(method, path, body) if status < 300 else body)

    def answer_as_is(self, method: str, path: str, status: int, body: Any) -> None:
        """Answer `method path` with `body` unchecked: only for a test of an answer the portal does not understand."""
        self.answers[(method, path)] = (status, body)

    def sent(self, method: str, path: str) -> list[Any]:
        """The bodies of the calls made to `method path`, in order (JSON read, any other as bytes)."""
        return [body for m, p, body, _ in self.calls if (m, p) == (method, path)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        json_body = request.headers.get("content-type", "").startswith("application/json")
        body = (json.loads(request.content) if json_body else request.content) if request.content else None
        self.calls.append((request.method, request.url.path, body, dict(request.url.params)))
        reads_as(route_of(request.method, request.url.path), request.method, request.url.path,
                 csv=request.url.params.get("format") == "csv")
        status, answer = self.answers.get((request.method, request.url.path), (200, None))
        if status == 204:  # no content: what a check that finds nothing answers
            return httpx.Response(204)
        if isinstance(answer, CsvText):
            return httpx.Response(status, text=answer, headers={"content-type": "text/csv; charset=utf-8"})
        if answer is None:  # not set: nobody holds it (UNSET_ANSWERS), or an empty list where the route answers a list
            route = route_of(request.method, request.url.path)
            unset = UNSET_ANSWERS.get(route.path) if route is not None else None
            body = [] if unset is None else unset | {"item_id": request.url.path.split("/")[-2]}
            answer = as_the_service_answers(request.method, request.url.path, body)
        return httpx.Response(status, json=answer)


@contextmanager
def told_which_model() -> Iterator[None]:
    """While it lasts, the portal's `Client.read` tells the stand-ins which model each call is read with."""
    read = Client.read

    async def reading(client: Client, shape: Any, *args: Any, **kwargs: Any) -> Any:
        told = READ_AS.set(shape)
        try:
            return await read(client, shape, *args, **kwargs)
        finally:
            READ_AS.reset(told)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "read", reading)
        yield


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with told_which_model():
        yield StandIn()


@pytest.fixture
async def portal(engine: Engine, standin: StandIn) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(standin.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def post_forms(html: str) -> list[str]:
    return re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.DOTALL | re.IGNORECASE)


async def page(client: httpx.AsyncClient, path: str) -> tuple[str, str]:
    """A page and the session's token, checking that every form on it that posts carries that token."""
    response = await client.get(path)
    assert response.status_code == 200, path
    forms = post_forms(response.text)
    assert forms, f"{path} has no form that posts"
    tokens = {re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', f).group(1)  # type: ignore[union-attr]
              for f in forms if 'name="csrf_token"' in f}
    assert len(tokens) == 1 and all('name="csrf_token"' in f for f in forms), path
    return response.text, tokens.pop()


def problems(*fields: str) -> dict[str, Any]:
    """A service's 422: one problem for each field, each missing (the page shows schemas.messages' sentence for it,
    never the service's `problem`)."""
    return {"title": "The form has problems",
            "errors": [{"field": f, "problem": f"{f} is wrong", "type": "missing"} for f in fields]}


async def sign_in(client: httpx.AsyncClient, user: str) -> None:
    """Signs in as `user` without opening their home page (whose services are not stood in for here)."""
    _, token = await page(client, "/sign-in")
    assert (await client.post("/sign-in", data={"user": user, "csrf_token": token})).status_code == 303


async def assert_refused(portal: httpx.AsyncClient, standin: StandIn, user: str, path: str) -> None:
    """`user`'s role may not see `path`: the 403 page, and no service is asked anything."""
    await sign_in(portal, user)
    refused = await portal.get(path)
    assert refused.status_code == 403 and "You cannot see this page" in refused.text
    assert standin.calls == []

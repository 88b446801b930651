"""The HTTP contract of intake, the register (dsr) and the worklists, as their OpenAPI documents state it
(issue 13, "The HTTP contract"): every operation lists the refusals it can give, with one error body; CSV is
documented as CSV; OPTIONS answers 204 with an Allow header that lists the path's methods, and a method a
path does not have is 405 with the same Allow; a 422's title fits the API. In-process, on migrated SQLite."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from sqlalchemy import Engine

from services.common.answers import Problem
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app

APPS: dict[str, Callable[..., FastAPI]] = {"intake": intake_app, "dsr": dsr_app, "worklists": worklists_app}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM = {"$ref": "#/components/schemas/Problem"}
# The operations that can meet a record in a state that does not allow them (a ConflictError in their use case).
CONFLICTS = {
    "intake": {"POST /referrals", "PATCH /referrals/{referral_id}", "POST /imports",
               "POST /front-door/referrals/{referral_id}/decision",
               "POST /front-door/referrals/{referral_id}/emergency-contact",
               "POST /front-door/referrals/{referral_id}/chase", "POST /front-door/duplicates/merge",
               "POST /front-door/duplicates/merges/{merge_id}/undo", "POST /front-door/duplicates/different",
               "POST /advice/{advice_id}/answer",
               # issue 23: someone else holds it; a note's key with other words; discarded already
               "POST /front-door/referrals/{referral_id}/assignment", "POST /front-door/handover",
               "POST /front-door/referrals/{referral_id}/notes", "POST /front-door/dead-letters/discard",
               "POST /front-door/dead-letters/replay"},
    "dsr": {"POST /dsr/entries/{entry_id}/reviews", "POST /dsr/entries/{entry_id}/consent",
            "POST /dsr/entries/{entry_id}/consent/withdraw", "POST /dsr/entries/{entry_id}/close",
            "POST /dsr/entries/{entry_id}/notes"},
    "worklists": {f"POST /worklists/{{service_name}}/requests/{{request_id}}/{action}"
                  for action in ("accept", "decline", "redirect", "complete")}
    | {"POST /worklists/safeguarding/referrals/{referral_id}/held", "POST /worklists/{service_name}/handover",
       "POST /worklists/{service_name}/requests/{request_id}/assignment",
       # a note's key with other words; a request still held for MASH has no notes to read or add
       "POST /worklists/{service_name}/requests/{request_id}/notes",
       "GET /worklists/{service_name}/requests/{request_id}/notes"},
}
# Path ids that are not looked up, so never 404, with why.
NOT_LOOKED_UP = {
    "GET /worklists/safeguarding/referrals/{referral_id}/held": "a referral with nothing held shows an empty list",
    "GET /children/{child_id}/who-saw": "a child nobody saw has an empty trail (each service answers its part)",
    "GET /dsr/children/{child_id}/entries": "a child not on the register has no entries",
    "GET /children/{child_id}/notes": "a child with no notes has an empty list (each service answers its part)",
    "GET /worklists/{service_name}/children/{child_id}/notes": "none of the service's notes: an empty list",
    "GET /dsr/children/{child_id}/notes": "a child with no entry notes: an empty list",
}


def document(name: str) -> dict[str, Any]:
    """The service's OpenAPI document, a copy of its own for each test (built once per service: building one is
    ~0.3 s, and the document depends on the code only)."""
    return copy.deepcopy(built_document(name))


@cache
def built_document(name: str) -> dict[str, Any]:
    return APPS[name](Settings(database_url="sqlite://")).openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS]


def undocumented(doc: dict[str, Any]) -> list[str]:
    """What each operation can answer but does not list, as "METHOD /path: status (why)"."""
    gaps = []
    for label, op in operations(doc):
        params = op.get("parameters", [])
        expected = {}
        if op.get("security"):
            expected |= {"401": "a token is checked", "403": "a role is checked", "429": "failed-auth limit"}
        if any(p["in"] == "path" and p["schema"].get("format") == "uuid" for p in params) and (
                label not in NOT_LOOKED_UP):
            expected["404"] = "a path id is looked up"
        if "requestBody" in op:
            expected |= {"413": "a body is taken", "422": "a body is validated"}
        if params:
            expected["422"] = "parameters are validated"
        gaps += [f"{label}: {status} ({why})" for status, why in expected.items() if status not in op["responses"]]
    return gaps


@pytest.mark.parametrize("name", APPS)
def test_every_operation_documents_the_refusals_it_can_give(name: str) -> None:
    """The reproduction: no operation listed 401, 403, 404, 409 or 413, and every 422 was FastAPI's
    HTTPValidationError ({"detail": [...]}), not the body the APIs send."""
    doc = document(name)
    assert undocumented(doc) == []
    conflicts = {label for label, op in operations(doc) if "409" in op["responses"]}
    assert conflicts == CONFLICTS[name]
    for label, op in operations(doc):
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                assert answer["content"]["application/json"]["schema"] == PROBLEM, (label, status)
        if "401" in op["responses"]:
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"], label
            assert "Retry-After" in op["responses"]["429"]["headers"], label
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_a_new_route_without_its_refusals_is_caught() -> None:
    """The walk fails a route added without `responses=`: it is not tied to today's routes."""
    app = dsr_app(Settings(database_url="sqlite://"))

    @app.post("/dsr/entries/{entry_id}/archive")
    async def archive(entry_id: uuid.UUID, body: dict[str, str]) -> None:
        return None

    assert undocumented(app.openapi()) == [
        "POST /dsr/entries/{entry_id}/archive: 404 (a path id is looked up)",
        "POST /dsr/entries/{entry_id}/archive: 413 (a body is taken)",
    ]  # 422 is FastAPI's own default there, and no token is checked


def test_csv_answers_are_documented_as_csv() -> None:
    """The reproduction: /dsr/export.csv was documented as application/json."""
    export = document("dsr")["paths"]["/dsr/export.csv"]["get"]["responses"]["200"]
    assert set(export["content"]) == {"text/csv"}
    report = document("intake")["paths"]["/reports/{name}"]["get"]["responses"]["200"]
    assert set(report["content"]) == {"application/json", "text/csv"}  # format=json or format=csv


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


def concrete(path: str, op: dict[str, Any]) -> str:
    """The path with each parameter filled in with a value its schema allows."""
    for param in op.get("parameters", []):
        if param["in"] == "path":
            schema = param["schema"]
            value = schema["enum"][0] if "enum" in schema else str(uuid.uuid4())
            path = path.replace("{" + param["name"] + "}", str(value))
    return path


@pytest.mark.parametrize("name", APPS)
async def test_options_lists_every_method_of_the_path(name: str, engine: Engine) -> None:
    """The reproduction: OPTIONS answered 405 with `Allow` naming one route's method only (`/referrals`:
    `Allow: GET`, though it takes POST too). Every path of each document, no token needed."""
    app = APPS[name](Settings(database_url=str(engine.url)), engine=engine)
    async with client(app) as api:
        for path, item in app.openapi()["paths"].items():
            documented = {m.upper() for m in item if m in METHODS}
            answer = await api.options(concrete(path, next(iter(item.values()))))
            assert answer.status_code == 204, path
            assert set(answer.headers["allow"].split(", ")) == documented | {"OPTIONS"}, path
            assert answer.content == b""


async def test_a_method_a_path_does_not_have_is_405_with_the_paths_methods(engine: Engine) -> None:
    app = intake_app(Settings(database_url=str(engine.url)), engine=engine)
    async with client(app) as api:
        answers = [await api.delete("/referrals"), await api.put(f"/referrals/{uuid.uuid4()}")]
        missing = await api.options("/no-such-path")
    assert [a.status_code for a in answers] == [405, 405]
    assert [a.headers["allow"] for a in answers] == ["GET, OPTIONS, POST", "GET, OPTIONS, PATCH"]
    assert Problem.model_validate(answers[0].json()).title == "This address does not take DELETE"
    assert missing.status_code == 404
    assert answers[0].headers["x-content-type-options"] == "nosniff"  # the guards' headers still apply


def bearer(settings: Settings, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject='tester', roles=list(roles))}"}


TITLES = [  # app, role, path, body, title
    ("dsr", "dsr_panel", "/dsr/entries/{id}/close", {"reason": "bored"}, "The request has problems"),
    ("worklists", "worker:salt", "/worklists/salt/requests/{id}/decline", {"reason": "no"}, "The request has problems"),
    ("intake", "front_door", "/front-door/duplicates/merge", {"reason": "same"}, "The request has problems"),
    ("intake", "referrer", "/referrals", {"child": {}}, "The referral has problems"),
]


@pytest.mark.parametrize(("name", "role", "path", "body", "title"), TITLES)
async def test_a_422_title_fits_what_was_sent(name: str, role: str, path: str, body: dict[str, Any], title: str,
                                              engine: Engine) -> None:
    """The reproduction: the register's and the worklists' 422s said "The referral has problems"."""
    settings = Settings(database_url=str(engine.url))
    async with client(APPS[name](settings, engine=engine)) as api:
        answer = await api.post(path.format(id=uuid.uuid4()), json=body, headers=bearer(settings, role))
    assert answer.status_code == 422
    problem = Problem.model_validate(answer.json())
    assert problem.title == title
    assert problem.errors


@pytest.mark.parametrize(("body", "problem"), [(b'\xff\xfe"x"', "send JSON encoded as UTF-8"),
                                              (b'{"reason": ', "the body is not JSON")])
async def test_a_body_that_is_not_json_is_a_422_naming_the_problem(body: bytes, problem: str, engine: Engine) -> None:
    """Found by Schemathesis: FastAPI answered a JSON body not in UTF-8 with 400 ("There was an error parsing the
    body"), a status no operation documents (every other body problem is a 422); and JSON that does not parse was
    a 422 naming a character offset as its field."""
    settings = Settings(database_url=str(engine.url))
    async with client(dsr_app(settings, engine=engine)) as api:
        answer = await api.post(f"/dsr/entries/{uuid.uuid4()}/close", content=body,
                                headers=bearer(settings, "dsr_panel") | {"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json() == {"title": "The request has problems", "errors": [{"field": "(body)", "problem": problem}]}


async def test_an_import_with_no_file_is_a_422(engine: Engine) -> None:
    """Found by Schemathesis: an empty body was answered 200 as a file with problems."""
    settings = Settings(database_url=str(engine.url))
    async with client(intake_app(settings, engine=engine)) as api:
        csv = bearer(settings, "admin") | {"Content-Type": "text/csv"}
        answer = await api.post("/imports", content=b"", headers=csv)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "(body)", "problem": "send the CSV file as the body"}]


async def test_a_valid_referral_comes_from_intakes_openapi_document(engine: Engine) -> None:
    """The reproduction: no valid referral could be generated from the document (the postcode had no pattern).
    The document's example is valid by the document's own schema, intake accepts it, and the postcode it
    describes has a pattern (a generator makes postcodes intake takes)."""
    doc = document("intake")
    body = doc["paths"]["/referrals"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["referral"]["value"]
    Draft202012Validator({**body["schema"], "components": doc["components"]}).validate(example)
    assert "pattern" in doc["components"]["schemas"]["Child"]["properties"]["postcode"]
    settings = Settings(database_url=str(engine.url))
    async with client(intake_app(settings, engine=engine)) as api:
        answer = await api.post("/referrals", json=example, headers=bearer(settings, "referrer"))
    assert answer.status_code == 201


TRIMMED_TEXT = [  # app, component, property: form text trimmed before its length is checked
    ("dsr", "ActionForm", "what"), ("dsr", "ReviewForm", "rationale"), ("dsr", "Attendee", "name"),
    ("worklists", "DeclineForm", "signpost"), ("worklists", "DeclineForm", "reason"),
    ("intake", "ContactForm", "contacted"),
]


@pytest.mark.parametrize(("name", "component", "prop"), TRIMMED_TEXT)
def test_form_text_is_counted_after_trimming_in_the_schema_too(name: str, component: str, prop: str) -> None:
    """Found by Schemathesis: "   a  " met the schema's minLength, and the API, which trims it first, refused it.
    The schema's pattern now counts what is left after trimming, as the API does."""
    doc = document(name)
    field = doc["components"]["schemas"][component]["properties"][prop]
    field = next(s for s in field.get("anyOf", [field]) if s.get("type") == "string")
    minimum = field["minLength"]
    validator = Draft202012Validator(field)
    assert not validator.is_valid("\u3000" * minimum + "a" * (minimum - 1) + "  ")
    assert validator.is_valid(" " + "a" * minimum + "\n")

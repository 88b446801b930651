"""The HTTP contract of intake, the register (dsr) and the worklists, as their OpenAPI documents state it
(issue 13, "The HTTP contract"): every operation lists the refusals it can give, with one error body; CSV is
documented as CSV; OPTIONS answers 204 with an Allow header that lists the path's methods, and a method a
path does not have is 405 with the same Allow; a 422's title fits the API; every success answer has a schema a
generated client can use, for each status the route really answers, and the JSON sent fits it (issue 24, item 5).
In-process, on migrated SQLite."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from jsonschema import Draft202012Validator
from sqlalchemy import Engine
from sqlmodel import Session

from schemas import ServiceRequestCreated
from services.common.answers import Problem
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.dsr.main import create_app as dsr_app
from services.intake.main import create_app as intake_app
from services.worklists.handlers import receive
from services.worklists.main import create_app as worklists_app
from tests.factories import referral_body
from tests.handlers.conftest import NOW

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


# Success answers (issue 24, item 5): every 2xx a route gives is documented with a schema a generated client can use,
# and the JSON it sends fits that schema.

# The operations with two success answers: something new (201), and the same thing sent again (200: the
# client_reference of a referral, the person of a register addition, a note form's key), answering what was made.
SENT_AGAIN = {
    "intake": {"POST /referrals", "POST /front-door/referrals/{referral_id}/notes"},
    "dsr": {"POST /dsr/entries", "POST /dsr/entries/{entry_id}/notes"},
    "worklists": {"POST /worklists/{service_name}/requests/{request_id}/notes"},
}
BODILESS = {"204", "304"}
METADATA = {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}


def resolved(schema: dict[str, Any], doc: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The schema a `$ref` to a component names (and the component's name), or the schema itself."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema, None
    name = ref.removeprefix("#/components/schemas/")
    return doc["components"]["schemas"][name], name


def vague(schema: Any, doc: dict[str, Any], seen: frozenset[str] = frozenset()) -> list[str]:
    """Where a success answer's schema leaves a client to guess: no schema, an empty one (anything), an anyOf or
    oneOf with no member that says something, an object without properties (or of anything), an array of anything.
    Walks the components it refers to, each once on a path."""
    if not isinstance(schema, dict):
        return ["no schema"]
    schema, name = resolved(schema, doc)
    if name in seen:
        return []
    seen |= {name} if name else set()
    if set(schema) <= METADATA:
        return ["an empty schema (anything)"]
    found = []
    for union in ("anyOf", "oneOf"):
        if union in schema:
            members = schema[union]
            if not any(resolved(m, doc)[0] != {"type": "null"} and not set(m) <= METADATA for m in members):
                found.append(f"an {union} of nothing useful")
            found += [why for member in members for why in vague(member, doc, seen)]
    for member in schema.get("allOf", []):
        found += vague(member, doc, seen)
    if schema.get("type") == "object" or "properties" in schema:
        extra = schema.get("additionalProperties", True)
        if not schema.get("properties") and not (isinstance(extra, dict) and extra):
            found.append(f"an object without properties{f' ({name})' if name else ''}")
        found += [why for prop in schema.get("properties", {}).values() for why in vague(prop, doc, seen)]
        if isinstance(extra, dict):
            found += vague(extra, doc, seen)
    if schema.get("type") == "array":
        found += vague(schema.get("items"), doc, seen) if "items" in schema else ["an array of anything"]
    return found


def untyped(doc: dict[str, Any]) -> list[str]:
    """Each success answer a generated client would have to guess, as "METHOD /path status [media]: why"."""
    gaps = []
    for label, op in operations(doc):
        for status, answer in op["responses"].items():
            if not status.startswith("2"):
                continue
            content = answer.get("content", {})
            if status in BODILESS:
                gaps += [f"{label} {status}: a body on a status that has none"] if content else []
            elif not content:
                gaps.append(f"{label} {status}: no content")
            else:
                gaps += [f"{label} {status} {media}: {why}" for media, typed in content.items()
                         for why in sorted(set(vague(typed.get("schema"), doc)))]
    return gaps


@pytest.mark.parametrize("name", APPS)
def test_every_success_answer_has_a_schema_a_client_can_use(name: str) -> None:
    """The reproduction (issue 24, item 5): a repeated POST /referrals answered 200 with JSON the document did not
    declare, and only 5 of 50 success answers had a schema, so a generated client had to guess `referral_id`."""
    doc = document(name)
    assert untyped(doc) == []
    for label, op in operations(doc):  # a CSV download is text, never a JSON schema under a CSV name
        for status, answer in op["responses"].items():
            csv = answer.get("content", {}).get("text/csv")
            assert csv is None or csv["schema"] == {"type": "string"}, (label, status)


def test_an_untyped_success_answer_is_caught() -> None:
    """The walk fails the ways a route leaves its answer untyped: no response_model (FastAPI documents `{}`), a
    dict of anything, a list of anything, a 200 documented without content, a union of nothing, a 204 with a body."""
    app = dsr_app(Settings(database_url="sqlite://"))

    @app.get("/dsr/untyped")
    async def untyped_route() -> Any:
        return {}

    @app.get("/dsr/free", response_model=dict[str, Any])
    async def free() -> dict[str, Any]:
        return {}

    @app.get("/dsr/many", response_model=list[Any])
    async def many() -> list[Any]:
        return []

    @app.post("/dsr/again", status_code=201, response_model=dict[str, int],
              responses={200: {"description": "sent again"}, 204: {"description": "nothing",
                                                                 "content": {"application/json": {}}}})
    async def again() -> dict[str, int]:
        return {}

    @app.get("/dsr/nothing", response_model=None, responses={200: {"content": {"application/json": {"schema": {
        "anyOf": [{"type": "null"}, {"description": "anything"}]}}}}})
    async def nothing() -> None:
        return None

    assert untyped(app.openapi()) == [
        "GET /dsr/untyped 200 application/json: an empty schema (anything)",
        "GET /dsr/free 200 application/json: an object without properties",
        "GET /dsr/many 200 application/json: an empty schema (anything)",
        "POST /dsr/again 200: no content",  # its 201, a dict of integers, says what it holds: not listed
        "POST /dsr/again 204: a body on a status that has none",
        "GET /dsr/nothing 200 application/json: an anyOf of nothing useful",
        "GET /dsr/nothing 200 application/json: an empty schema (anything)",
    ]


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every documented API route of the app (those of included routers too) as "METHOD /path" (the path as
    documented: with its router's prefix, without a converter such as `:uuid`)."""
    return [(f"{method} {context.path_format}", context.original_route) for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute) and context.original_route.include_in_schema
            for method in sorted(context.methods or ())]


@pytest.mark.parametrize("name", APPS)
def test_each_operation_documents_the_success_statuses_it_answers(name: str) -> None:
    """The route's own status (201 for something made, 202 for a decision sent to triage, 204 for a check, else 200)
    and, where the same thing may be sent again, 200 (SENT_AGAIN: each answered so in the test below). The
    reproduction: a note's form sent again answered 200, which no note's POST documented."""
    app = APPS[name](Settings(database_url="sqlite://"))
    doc = app.openapi()
    documented = {label: {s for s in op["responses"] if s.startswith("2")} for label, op in operations(doc)}
    answered = {label: {str(route.status_code or 200)} | ({"200"} if label in SENT_AGAIN[name] else set())
                for label, route in api_routes(app) if label.split(" ")[0].lower() in METHODS}
    assert SENT_AGAIN[name] <= set(answered)
    assert {label: documented[label] for label in answered} == answered


def conforming(doc: dict[str, Any], label: str, answer: httpx.Response, status: int) -> Any:
    """The answer's JSON, once its status is `status`, documented as a success of `label`, and its body is valid by
    the schema documented for that status and content type (Draft 2020-12, the document's components resolved,
    formats checked)."""
    assert answer.status_code == status, (label, answer.status_code, answer.text)
    method, path = label.split(" ", 1)
    media = answer.headers["content-type"].split(";")[0]
    schema = doc["paths"][path][method.lower()]["responses"][str(status)]["content"][media]["schema"]
    body = answer.json()
    Draft202012Validator({**schema, "components": doc["components"]},
                         format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)
    return body


class Apis:
    """The three APIs in-process on one migrated database, each called as a role, with its own document."""

    def __init__(self, engine: Engine) -> None:
        self.settings = Settings(database_url=str(engine.url))
        self.apps = {name: build(self.settings, engine=engine) for name, build in APPS.items()}
        self.docs = {name: document(name) for name in APPS}

    async def call(self, name: str, label: str, role: str, status: int, *, json: Any = None, subject: str = "tester",
                   **params: Any) -> Any:
        """`label`'s operation called with the path's parameters filled in; the answer's conforming JSON."""
        method, path = label.split(" ", 1)
        token = mint_dev_token(self.settings, subject=subject, roles=[role])
        async with client(self.apps[name]) as api:
            answer = await api.request(method, path.format(**params), json=json,
                                       headers={"Authorization": f"Bearer {token}"})
        return conforming(self.docs[name], label, answer, status)


def submitted_schema() -> dict[str, Any]:
    doc = document("intake")
    return resolved(doc["paths"]["/referrals"]["post"]["responses"]["201"]["content"]["application/json"]["schema"],
                    doc)[0]


async def test_a_referral_sent_twice_answers_201_then_200_each_as_documented(engine: Engine) -> None:
    """The reproduction (issue 24, item 5): POST /referrals repeated with the same client_reference answered 200
    with a body the document did not declare, and the 201's schema was {} (a client had to guess referral_id). Over
    real HTTP (ASGI): both answers are valid by their status's schema, the same referral, with its Location."""
    settings = Settings(database_url=str(engine.url))
    doc = document("intake")
    body = referral_body(client_reference="SENCO-2026-0042")
    async with client(intake_app(settings, engine=engine)) as api:
        first, again = [await api.post("/referrals", json=body, headers=bearer(settings, "referrer")) for _ in range(2)]
    made = conforming(doc, "POST /referrals", first, 201)
    replayed = conforming(doc, "POST /referrals", again, 200)
    assert {"referral_id", "child_id", "status", "links"} <= set(submitted_schema()["required"])
    assert made == replayed and made["referral_id"]
    assert first.headers["location"] == again.headers["location"] == f"/referrals/{made['referral_id']}"


async def test_success_answers_across_the_three_apis_fit_their_schemas(engine: Engine) -> None:
    """The answers Schemathesis seldom reaches (a path id it makes up is a 404): a thing's own page, an action on
    it, and each SENT_AGAIN operation both ways, read from a referral, a register entry and a worklist's request
    made here. Every body is valid by the schema its status documents."""
    apis = Apis(engine)
    made = await apis.call("intake", "POST /referrals", "referrer", 201, json=referral_body())
    referral_id = made["referral_id"]
    assert (await apis.call("intake", "GET /referrals/{referral_id}", "referrer", 200, referral_id=referral_id)
            )["referral_id"] == referral_id
    assert [r["referral_id"] for r in await apis.call("intake", "GET /referrals", "referrer", 200)] == [referral_id]
    await apis.call("intake", "GET /front-door/referrals/{referral_id}", "front_door", 200, referral_id=referral_id)
    form = {"text": "Rang the school.", "key": str(uuid.uuid4())}
    notes = "POST /front-door/referrals/{referral_id}/notes"
    assert await apis.call("intake", notes, "front_door", 201, json=form, referral_id=referral_id) == (
        await apis.call("intake", notes, "front_door", 200, json=form, referral_id=referral_id))

    person = {"nhs_number": "9434765919", "given_name": "Robin", "family_name": "Quayle", "date_of_birth": "1985-01-01",
              "diagnoses": ["autism"], "risks": ["mh_admission_risk"], "has_ehcp": False, "consent": "given",
              "consent_given_by": "The person", "referring_agency": "Adult social care",
              "referrer_contact": "duty.team@example.gov.uk", "reason": "Placement at risk after two crises",
              "current_setting": "community"}
    entry = await apis.call("dsr", "POST /dsr/entries", "dsr_referrer", 201, json=person, subject="asc-1")
    assert entry["outcome"] == "created" and entry["entry_id"]
    assert await apis.call("dsr", "POST /dsr/entries", "dsr_referrer", 200, json=person, subject="cmht-1") == {
        "outcome": "noted"}  # someone else learns only that the person is on the register
    assert (await apis.call("dsr", "POST /dsr/entries", "dsr_panel", 200, json=person))["entry_id"] == entry["entry_id"]
    await apis.call("dsr", "GET /dsr/entries/{entry_id}", "dsr_panel", 200, entry_id=entry["entry_id"])
    await apis.call("dsr", "GET /dsr/entries", "dsr_panel", 200)
    notes = "POST /dsr/entries/{entry_id}/notes"
    assert await apis.call("dsr", notes, "dsr_panel", 201, json=form, entry_id=entry["entry_id"]) == (
        await apis.call("dsr", notes, "dsr_panel", 200, json=form, entry_id=entry["entry_id"]))

    request = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=uuid.UUID(referral_id),
        child_id=uuid.UUID(made["child_id"]), service="salt", pathway="community", priority="routine", due_by=NOW,
        held=False, reasons=[{"rule_id": "route.salt", "because": "speech concern"}],
        details={"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01"})
    with Session(engine) as session:
        assert receive(session, request, NOW)
        session.commit()
    ids = {"service_name": "salt", "request_id": request.service_request_id}
    assert [r["service_request_id"] for r in await apis.call("worklists", "GET /worklists/{service_name}",
                                                             "worker:salt", 200, **ids)] == [str(ids["request_id"])]
    await apis.call("worklists", "GET /worklists/{service_name}/requests/{request_id}", "worker:salt", 200, **ids)
    notes = "POST /worklists/{service_name}/requests/{request_id}/notes"
    assert await apis.call("worklists", notes, "worker:salt", 201, json=form, **ids) == (
        await apis.call("worklists", notes, "worker:salt", 200, json=form, **ids))
    await apis.call("worklists", "POST /worklists/{service_name}/requests/{request_id}/accept", "worker:salt", 200,
                    json={}, **ids)

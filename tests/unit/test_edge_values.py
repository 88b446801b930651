"""The value types at the edges (issue 24, items 3, 4 and 7), walked over every model rather than named one by one.

- Lengths (item 3): a request's text is refused when the string as sent is longer than its schema's `maxLength`,
  white space around it included (the document counts the raw string); the minimum is counted after trimming.
  Every request model's string field with a maximum is given one space and `max` letters (refused, 422 naming the
  field) and `max` letters (accepted).
- Dates (item 4): no date or date-time field takes a number (0, 1.5) or a boolean, in a request (lax, as FastAPI
  reads a body) or in an event (lax, as our code builds one, and strict, as every consumer decodes one); each takes
  a proper string.
- Whole numbers (item 7): JSON Schema's `integer` admits 5.0, so every integer field of every event takes an
  integral float on the strict wire (as 5) and still refuses 5.5, "5" and true.

The request models are found from the three APIs' OpenAPI documents (each JSON body's schema, by its component
name), the event models as the Envelope's subclasses, and every other model in `schemas/` by walking the package.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from copy import deepcopy
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import schemas
from schemas.events import Envelope
from schemas.referral import Referral, ReferralInput, TolerantInput
from services.common.http import invalid
from services.common.settings import Settings

Path = tuple[str | int, ...]


# -- the models ---------------------------------------------------------------------------------------------------

def _subclasses(cls: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@cache
def request_models() -> tuple[type[BaseModel], ...]:
    """Every model an API reads a JSON body with, from the OpenAPI documents of intake, the register and the
    worklists (POST /referrals documents `Referral` and reads it with `ReferralInput`)."""
    from services.dsr.main import create_app as dsr_app
    from services.intake.main import create_app as intake_app
    from services.worklists.main import create_app as worklists_app

    names: set[str] = set()
    for create in (intake_app, dsr_app, worklists_app):
        doc = create(Settings(database_url="sqlite://")).openapi()
        for item in doc["paths"].values():
            for op in item.values():
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}) if isinstance(
                    op, dict) else {}
                ref = body.get("schema", {}).get("$ref")
                if ref:
                    names.add(ref.rsplit("/", 1)[-1])
    by_name: dict[str, type[BaseModel]] = {}
    for cls in _subclasses(BaseModel):
        by_name.setdefault(cls.__name__, cls)
        by_name[f"{cls.__module__.replace('.', '__')}__{cls.__name__}"] = cls
    found = {ReferralInput if by_name[n] is Referral else by_name[n] for n in names}
    assert len(found) >= 15, sorted(names)  # the walk found the forms (a broken walk would pass vacuously)
    return tuple(sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}"))


@cache
def schema_models() -> tuple[type[BaseModel], ...]:
    """Every pydantic model defined in the `schemas` package (events, referral, advice, views ...)."""
    for info in pkgutil.walk_packages(schemas.__path__, "schemas."):
        importlib.import_module(info.name)
    return tuple(sorted({c for c in _subclasses(BaseModel) if c.__module__.startswith("schemas.")},
                        key=lambda c: f"{c.__module__}.{c.__name__}"))


def event_models() -> tuple[type[BaseModel], ...]:
    return tuple(c for c in schema_models() if issubclass(c, Envelope) and "event_type" in c.model_fields)


# -- the fields, from each model's own JSON Schema ----------------------------------------------------------------

def _flat(node: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """A schema node as the concrete nodes it may be ($ref followed, anyOf/oneOf/allOf opened)."""
    if "$ref" in node:
        return _flat(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            return [n for branch in node[key] for n in _flat(branch, defs)]
    return [node]


def leaves(model: type[BaseModel]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every field of `model` (nested models' fields and a list's first item's too) with a concrete schema node."""
    document = model.model_json_schema()
    defs = document.get("$defs", {})

    def walk(node: dict[str, Any], path: Path, seen: frozenset[str]) -> Iterator[tuple[Path, dict[str, Any]]]:
        for concrete in _flat(node, defs):
            for name, inner in concrete.get("properties", {}).items():
                ref = inner.get("$ref")
                if ref in seen:  # a model inside itself: walked once
                    continue
                yield from walk(inner, (*path, name), seen | {ref} if ref else seen)
            if "items" in concrete and isinstance(concrete["items"], dict):
                yield from walk(concrete["items"], (*path, 0), seen)
            if path and "properties" not in concrete and "items" not in concrete:
                yield path, concrete

    yield from walk(document, (), frozenset())


def put(where: Path, value: Any) -> dict[str, Any]:
    """A body with only `value` at `where` (its parents made)."""
    body: dict[str, Any] = {}
    target: Any = body
    for key, after in zip(where, where[1:], strict=False):
        child: Any = [] if isinstance(after, int) else {}
        if isinstance(target, list):
            target.append(child)
        else:
            target[key] = child
        target = child
    if isinstance(target, list):
        target.append(value)
    else:
        target[where[-1]] = value
    return body


def at(loc: tuple[Any, ...], where: Path) -> bool:
    """Whether an error's location is the field at `where` (a union's tag in the location is skipped)."""
    rest = list(loc)
    for key in where:
        while rest and rest[0] != key:
            rest.pop(0)
        if not rest:
            return False
        rest.pop(0)
    return not rest


def errors_at(model: type[BaseModel], where: Path, value: Any, *, strict: bool = False) -> list[dict[str, Any]]:
    body = put(where, value)
    try:
        if strict:
            model.model_validate_json(json.dumps(body), strict=True)
        else:
            model.model_validate(deepcopy(body))
    except ValidationError as exc:
        return [dict(e) for e in exc.errors(include_url=False, include_input=False) if at(e["loc"], where)]
    return []


def cases(models: tuple[type[BaseModel], ...], wanted: Any) -> list[Any]:
    return [pytest.param(m, where, node, id=f"{m.__name__}.{'.'.join(map(str, where))}")
            for m in models for where, node in leaves(m) if wanted(node)]


# -- item 3: the raw string is what is counted ----------------------------------------------------------------------

def longest(node: dict[str, Any]) -> str:
    """A valid value of exactly the field's maxLength (letters, unless the field's pattern wants something else)."""
    n = node["maxLength"]
    pattern = node.get("pattern", "")
    if "@" in pattern:  # an email address: a domain's labels are at most 63 characters
        domain = "b" * (n - 64 - 1 - 4)
        return "a" * 64 + "@" + ".".join(domain[i:i + 60] for i in range(0, len(domain), 61)) + ".org"
    if pattern.startswith(r"^\+?[0-9"):  # a telephone number
        return "0" * n
    return "x" * n


def with_max(node: dict[str, Any]) -> bool:
    return node.get("type") == "string" and "maxLength" in node


@pytest.mark.parametrize(("model", "where", "node"), cases(request_models(), with_max))
def test_text_longer_than_its_maximum_as_sent_is_refused_though_trimming_would_fit_it(
        model: type[BaseModel], where: Path, node: dict[str, Any]) -> None:
    value = longest(node)
    assert errors_at(model, where, value) == [], "the longest value the document allows is accepted"
    refused = errors_at(model, where, " " + value)
    assert [e["type"] for e in refused] == ["string_too_long"], refused
    assert refused[0]["ctx"]["max_length"] == node["maxLength"]
    try:
        model.model_validate(put(where, " " + value))
    except ValidationError as exc:
        answer = json.loads(invalid(exc).body)
    field = ".".join(map(str, where))
    assert {"field": field, "type": "string_too_long"} in [
        {"field": p["field"], "type": p.get("type")} for p in answer["errors"]], answer


def test_the_walk_reaches_the_fields_the_issue_names() -> None:
    reached = {(c.values[0].__name__, ".".join(map(str, c.values[1]))) for c in cases(request_models(), with_max)}
    assert {("AnswerForm", "answer"), ("HeldDecisionForm", "reason"), ("DeclineForm", "reason"),
            ("RedirectForm", "reason"), ("DeclineForm", "signpost"), ("ReferralInput", "reason"),
            ("ReferralInput", "child.given_name"), ("AdviceInput", "question"), ("MergeBody", "reason"),
            ("NoteForm", "text")} <= reached


def test_a_short_answer_is_still_counted_after_trimming() -> None:
    from services.intake.advice.domain import AnswerForm

    refused = errors_at(AnswerForm, ("answer",), "   short    ")
    assert [e["type"] for e in refused] == ["string_too_short"]
    assert AnswerForm.model_validate({"answer": "  ten letters  "}).answer == "ten letters"


# -- item 4: a date is never a number -------------------------------------------------------------------------------

PROPER = {"date": "2020-01-02", "date-time": "2020-01-02T10:00:00Z"}
NOT_DATES = [0, 1.5, True, 86400]


def is_date(node: dict[str, Any]) -> bool:
    return node.get("type") == "string" and node.get("format") in PROPER


@pytest.mark.parametrize(("model", "where", "node"), cases(request_models() + event_models(), is_date))
def test_no_date_field_of_a_request_or_an_event_takes_a_number(
        model: type[BaseModel], where: Path, node: dict[str, Any]) -> None:
    assert errors_at(model, where, PROPER[node["format"]]) == []
    for value in NOT_DATES:
        assert errors_at(model, where, value), f"{value!r} was taken as a date"
        assert errors_at(model, where, value, strict=True), f"{value!r} was taken as a date on the wire"


@pytest.mark.parametrize(("model", "where", "node"), cases(
    tuple(m for m in schema_models() if not issubclass(m, TolerantInput)), is_date))  # tolerant input is never strict
def test_no_date_field_of_any_contract_model_takes_a_number_on_the_wire(
        model: type[BaseModel], where: Path, node: dict[str, Any]) -> None:
    assert errors_at(model, where, PROPER[node["format"]], strict=True) == []
    for value in NOT_DATES:
        assert errors_at(model, where, value, strict=True), f"{value!r} was taken as a date on the wire"


def test_the_review_date_of_the_issue_is_refused_as_a_number_and_as_a_number_written_as_a_string() -> None:
    from services.dsr.routes import ReviewForm

    for value in (0, "0", "1700000000", "2026-03-04T00:00:00"):
        assert [e["type"] for e in errors_at(ReviewForm, ("held_on",), value)] in (["date_type"], ["date_parsing"])
    assert errors_at(ReviewForm, ("held_on",), "2026-03-04") == []


def test_the_date_walk_reaches_the_fields_the_issue_names() -> None:
    reached = {(c.values[0].__name__, ".".join(map(str, c.values[1])))
               for c in cases(request_models() + event_models(), is_date)}
    assert {("ReviewForm", "held_on"), ("ReviewForm", "actions.0.due"), ("ContactForm", "contacted_at"),
            ("ReferralInput", "child.date_of_birth"), ("ReferralSubmitted", "occurred_at"),
            ("DsrChanged", "next_review_due")} <= reached


# -- item 7: an integral float is a whole number on the wire ---------------------------------------------------------

def is_integer(node: dict[str, Any]) -> bool:
    return node.get("type") == "integer"


def a_whole_number(node: dict[str, Any]) -> int:
    return max(node.get("minimum", 1), min(node.get("maximum", 5), 5))


@pytest.mark.parametrize(("model", "where", "node"), cases(event_models(), is_integer))
def test_every_integer_field_of_an_event_takes_an_integral_float_on_the_wire(
        model: type[BaseModel], where: Path, node: dict[str, Any]) -> None:
    n = a_whole_number(node)
    assert errors_at(model, where, float(n), strict=True) == [], f"{float(n)} refused on the wire"
    for value in (n + 0.5, str(n), True):
        assert errors_at(model, where, value, strict=True), f"{value!r} was taken as a whole number on the wire"


def test_the_integer_walk_reaches_the_year_group_and_the_schema_version() -> None:
    reached = {(c.values[0].__name__, ".".join(map(str, c.values[1]))) for c in cases(event_models(), is_integer)}
    assert {("ReferralSubmitted", "referral.child.education_setting.year_group"),
            ("ReferralSubmitted", "schema_version"), ("ServiceRequestCreated", "details.year_group")} <= reached


def test_a_stored_referral_with_year_group_5_0_is_decoded_with_year_group_5() -> None:
    from pathlib import Path as FilePath

    from schemas.events import ReferralSubmitted
    from services.common.consuming import event_adapter

    stored = json.loads((FilePath(__file__).parent / "stored_events" / "referral.submitted.v1.json").read_text())
    stored["referral"]["child"]["education_setting"]["year_group"] = 5.0
    stored["schema_version"] = 1.0
    event = event_adapter(ReferralSubmitted).validate_json(json.dumps(stored))
    setting = event.referral.child.education_setting
    assert setting is not None and setting.year_group == 5 and type(setting.year_group) is int
    assert event.schema_version == 1 and type(event.schema_version) is int
    stored["referral"]["child"]["education_setting"]["year_group"] = 5.5
    with pytest.raises(ValidationError, match="year_group"):
        event_adapter(ReferralSubmitted).validate_json(json.dumps(stored))


@pytest.mark.parametrize(("form", "field", "limit", "words"), [
    ("held", "reason", 2000, "2,000 characters or fewer"),
    ("advice_answer", "answer", 4000, "4,000 characters or fewer"),
    ("decline", "signpost", 500, "500 characters or fewer")])
def test_a_too_long_answer_is_told_with_its_limit_as_people_write_numbers(form: str, field: str, limit: int,
                                                                          words: str) -> None:
    from schemas import messages

    said = messages.for_problem({"field": field, "type": "string_too_long", "ctx": {"max_length": limit}}, form=form)
    assert said.endswith(f"must be {words}"), said

"""Every payload schema says what every record carries, and readers can tell a topic's messages apart (issue 24,
item 2): a referral.submitted without `event_type` was valid by the published schema, yet triage, which picks the
model by `event_type`, dead-lettered it. Now every event's schema (schemas/json/*.schema.json and the AsyncAPI
components) requires `event_type` (a `const`, or an enum for a model of several types) and `schema_version`, the
AsyncAPI schemas name `event_type` as their `discriminator` (a string, as AsyncAPI 3.0 has it), and the strict wire
decoder refuses a record without either, with an error that names the field. And every JSON Schema file says
which dialect it is and has an `$id` (item 12)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from schemas.errors import summary
from services.common.consuming import event_adapter, event_types
from services.contracts import ASYNCAPI, EVENT_NAMES, JSON_DIR, MODELS, SCHEMA_VERSION
from tests.contract_records import records

EVENTS = sorted(EVENT_NAMES.values())
MODEL_OF = {name: model for model, name in EVENT_NAMES.items()}


@cache
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ASYNCAPI.read_text())
    return data


@cache
def record(name: str) -> dict[str, Any]:
    return records()[name]


def file_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((JSON_DIR / f"{name}.schema.json").read_text())
    return data


def component(name: str) -> dict[str, Any]:
    data: dict[str, Any] = document()["components"]["schemas"][MODEL_OF[name].__name__]
    return data


def resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A property's schema, its `$ref` followed (a file's `#/$defs/...` or the document's `#/components/...`)."""
    ref = node.get("$ref")
    if ref is None:
        return node
    *_, key = ref.split("/")
    return dict((schema.get("$defs") or document()["components"]["schemas"])[key])


def refusals(schema: dict[str, Any], instance: dict[str, Any], *, in_document: bool) -> list[str]:
    if in_document:  # the component's `#/components/schemas/...` refs: the document's components beside it
        schema = {**schema, "components": document()["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator.iter_errors(instance)]


@pytest.mark.parametrize("name", EVENTS)
@pytest.mark.parametrize("where", ["file", "document"])
def test_every_payload_schema_requires_its_event_type_and_schema_version(name: str, where: str) -> None:
    schema = file_schema(name) if where == "file" else component(name)
    assert {"event_type", "schema_version"} <= set(schema.get("required", ())), f"{where} {name}: {schema['required']}"
    kinds = event_types(MODEL_OF[name])
    event_type = resolved(schema, schema["properties"]["event_type"])
    if len(kinds) == 1:
        assert event_type.get("const") == kinds[0], f"{where} {name}: {event_type}"
    else:
        assert sorted(event_type.get("enum", ())) == sorted(kinds), f"{where} {name}: {event_type}"
    assert "default" not in schema["properties"]["schema_version"], "a required field's default says nothing"


@pytest.mark.parametrize("name", EVENTS)
@pytest.mark.parametrize("where", ["file", "document"])
@pytest.mark.parametrize("left_out", ["event_type", "schema_version"])
def test_each_payload_schema_refuses_a_record_without_event_type_or_schema_version(name: str, where: str,
                                                                                   left_out: str) -> None:
    schema = file_schema(name) if where == "file" else component(name)
    whole = record(name)
    assert refusals(schema, whole, in_document=where == "document") == [], "the record as written must be valid"
    without = {k: v for k, v in whole.items() if k != left_out}
    assert refusals(schema, without, in_document=where == "document") == [": required"], f"{where} {name}"


def test_every_event_schema_in_the_document_names_event_type_as_its_discriminator_a_string() -> None:
    """AsyncAPI 3.0's Schema Object `discriminator` is the property's name (OpenAPI's object form is an error to
    @asyncapi/parser); the property must be required, and on a channel of several messages it tells them apart."""
    wrong = {name: component(name).get("discriminator") for name in EVENTS
             if component(name).get("discriminator") != "event_type"}
    assert wrong == {}
    for channel in document()["channels"].values():
        names = [ref["$ref"].rsplit("/", 1)[-1] for ref in channel["messages"].values()]
        kinds = [k for n in names if n != "dead-letter" for k in event_types(MODEL_OF[n])]
        assert len(kinds) == len(set(kinds)), f"{channel['address']}: two messages share an event_type"


@pytest.mark.parametrize("left_out", ["event_type", "schema_version"])
def test_the_wire_decoder_refuses_a_record_without_event_type_or_schema_version_and_names_the_field(
        left_out: str) -> None:
    """What the documents require, the consumers require: one strict decoder (a topic of one model) and a union
    (a topic of several) both refuse the record, and the dead letter's x-error names the field, not a library's
    words (`union_tag_not_found`)."""
    whole = record("referral.submitted")
    without = json.dumps({k: v for k, v in whole.items() if k != left_out})
    models = MODEL_OF["referral.submitted"], MODEL_OF["referral.redirected"], MODEL_OF["referral.override_requested"]
    for decoder in (event_adapter(models[0]), event_adapter(*models)):
        assert decoder.validate_json(json.dumps(whole)).event_id is not None
        with pytest.raises(ValidationError) as caught:
            decoder.validate_json(without)
        assert summary(caught.value) == f"ValidationError: {left_out}: missing"


def test_the_python_models_still_fill_event_type_and_schema_version_for_a_producer() -> None:
    event = MODEL_OF["referral.emergency_unanswered"].model_validate(
        {k: v for k, v in record("referral.emergency_unanswered").items() if k not in ("event_type", "schema_version")})
    assert (event.event_type, event.schema_version) == ("referral.emergency_unanswered", SCHEMA_VERSION)


@pytest.mark.parametrize("path", sorted(JSON_DIR.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_json_schema_file_says_its_dialect_and_has_a_stable_id(path: str) -> None:
    schema = json.loads(JSON_DIR.joinpath(path).read_text())
    name = JSON_DIR.joinpath(path).name.removesuffix(".schema.json")
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("$id") == f"urn:frontdoor:schema:v{SCHEMA_VERSION}:{name}"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_ids_are_one_per_file_and_every_model_has_a_file() -> None:
    files = sorted(JSON_DIR.glob("*.schema.json"))
    ids = [json.loads(p.read_text()).get("$id") for p in files]
    assert len(set(ids)) == len(ids)
    assert {f"{name}.schema.json" for name in MODELS} <= {p.name for p in files}

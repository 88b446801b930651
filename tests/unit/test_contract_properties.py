"""The published JSON Schema and the models say the same thing (issue 13: contracts a service in any language can
trust). Hypothesis, bounded and derandomised (the same examples on every run, a few seconds in all).

Schema -> model: instances generated from each exported schema (schemas/json/*.schema.json, the ruleset's aside)
with hypothesis-jsonschema are decoded as every consumer decodes a record (the wire: pydantic's strict mode). A
refusal must be one of BEYOND_JSON_SCHEMA: rules a JSON Schema cannot state (a check digit, an age on a day), each
named with the reason. Anything else means the schema is looser than the model: the test fails and names it.

Model -> schema: nothing the models accept on the wire is refused by the schema. Schema-valid instances are
changed the ways a lax decoder forgives ("5" for 5, 1 for true, a UUID in braces, white space around a string, a
number for a time, a duplicate in a list, ...); whatever the wire decoder still accepts must be schema-valid. And
what the models write (every accepted instance, the worked example, the test factories, the 41 golden cases and
their decisions) is schema-valid.

Two adaptations, both about Python rather than the contract: the schema's regular expressions are ECMA-262, where
`$` matches only at the very end, while Python's `re` (used by hypothesis and by the jsonschema package) also
matches `$` before one final newline, so a final `$` is read as `\\Z`; and hypothesis-jsonschema 0.23 builds an
object with Hypothesis internals (`many.more()`) that Hypothesis 6.170 no longer has, so objects (all of ours are
closed: `additionalProperties: false`, no pattern or dependent properties) are generated here key by key with
`st.fixed_dictionaries`, every value still from hypothesis-jsonschema.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas import ReferralSubmitted, TriageDecided
from schemas.identifiers import upn_check_letter
from schemas.names import FORMAT_PROBLEM, NO_VISIBLE, REFUSED_CATEGORIES, TRIMMED, WHITE_SPACE_CLASS
from schemas.referral import Referral, ReferralInput
from services.contracts import JSON_DIR, MODELS
from tests.factories import referral_body

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])
EVENT_SCHEMAS = sorted(name for name in MODELS)  # the referral and every event; the ruleset is not a wire contract


@dataclass(frozen=True)
class Disagreement:
    """A refusal by the model of a schema-valid instance that the schema cannot express."""

    name: str
    why: str
    matches: Callable[[str, str], bool]  # (field path, pydantic message) -> is it this one
    repair: Callable[[Any, tuple[Any, ...]], None]  # make the instance valid there, to look further into it


def put(instance: Any, loc: tuple[Any, ...], value: Any) -> None:
    target = instance
    for key in loc[:-1]:
        target = target[key]
    target[loc[-1]] = value


def born_before_submission(instance: Any, loc: tuple[Any, ...]) -> None:
    referral = instance.get("referral", instance)
    referral["child"]["date_of_birth"] = "2016-01-01"
    if "submitted_at" in instance:
        instance["submitted_at"] = "2026-01-15T10:00:00Z"


def without_own_contact(instance: Any, loc: tuple[Any, ...]) -> None:
    instance.get("referral", instance)["young_person_contact"] = None


A_CARER = {"name": "Ann", "relationship": "mother", "parental_responsibility": True, "may_contact": True,
           "preferred_contact": "letter"}
A_TIME = "2026-01-15T10:00:00Z"
NAME_PROBLEMS = {*REFUSED_CATEGORIES.values(), FORMAT_PROBLEM, NO_VISIBLE}
BEYOND_JSON_SCHEMA = [
    Disagreement("NHS number check digit", "a modulus 11 sum over the digits is arithmetic, not a pattern",
                 lambda field, msg: field.endswith("nhs_number") and "check digit" in msg,
                 lambda instance, loc: put(instance, loc, "9434765919")),
    Disagreement("UPN check letter", "a modulus 23 sum, mapped to a letter, is arithmetic, not a pattern",
                 lambda field, msg: field.endswith("upn") and "check letter" in msg,
                 lambda instance, loc: put(instance, loc, upn_check_letter("801200001001") + "801200001001")),
    Disagreement("date of birth against the submission day",
                 "not after the day it was submitted, under 26 on it: a comparison between two fields (or with "
                 "today, for a referral on its own)",
                 lambda field, msg: (field.endswith("date_of_birth") or field == "referral")
                 and ("must not be in the future" in msg or "age under" in msg),
                 born_before_submission),
    Disagreement("a person's name by Unicode category",
                 "control, format, private-use and surrogate characters and 'nothing visible' are Unicode "
                 "properties (\\p{Cc} ...), which neither Python's re nor ECMA-262 without the u flag can match",
                 lambda field, msg: msg.removeprefix("Value error, ") in NAME_PROBLEMS,
                 lambda instance, loc: put(instance, loc, "Ann")),
    Disagreement("a time UTC or London time cannot show",
                 "0001-01-01T00:00:00+01:00 is valid RFC 3339 but falls before year 1 in UTC",
                 lambda field, msg: "between the years 1 and 9999" in msg,
                 lambda instance, loc: put(instance, loc, A_TIME)),
    Disagreement("29 February in a year that is not a leap year",
                 "the date-time pattern allows 29 February in every year; the leap-year rule as a pattern would be "
                 "a long alternation nobody could review (the `format: date-time` says it)",
                 lambda field, msg: "day value is outside expected range" in msg,
                 lambda instance, loc: put(instance, loc, A_TIME)),
    Disagreement("a contact's details follow from whether and how they may be contacted",
                 "a comparison between fields (a reason when may_contact is false, a preferred way when it is true, a "
                 "phone number or email address when that is the preferred way): the exported schema has no if/then",
                 lambda field, msg: ("parents_carers" in field or "young_person_contact" in field)
                 and ("must be given when" in msg or "must be left out when they may" in msg),
                 lambda instance, loc: put(instance, loc[:-1], dict(A_CARER) if "parents_carers" in loc
                                           else {"preferred_contact": "letter"})),
    Disagreement("the young person's own contact from 16",
                 "their age on the submission day, a comparison between two fields (as the date of birth's)",
                 lambda field, msg: "under 16 at submission" in msg,
                 without_own_contact),
    Disagreement("what each kind of route change needs",
                 "the exported schema has no if/then per kind (add_route needs service, pathway and priority, ...)",
                 lambda field, msg: field.startswith("changes") and " needs " in msg,
                 lambda instance, loc: put(instance, loc, {"kind": "close", "signpost": "the family hub"})),
    Disagreement("who holds a piece of work follows from the change",
                 "someone exactly when the change is not `unassigned`, a name only with a login id: a comparison "
                 "between fields (the exported schema has no if/then)",
                 lambda field, msg: "assigned_to is absent exactly when" in msg or "assigned_to_name needs" in msg,
                 lambda instance, loc: instance.update(change="picked_up", assigned_to="dana.wright",
                                                       assigned_to_name="Dana Wright")),
]


def disagreement(field: str, message: str) -> Disagreement | None:
    return next((d for d in BEYOND_JSON_SCHEMA if d.matches(field, message)), None)


def named(field: str, message: str) -> str | None:
    found = disagreement(field, message)
    return found.name if found else None


def unnamed_refusals(exc: ValidationError) -> list[str]:
    """The refusals in `exc` that are not BEYOND_JSON_SCHEMA: where the schema is looser than the model."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"])
        if named(field, err["msg"]) is None:
            out.append(f"{field}: {err['type']}: {err['msg']}")
    return out


# --- the schemas, read as ECMA-262 means them --------------------------------------------------------------------


def ecma(node: Any) -> Any:
    """The schema with each pattern's final `$` as Python's `\\Z` (ECMA's `$` never matches before a newline)."""
    if isinstance(node, dict):
        return {k: (v[:-1] + "\\Z" if k == "pattern" and v.endswith("$") and not v.endswith("\\$") else ecma(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [ecma(v) for v in node]
    return node


@cache
def exported(name: str) -> dict[str, Any]:
    return json.loads((JSON_DIR / f"{name}.schema.json").read_text())


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = ecma(exported(name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(name: str, instance: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator(name).iter_errors(instance)]


# --- generating from a schema ---------------------------------------------------------------------------------------

SKIPPED_KEYWORDS = {"title", "description", "default", "examples"}
FORMATS = {"uuid": st.uuids().map(str)}  # a format hypothesis-jsonschema does not know (it would draw any string)


def instances(name: str) -> st.SearchStrategy[Any]:
    schema = ecma(exported(name))
    defs = schema.get("$defs", {})

    def build(node: dict[str, Any]) -> st.SearchStrategy[Any]:
        node = {k: v for k, v in node.items() if k not in SKIPPED_KEYWORDS and k != "$defs"}
        if "$ref" in node:
            return st.deferred(lambda: build(defs[node["$ref"].rsplit("/", 1)[-1]]))
        if "anyOf" in node or "oneOf" in node:
            return st.one_of([build(branch) for branch in node.get("anyOf", node.get("oneOf"))])
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, "an open object: generate it with from_schema"
            assert not {"patternProperties", "dependentRequired", "dependentSchemas", "if"} & set(node)
            props, required = node["properties"], set(node.get("required", ()))
            return st.fixed_dictionaries({k: build(v) for k, v in props.items() if k in required},
                                         optional={k: build(v) for k, v in props.items() if k not in required})
        items_node = node.get("items")
        if node.get("type") == "array" and isinstance(items_node, dict) and (
                {"$ref", "anyOf"} & set(items_node) or items_node.get("type") in ("object", "array")):
            items = st.lists(build(node["items"]), min_size=node.get("minItems", 0),
                             max_size=min(node.get("maxItems", 4), 4),
                             unique_by=(lambda v: json.dumps(v, sort_keys=True)) if node.get("uniqueItems") else None)
            return items
        if "$ref" in json.dumps(node):
            node = {**node, "$defs": defs}
        return from_schema(sized(node), custom_formats=FORMATS)

    return build(schema)


PYTHON_TRIMMED = ecma({"pattern": TRIMMED})["pattern"]
WHITE = f"[{WHITE_SPACE_CLASS}]"


def sized(node: dict[str, Any]) -> dict[str, Any]:
    """The same set of strings, easier to draw: "trimmed, a to b characters" as `^[^W][\\s\\S]{a-2,b-2}[^W]$`.
    hypothesis-jsonschema draws from the pattern and filters by length: a 20-character minimum fails most draws."""
    if node.get("pattern") != PYTHON_TRIMMED or node.get("minLength", 0) < 2:
        return node
    low, high = node["minLength"] - 2, node.get("maxLength", 10_000) - 2
    return {**node, "pattern": f"^[^{WHITE_SPACE_CLASS}][\\s\\S]{{{low},{high}}}[^{WHITE_SPACE_CLASS}]\\Z"}


# --- the wire decoders (as services/common/consuming.py decodes a record) -----------------------------------------


def wire(name: str, instance: Any) -> BaseModel:
    """Decode as a consumer does: the bytes in pydantic's strict mode."""
    return TypeAdapter(MODELS[name]).validate_json(json.dumps(instance), strict=True)


# --- schema -> model -------------------------------------------------------------------------------------------------


@pytest.mark.property
@pytest.mark.parametrize("name", EVENT_SCHEMAS)
def test_what_the_schema_allows_the_model_accepts_unless_json_schema_cannot_say_why(name: str) -> None:
    seen: Counter[str] = Counter()
    problems: list[str] = []

    @EXAMPLES
    @given(instances(name))
    def check(instance: Any) -> None:
        assert not schema_errors(name, instance), "the generator made an instance its own schema refuses"
        for _ in range(4):  # a named refusal is repaired and the instance decoded again, to look past it
            try:
                decoded = wire(name, instance)
            except ValidationError as exc:
                if unnamed := unnamed_refusals(exc):
                    problems.extend(unnamed)
                    return
                instance = copy.deepcopy(instance)
                for err in exc.errors():
                    found = disagreement(".".join(map(str, err["loc"])), err["msg"])
                    assert found is not None
                    seen[found.name] += 1
                    found.repair(instance, err["loc"])
                assert not schema_errors(name, instance), "a repair made the instance schema-invalid"
                continue
            seen["accepted"] += 1
            assert not schema_errors(name, decoded.model_dump(mode="json")), "the model wrote what its schema refuses"
            return

    check()
    assert not problems, f"{name}: the schema allows what the model refuses:\n" + "\n".join(sorted(set(problems)))
    assert seen["accepted"] >= 20, f"{name}: too few instances got through to compare what the model writes: {seen}"


# --- model -> schema -------------------------------------------------------------------------------------------------

UUID_TEXT = "3f2b6c1e-9a4d-4c55-8e21-7b0c2d9e4f10"


def lax_forms(value: Any) -> list[Any]:
    """What a forgiving decoder takes for `value`."""
    if isinstance(value, bool):
        return [int(value), str(value).lower(), "yes" if value else "no", float(value)]
    if isinstance(value, int):
        return [str(value), float(value), value == 1]
    if isinstance(value, str):
        forms = [" " + value, value + " ", value + "\n", "\u00a0" + value, value + "\u3000", value + " " * 300]
        if len(value) == 36 and value.count("-") == 4:  # a UUID
            forms += ["{" + value + "}", value.replace("-", ""), "urn:uuid:" + value]
        if len(value) > 19 and value[10:11] in "Tt":  # a date and time
            forms += [value[:16] + value[19:], value.replace("T", " ", 1), "1700000000", 1700000000]
        if value.isdigit():
            forms.append(int(value))
        return forms
    if isinstance(value, list):
        return [value + value[:1]] if value else [None]
    if isinstance(value, dict):
        return [{**value, "unknown_field": 1}]
    return ["", 0, False]


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += leaves(v, (*path, i))
    return out


def replaced(instance: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(instance)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@pytest.mark.property
@pytest.mark.parametrize("name", EVENT_SCHEMAS)
def test_nothing_the_wire_decoder_accepts_is_refused_by_the_schema(name: str) -> None:
    laxer: list[str] = []

    @EXAMPLES
    @given(instances(name), st.data())
    def check(instance: Any, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(leaves(instance)))
        current = instance
        for key in path:
            current = current[key]
        lax = replaced(instance, path, data.draw(st.sampled_from(lax_forms(current))))
        try:
            wire(name, lax)
        except ValidationError:
            return
        if errors := schema_errors(name, lax):
            laxer.append(f"{'.'.join(map(str, path))}: {errors}")

    check()
    assert not laxer, f"{name}: the model accepts on the wire what the schema refuses:\n" + "\n".join(laxer)


def golden_cases() -> list[dict[str, Any]]:
    folder = Path(__file__).parents[2] / "services" / "policy" / "golden"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_the_worked_examples_factories_and_golden_cases_are_schema_valid_as_the_models_write_them() -> None:
    from services.common.settings import Settings
    from services.policy.engine import decide
    from services.policy.ruleset import load_ruleset

    example = json.loads((Path(__file__).parents[2] / "schemas" / "examples" / "referral.json").read_text())
    for body in (example, referral_body()):
        referral = ReferralInput.model_validate(body, context={"as_of": date.today()})
        assert not schema_errors("referral", referral.model_dump(mode="json"))
    ruleset = load_ruleset(Settings().ruleset_path)
    cases = golden_cases()
    assert len(cases) >= 40
    for case in cases:
        event = ReferralSubmitted.model_validate(case["event"])
        written = event.model_dump(mode="json")
        assert not schema_errors("referral.submitted", written), case["name"]
        assert wire("referral.submitted", written) == event
        decision = decide(event, ruleset)
        decided = TriageDecided(event_id=uuid.uuid4(), occurred_at=decision.decided_at, **dict(decision))
        assert not schema_errors("triage.decided", decided.model_dump(mode="json")), case["name"]


def test_the_named_disagreements_are_real_and_each_is_one_json_schema_cannot_state() -> None:
    """Each named disagreement happens (a schema-valid instance the wire refuses, for that reason only)."""
    body = Referral.model_validate(referral_body(), context={"as_of": date.today()}).model_dump(mode="json")
    cases = {
        "NHS number check digit": ("referral", replaced(body, ("child", "nhs_number"), "9434765918")),
        "date of birth against the submission day": (
            "referral", replaced(body, ("child", "date_of_birth"), "2999-01-01")),
        "a person's name by Unicode category": ("referral", replaced(body, ("child", "given_name"), "Ann\u202e")),
    }
    for name, (schema, instance) in cases.items():
        assert not schema_errors(schema, instance), name
        with pytest.raises(ValidationError) as caught:
            wire(schema, instance)
        assert {named(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()} == {name}
    assert len({d.name for d in BEYOND_JSON_SCHEMA}) == len(BEYOND_JSON_SCHEMA)

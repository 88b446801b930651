"""The exported contract files match the models, and the worked cases conform to them."""

from __future__ import annotations

import json
from urllib.parse import unquote

import jsonschema

from services.contracts import ASYNCAPI, JSON_DIR, export_all
from tests.cases import case_files, load


def test_exported_files_match_the_models() -> None:
    stale = export_all(write=False)
    assert stale == [], f"run `frontdoor schemas export`: {stale}"


def test_worked_case_events_validate_against_the_exported_json_schema() -> None:
    schema = json.loads((JSON_DIR / "referral.submitted.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in case_files():
        errors = list(validator.iter_errors(load(path)["event"]))
        assert not errors, (path.name, errors[:1])


def test_the_json_schema_rejects_unknown_fields() -> None:
    schema = json.loads((JSON_DIR / "referral.schema.json").read_text())
    referral = load(case_files()[0])["event"]["referral"]
    jsonschema.validate(referral, schema)
    bad = referral | {"unexpected": True}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))


def test_asyncapi_documents_every_topic_with_its_payload() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {
        "frontdoor.referrals.submitted", "frontdoor.triage.decisions",
        "frontdoor.queue.safeguarding", "frontdoor.queue.semh", "frontdoor.queue.counselling",
        "frontdoor.queue.salt", "frontdoor.queue.early_help",
    } <= addresses
    payloads = json.dumps(doc["components"])
    for model in ("ReferralSubmitted", "TriageDecided", "ServiceRequestCreated", "ServiceDetails"):
        assert model in payloads


def test_the_example_referral_in_the_readme_is_valid() -> None:
    from schemas import Referral
    from services.contracts import SCHEMAS as HERE

    Referral.model_validate_json((HERE / "examples" / "referral.json").read_text())


def test_the_readme_documents_every_setting() -> None:
    from services.common.settings import Settings
    from tests.cases import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in readme]
    assert missing == []


def test_the_batch_consumed_topic_documents_its_event_not_raw_bytes() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    channel = next(c for c in doc["channels"].values() if c["address"] == "frontdoor.referrals.submitted")
    # One message per event on the topic (AsyncAPI 3.0 has no discriminator object): all of them together.
    payload = []
    for ref in (m["$ref"] for m in channel["messages"].values()):
        message = doc["components"]["messages"][unquote(ref.rsplit("/", 1)[-1])]
        payload.append(doc["components"]["schemas"][unquote(message["payload"]["$ref"].rsplit("/", 1)[-1])])
    refs = json.dumps(payload)
    assert "ReferralSubmitted" in refs and "ReferralRedirected" in refs
    submitted = doc["components"]["schemas"]["ReferralSubmitted"]
    assert {"event_id", "referral", "history", "submitted_at"} <= set(submitted["properties"])


def _string_nodes(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        if node.get("type") == "string":
            found.append((path, node))
        for key, value in node.items():
            found += _string_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _string_nodes(value, f"{path}/{i}")
    return found


def test_every_string_in_the_event_schemas_says_its_shape_not_only_its_length() -> None:
    """Issue 13: a string the models refuse with white space around it (or in another shape) has a pattern, an
    enum or a const in the schema, so a consumer validating with the schema refuses what our consumers refuse."""
    events = [path for path in sorted(JSON_DIR.glob("*.schema.json")) if path.name != "ruleset.schema.json"]
    loose = [f"{path.name}{where}" for path in events for where, node in _string_nodes(json.loads(path.read_text()))
             if not {"pattern", "enum", "const"} & set(node) and node.get("format") not in ("date",)]
    assert loose == []


def test_the_lists_the_model_keeps_free_of_duplicates_say_so_in_the_schema() -> None:
    schema = json.loads((JSON_DIR / "referral.schema.json").read_text())
    lists = {**schema["properties"], **schema["$defs"]["Child"]["properties"]}
    for name in ("concerns", "risks", "known_services", "diagnoses"):
        assert lists[name]["uniqueItems"] is True, name

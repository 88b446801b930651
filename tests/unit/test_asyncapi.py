"""The AsyncAPI document tied to the topics the deployment creates (deploy/topics.yaml, services/topics.py) with
who writes and reads each. Checking it with a tool nobody here wrote (@asyncapi/parser, on node) and exporting it
under other hash seeds take processes of their own: tests/integration/test_contract_tools.py."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from schemas import ServiceOutcome, dlq_topic
from schemas.audit import TOPIC_AUDIT_HEADS
from schemas.events import CONTRACT_VERSION, SCHEMA_VERSION, ReferralRedirected, ReferralSubmitted
from schemas.wire import RFC3339_PATTERN, UUID_PATTERN
from services.asyncapi_document import DLQ_READER, NO_OPERATION
from services.common.broker import event_headers, kafka_security
from services.common.consuming import LaterVersion, event_adapter
from services.common.settings import Settings
from services.contract_sources import outbox_producers
from services.contracts import ASYNCAPI, EVENT_NAMES
from services.topics import MAIN_TOPICS, TOPIC_CONFIGS, all_topics
from tests.cases import ROOT


def operations(doc: dict[str, Any], topic: str, action: str) -> set[str]:
    return {op["x-frontdoor-actor"] for op in doc["operations"].values()
            if op["action"] == action and op["channel"]["$ref"] == f"#/channels/{topic}"}


def deployed() -> dict[str, dict[str, list[str]]]:
    topics: dict[str, dict[str, list[str]]] = yaml.safe_load((ROOT / "deploy" / "topics.yaml").read_text())["topics"]
    return topics


def test_every_deployed_topic_is_a_channel_and_every_channel_a_deployed_topic() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    channels = {c["address"] for c in doc["channels"].values()}
    assert set(deployed()) == set(MAIN_TOPICS)
    assert channels == set(all_topics(1)) == set(deployed()) | {dlq_topic(t) for t in deployed()}


def test_the_producers_and_consumers_are_those_deploy_topics_yaml_grants() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    for topic, grants in deployed().items():
        readers = {group.replace(".", "-") for group in operations(doc, topic, "receive")}
        assert (topic, operations(doc, topic, "send"), readers) == (topic, set(grants["producers"]),
                                                                    set(grants["consumers"]))
        # Every consumer dead-letters what it cannot process; the DLQ tools (admins) read the dead letters.
        dlq = dlq_topic(topic)
        assert {g.replace(".", "-") for g in operations(doc, dlq, "send")} == set(grants["consumers"]), dlq
        assert operations(doc, dlq, "receive") == {DLQ_READER}, dlq


def test_every_channel_has_a_sender_and_a_receiver_or_says_why_not() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    missing = {(c["address"], action) for c in doc["channels"].values() for action in ("send", "receive")
               if not operations(doc, c["address"], action)}
    assert missing == set(NO_OPERATION)
    for (topic, action), reason in NO_OPERATION.items():
        assert doc["channels"][topic][f"x-frontdoor-no-{action}"] == reason


def test_the_producers_are_read_off_the_code() -> None:
    sends = {(op.actor, op.topic, m.__name__) for op in outbox_producers() for m in op.models}
    assert {
        ("intake", "frontdoor.referrals.submitted", "ReferralSubmitted"),
        ("intake", "frontdoor.referrals.submitted", "OverrideRequested"),
        ("intake", "frontdoor.referrals.submitted", "ReferralRedirected"),
        ("intake", "frontdoor.triage.decisions", "EmergencyUnanswered"),
        ("intake", "frontdoor.children", "ChildMerged"),
        ("worklists", "frontdoor.service.outcomes", "ServiceOutcome"),
        ("dsr", "frontdoor.dsr.changes", "DsrChanged"),
    } <= sends


def test_a_producer_whose_event_cannot_be_read_off_the_code_stops_the_export(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "elsewhere"
    (root / "newservice").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "newservice" / "__init__.py").write_text("")
    (root / "newservice" / "handlers.py").write_text(
        "from schemas import TOPIC_OUTCOMES, ServiceOutcome\nfrom services.common.outbox import enqueue\n\n\n"
        "def announce(session, event: ServiceOutcome):\n    enqueue(session, event, topic=TOPIC_OUTCOMES, key='k')\n"
        "\n\ndef guess(session, event):\n    enqueue(session, event, topic=TOPIC_OUTCOMES, key='k')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "elsewhere" or m.startswith("elsewhere.")]:
        monkeypatch.delitem(sys.modules, name)  # a package of that name from an earlier run in this process
    with pytest.raises(ValueError, match=r"handlers.py:10: not an event model"):
        outbox_producers(root)
    (root / "newservice" / "handlers.py").write_text(
        "from schemas import TOPIC_OUTCOMES, ServiceOutcome\nfrom services.common.outbox import enqueue\n\n\n"
        "def announce(session, event: ServiceOutcome):\n    enqueue(session, event, topic=TOPIC_OUTCOMES, key='k')\n")
    monkeypatch.delitem(sys.modules, "elsewhere.newservice.handlers")
    assert [(op.actor, op.topic, op.models) for op in outbox_producers(root)] == [
        ("newservice", "frontdoor.service.outcomes", (ServiceOutcome,))]


def test_every_event_message_documents_its_headers_and_key() -> None:
    doc = json.loads(ASYNCAPI.read_text())
    headers = doc["components"]["schemas"]["EventHeaders"]
    assert set(headers["required"]) == {"content-type", "event-id", "event-type", "schema-version",
                                        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"}
    assert "correlation-id" in headers["properties"]
    for name, message in doc["components"]["messages"].items():
        assert message["headers"], name
        key = message["bindings"]["kafka"]["key"]
        if name == "dead-letter":  # the original's key, or none when an outside producer sent none
            assert key["anyOf"] == [{"type": "string"}, {"type": "null"}]
        else:
            assert key["type"] == "string", name
    dead = doc["components"]["schemas"]["DeadLetterHeaders"]
    assert {"x-error", "x-original-topic", "x-original-partition", "x-original-offset", "x-attempts"} <= set(
        dead["required"])


# ---- issue 24, items 10 to 13: versions, delivery, the CloudEvents binding, servers, bindings, examples ----------


def document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ASYNCAPI.read_text())
    return doc


def test_every_channel_binding_has_the_partitions_and_retention_deploy_topics_yaml_and_topics_create_give() -> None:
    """The document, deploy/topics.yaml (what operators read) and services/topics.py (what `frontdoor topics create`
    makes) say the same of every topic: partitions (KAFKA_TOPIC_PARTITIONS' default), cleanup policy, retention."""
    yaml_file = yaml.safe_load((ROOT / "deploy" / "topics.yaml").read_text())
    wanted = {}
    for topic, spec in yaml_file["topics"].items():
        wanted[topic] = {"partitions": spec["partitions"], "cleanup.policy": spec.get("cleanup.policy", "delete"),
                         "retention.ms": spec.get("retention.ms")}
        dead = yaml_file["dead_letters"]
        wanted[dlq_topic(topic)] = {"partitions": dead["partitions"], "cleanup.policy": "delete",
                                    "retention.ms": dead["retention.ms"]}
    documented = {}
    for channel in document()["channels"].values():
        kafka = channel["bindings"]["kafka"]
        config = kafka["topicConfiguration"]
        documented[kafka["topic"]] = {"partitions": kafka["partitions"], "cleanup.policy": ",".join(
            config["cleanup.policy"]), "retention.ms": config.get("retention.ms")}
    created = {topic: {"partitions": n, "cleanup.policy": TOPIC_CONFIGS[topic].get("cleanup.policy", "delete"),
                       "retention.ms": int(TOPIC_CONFIGS[topic]["retention.ms"])
                       if "retention.ms" in TOPIC_CONFIGS[topic] else None}
               for topic, n in all_topics(Settings.model_fields["kafka_topic_partitions"].default).items()}
    assert documented == wanted == created
    assert wanted["frontdoor.referrals.submitted"]["retention.ms"] == 7 * 24 * 3600 * 1000
    assert wanted["frontdoor.referrals.submitted.dlq"]["retention.ms"] == 28 * 24 * 3600 * 1000
    assert wanted[TOPIC_AUDIT_HEADS] == {"partitions": 1, "cleanup.policy": "compact", "retention.ms": None}


def test_every_consumer_groups_operation_names_its_group_id() -> None:
    for op_id, op in document()["operations"].items():
        group = op.get("bindings", {}).get("kafka", {}).get("groupId")
        if op["action"] == "receive" and op["x-frontdoor-actor"] != DLQ_READER:
            assert group == {"type": "string", "enum": [f"frontdoor.{op['x-frontdoor-actor']}"],
                             "description": f"<KAFKA_GROUP_PREFIX>.{op['x-frontdoor-actor']}"}, op_id
        else:
            assert group is None, op_id


def test_the_servers_are_the_broker_as_a_variable_with_the_security_the_settings_support() -> None:
    doc = document()
    production, development = doc["servers"]["production"], doc["servers"]["development"]
    assert (production["host"], production["protocol"]) == ("{bootstrap}", "kafka-secure")
    assert (development["host"], development["protocol"]) == ("{bootstrap}", "kafka")
    assert development["variables"]["bootstrap"]["default"] == "localhost:9092"
    assert "security" not in development
    schemes = doc["components"]["securitySchemes"]
    assert [schemes[ref["$ref"].rsplit("/", 1)[1]]["type"] for ref in production["security"]] == [
        "scramSha512", "scramSha256", "plain"]
    # Exactly the SASL mechanisms the services can use (services.common.broker.kafka_security), SCRAM-SHA-512 first
    # as it is the one used when KAFKA_SASL_MECHANISM is not set.
    mechanism = {"scramSha512": "SCRAM-SHA-512", "scramSha256": "SCRAM-SHA-256", "plain": "PLAIN"}
    for scheme in schemes.values():
        settings = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism=mechanism[scheme["type"]])
        assert kafka_security(settings) is not None
    with pytest.raises(KeyError):
        kafka_security(Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="GSSAPI"))
    assert type(kafka_security(Settings(kafka_security_protocol="SASL_SSL"))).__name__ == "SASLScram512"


def test_every_message_has_an_example_valid_on_the_strict_wire_and_against_its_schemas() -> None:
    """One example per message, as its producer writes it: the payload decodes in the consumers' strict mode to the
    very event, and is valid against the message's payload schema; the headers against its headers schema."""
    doc = document()
    registry: Registry[Any] = Registry().with_resources(
        [("urn:asyncapi", Resource.from_contents(doc, default_specification=DRAFT7))])
    models = {name: model for model, name in EVENT_NAMES.items()}
    for name, message in doc["components"]["messages"].items():
        [example] = message["examples"]
        for part in ("payload", "headers"):
            validator = jsonschema.Draft7Validator({"$ref": f"urn:asyncapi#/components/messages/{name}/{part}"},
                                                   registry=registry, format_checker=jsonschema.FormatChecker())
            assert [e.message for e in validator.iter_errors(example[part])] == [], (name, part)
        if name == "dead-letter":
            continue
        event = event_adapter(models[name]).validate_json(json.dumps(example["payload"]))
        assert event.model_dump(mode="json") == example["payload"], name
        assert example["headers"] == event_headers(event, source=example["headers"]["ce_source"]), name


def test_the_examples_headers_are_the_cloudevents_attributes_of_their_payload() -> None:
    for name, message in document()["components"]["messages"].items():
        if name == "dead-letter":
            continue
        [example] = message["examples"]
        headers, payload = example["headers"], example["payload"]
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_id"] == headers["event-id"] == payload["event_id"], name
        assert headers["ce_type"] == headers["event-type"] == payload["event_type"] == name.replace(
            "service_request.outcome", "service_request.accepted").replace("dsr.changed", "dsr.rating_changed")
        assert datetime.fromisoformat(headers["ce_time"]) == datetime.fromisoformat(payload["occurred_at"]), name
        assert headers["ce_time"].endswith("Z"), name
        subject = payload.get("referral_id") or payload.get("child_id") or payload.get("merged_id")
        assert headers.get("ce_subject") == subject, name
        sources = message["headers"]["allOf"][1]["properties"]["ce_source"]["enum"]
        assert headers["ce_source"] in sources and all(s.startswith("/frontdoor/") for s in sources), name


def test_every_event_message_takes_the_cloudevents_trait_and_every_header_schema_is_an_object() -> None:
    doc = document()
    trait = doc["components"]["messageTraits"]["cloudEvents"]
    assert trait["externalDocs"]["url"].endswith("/cloudevents/bindings/kafka-protocol-binding.md")
    headers = doc["components"]["schemas"]["EventHeaders"]["properties"]
    assert headers["ce_specversion"]["const"] == "1.0"
    assert headers["ce_time"]["pattern"] == RFC3339_PATTERN and headers["ce_id"]["pattern"] == UUID_PATTERN
    assert headers["event-id"]["deprecated"] and headers["event-type"]["deprecated"]
    for name, message in doc["components"]["messages"].items():
        if name != "dead-letter":
            assert message["traits"] == [{"$ref": "#/components/messageTraits/cloudEvents"}], name
            assert not message["summary"].startswith("Carried by every event"), name  # the envelope's, not its own
            assert all(part.get("type") == "object" or "$ref" in part for part in message["headers"]["allOf"]), name
    assert all(doc["components"]["schemas"][s]["type"] == "object" for s in ("EventHeaders", "DeadLetterHeaders"))


def test_the_version_is_the_contracts_and_the_description_states_the_policy_and_delivery() -> None:
    info = document()["info"]
    assert info["version"] == CONTRACT_VERSION
    for words in ("**A minor version**", "**A major version**", "six months", "**At least once.**",
                  "**Deduplicate on `event_id`**", "**Order only per key**", "passes by (does not dead-letter)"):
        assert words in info["description"], words


def test_what_the_description_says_front_doors_consumers_do_is_what_they_do() -> None:
    """info.description says our consumers dead-letter a field or an event type they do not know, and pass by a record
    of a later major version. Should that change, so must the description."""
    [example] = document()["components"]["messages"]["referral.submitted"]["examples"]
    decoder = event_adapter(ReferralSubmitted, ReferralRedirected)
    with pytest.raises(ValidationError, match="extra_forbidden"):
        decoder.validate_json(json.dumps(example["payload"] | {"new_field": 1}))
    with pytest.raises(ValidationError, match="union_tag_not_found"):
        decoder.validate_json(json.dumps(example["payload"] | {"event_type": "referral.withdrawn"}))
    with pytest.raises(LaterVersion):
        decoder.validate_json(json.dumps(example["payload"] | {"schema_version": SCHEMA_VERSION + 1}))
    assert f"consumers read major {SCHEMA_VERSION} and pass by a record whose `schema_version` is higher" in " ".join(
        document()["info"]["description"].split())

"""The AsyncAPI document tied to the topics the deployment creates (deploy/topics.yaml, services/topics.py) with
who writes and reads each. Checking it with a tool nobody here wrote (@asyncapi/parser, on node) and exporting it
under other hash seeds take processes of their own: tests/integration/test_contract_tools.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas import ServiceOutcome, dlq_topic
from services.asyncapi_document import DLQ_READER, NO_OPERATION
from services.contract_sources import outbox_producers
from services.contracts import ASYNCAPI
from services.topics import MAIN_TOPICS, all_topics
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
    assert set(headers["required"]) == {"content-type", "event-id", "event-type", "schema-version"}
    assert "correlation-id" in headers["properties"]
    for name, message in doc["components"]["messages"].items():
        assert message["headers"], name
        assert message["bindings"]["kafka"]["key"]["type"] == "string", name
    dead = doc["components"]["schemas"]["DeadLetterHeaders"]
    assert {"x-error", "x-original-topic", "x-original-partition", "x-original-offset", "x-attempts"} <= set(
        dead["required"])

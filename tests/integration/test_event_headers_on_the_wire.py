"""On the wire an event's headers are ours alone, in one style: FastStream adds no `correlation_id`."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas import TOPIC_CHILDREN, TOPIC_DECISIONS, TOPIC_SUBMITTED, ChildMerged, dlq_topic, queue_topic
from schemas.wire import RFC3339_PATTERN
from services.common.broker import event_headers, make_broker, start_broker
from services.common.dlq_tools import replay
from services.common.settings import Settings
from tests.cases import SHARED_CASES, load
from tests.factories import referral_body
from tests.kafka_tools import eventually, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration


def of(record: Any) -> dict[str, Any]:
    """A record's JSON object, or nothing: the topics this stack shares hold other tests' poison records too (bytes,
    JSON nested too deep to read)."""
    try:
        value = json.loads(record.value or b"")
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


async def test_a_published_event_carries_exactly_the_documented_headers(broker_bootstrap: str,
                                                                      topics: dict[str, int]) -> None:
    event = ChildMerged.model_validate_json(json.dumps({
        "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(), "event_type": "child.merged",
        "correlation_id": str(uuid.uuid4()), "merge_id": str(uuid.uuid4()), "survivor_id": str(uuid.uuid4()),
        "merged_id": str(uuid.uuid4()), "referral_ids": [], "service_request_ids": []}))
    broker = make_broker(Settings(kafka_bootstrap_servers=broker_bootstrap), client_id="frontdoor-headers-test")
    await start_broker(broker, timeout=30)
    try:
        await broker.publish(event.model_dump_json().encode(), TOPIC_CHILDREN, key=str(event.merged_id).encode(),
                             headers=event_headers(event, source="/frontdoor/intake"))
    finally:
        await broker.stop()
    mine = [r for r in await read_topic(broker_bootstrap, TOPIC_CHILDREN)
            if dict(r.headers).get("event-id") == str(event.event_id).encode()]
    assert [{k: v.decode() for k, v in r.headers} for r in mine] == [event_headers(event,
                                                                                        source="/frontdoor/intake")]


# ---- issue 24: the CloudEvents Kafka binding from every producer, dead letters, redelivered triage outputs -----------

CE_NAMES = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"}


def text_headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def check_cloudevents(record: Any, source: str) -> dict[str, str]:
    """The record's headers against the binding as Front Door writes it (and today's names, still written)."""
    headers, payload = text_headers(record), json.loads(record.value)
    assert len(headers) == len(record.headers)  # no name twice
    subject = payload.get("referral_id") or payload.get("correlation_id") or payload.get("child_id")
    assert {k: v for k, v in headers.items() if k.startswith("ce_")} == {
        "ce_specversion": "1.0", "ce_id": payload["event_id"], "ce_source": source, "ce_type": payload["event_type"],
        "ce_time": headers["ce_time"], **({"ce_subject": subject} if subject else {})}
    assert re.fullmatch(RFC3339_PATTERN, headers["ce_time"])
    assert datetime.fromisoformat(headers["ce_time"]) == datetime.fromisoformat(payload["occurred_at"])
    assert (headers["content-type"], headers["event-id"], headers["event-type"]) == (
        "application/json", payload["event_id"], payload["event_type"])
    assert headers["schema-version"] == str(payload["schema_version"])
    return headers


async def test_intake_and_triage_write_the_cloudevents_headers_on_every_record(stack: Stack,
                                                                                settings: Settings) -> None:
    response = await stack.submit(referral_body())
    assert response.status_code == 201
    rid = response.json()["referral_id"]
    bootstrap = settings.kafka_bootstrap_servers

    async def decided() -> list[Any]:
        return [r for r in await read_topic(bootstrap, TOPIC_DECISIONS)
                if of(r).get("referral_id") == rid]

    # At least once: the safety net may publish an undecided referral again, so every copy is checked.
    decisions = await eventually(decided, timeout=40)
    copies = [r for r in await read_topic(bootstrap, TOPIC_SUBMITTED) if of(r).get("referral_id") == rid]
    assert copies
    for submitted in copies:
        check_cloudevents(submitted, "/frontdoor/intake")  # through the outbox relay
    for decision in decisions:
        check_cloudevents(decision, "/frontdoor/triage")
    routes = of(decisions[0])["routes"]
    assert routes
    for route in routes:
        async def requested(route: dict[str, Any] = route) -> list[Any]:
            return [r for r in await read_topic(bootstrap, queue_topic(route["service"]))
                    if of(r).get("service_request_id") == route["service_request_id"]]

        for request in await eventually(requested, timeout=20):
            check_cloudevents(request, "/frontdoor/triage")


async def test_a_dead_letter_of_a_record_without_headers_has_a_content_type_never_an_empty_one(
        stack: Stack, settings: Settings) -> None:
    bootstrap, dlq = settings.kafka_bootstrap_servers, dlq_topic(TOPIC_SUBMITTED)
    marker = f"not json {uuid.uuid4()} {{".encode()
    await produce_raw(bootstrap, TOPIC_SUBMITTED, [(str(uuid.uuid4()).encode(), marker)])  # no headers at all

    async def dead() -> list[Any]:
        return [r for r in await read_topic(bootstrap, dlq) if r.value == marker]

    [letter] = await eventually(dead, timeout=30)
    headers = text_headers(letter)
    assert headers["content-type"] == "application/octet-stream"  # its bytes, of no known type: not ""
    assert headers["x-original-topic"] == TOPIC_SUBMITTED


async def test_a_redelivered_referral_gives_byte_identical_triage_outputs(stack: Stack, settings: Settings) -> None:
    """The same record twice, a moment apart (a redelivery, a replay from the dead-letter topic days later, the
    safety net's redrive): the same decision and requests, byte for byte, headers too."""
    bootstrap = settings.kafka_bootstrap_servers
    event = load(SHARED_CASES / "salt-community.json")["event"]
    rid, child = str(uuid.uuid4()), str(uuid.uuid4())
    event |= {"event_id": str(uuid.uuid4()), "referral_id": rid, "correlation_id": rid, "child_id": child}
    body = json.dumps(event).encode()
    headers = [("content-type", b"application/json")]

    async def outputs(count: int) -> list[Any]:
        found = [r for topic in (TOPIC_DECISIONS, queue_topic("salt")) for r in await read_topic(bootstrap, topic)
                 if of(r).get("referral_id") == rid]
        return found if len(found) == count else []

    await produce_raw(bootstrap, TOPIC_SUBMITTED, [(child.encode(), body)], headers=headers)
    first = await eventually(lambda: outputs(2), timeout=40)
    await asyncio.sleep(1.1)  # a later wall-clock time
    await produce_raw(bootstrap, TOPIC_SUBMITTED, [(child.encode(), body)], headers=headers)
    both = await eventually(lambda: outputs(4), timeout=40)
    again = [r for r in both if (r.topic, r.partition, r.offset) not in {(f.topic, f.partition, f.offset)
                                                                          for f in first}]
    assert [(r.topic, r.value, r.headers) for r in again] == [(r.topic, r.value, r.headers) for r in first]
    assert json.loads(first[0].value)["occurred_at"] == json.loads(first[0].value)["decided_at"]
    assert datetime.fromisoformat(json.loads(first[0].value)["occurred_at"]) == datetime.fromisoformat(
        event["occurred_at"])


async def test_a_replay_restores_the_originals_headers_cloudevents_included(stack: Stack, settings: Settings) -> None:
    bootstrap, dlq = settings.kafka_bootstrap_servers, dlq_topic(TOPIC_SUBMITTED)
    event = load(SHARED_CASES / "salt-community.json")["event"] | {"event_id": str(uuid.uuid4())}
    original = [(k, v.encode()) for k, v in event_headers(event, source="/frontdoor/intake").items()]
    marker = f"not json {uuid.uuid4()} {{".encode()  # the headers of an event, a body triage cannot read
    await produce_raw(bootstrap, TOPIC_SUBMITTED, [(b"k", marker)], headers=original)

    async def dead() -> list[Any]:
        return [r for r in await read_topic(bootstrap, dlq) if r.value == marker]

    [letter] = await eventually(dead, timeout=30)
    assert await replay(bootstrap, dlq, {f"{letter.partition}:{letter.offset}"}) == 1
    [back] = [r for r in await read_topic(bootstrap, TOPIC_SUBMITTED)
              if r.value == marker and dict(r.headers).get("x-replayed-from")]
    assert list(back.headers) == [*original, ("x-replayed-from", f"{dlq}:{letter.partition}:{letter.offset}".encode())]

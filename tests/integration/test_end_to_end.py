"""End to end on the real (embedded) broker and the real database: POST a referral, see it decided
and routed; duplicates, restarts and poison events; and no personal data in any log line."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED, dlq_topic, queue_topic
from services.common.logging import configure_logging
from services.common.settings import Settings
from tests.cases import SHARED_CASES, load
from tests.factories import CANARIES, referral_body
from tests.kafka_tools import eventually, produce_raw, read_events, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
LOGS = io.StringIO()


@pytest.fixture(scope="module")
async def stack(settings: Settings, topics: dict[str, int]) -> AsyncIterator[Stack]:
    configure_logging(level="INFO", fmt="json", stream=LOGS)
    running = Stack(settings)
    await running.start()
    yield running
    await running.stop()


async def decided(stack: Stack, referral_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        view = await stack.view(referral_id)
        return view if view["decision"] else None

    return dict(await eventually(check, timeout=40))


def of_referral(events: list[dict[str, Any]], referral_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("referral_id") == referral_id]


async def test_a_referral_is_decided_and_each_route_lands_on_its_service_queue(stack: Stack,
                                                                                settings: Settings) -> None:
    response = await stack.submit(referral_body())  # anxiety + speech sounds + housing, aged 12
    assert response.status_code == 201
    rid, child = response.json()["referral_id"], response.json()["child_id"]
    view = await decided(stack, rid)
    decision = view["decision"]
    assert decision["outcome"] == "routed"
    assert [(r["service"], r["pathway"]) for r in decision["routes"]] == [
        ("semh", "early_support"), ("salt", "community"), ("early_help", "family_support"),
    ]
    assert decision["ruleset_version"] == stack.ruleset.version
    assert {e["rule_id"] for e in decision["explanation"]} >= {
        "semh.early", "semh.early_support", "salt.community", "early_help.family_support",
    }
    assert sorted(r["service"] for r in view["service_requests"]) == ["early_help", "salt", "semh"]

    decisions = of_referral(await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS), rid)
    assert len(decisions) == 1 and decisions[0]["event_type"] == "triage.decided"
    for service, expected in {"safeguarding": 0, "semh": 1, "counselling": 0, "salt": 1, "early_help": 1}.items():
        records = [r for r in await read_topic(settings.kafka_bootstrap_servers, queue_topic(service))
                   if json.loads(r.value)["referral_id"] == rid]
        assert len(records) == expected, service
        for record in records:
            request = json.loads(record.value)
            assert record.key == child.encode()  # one child's events stay in order
            assert request["event_type"] == "service_request.created" and request["service"] == service
            assert request["reasons"] and all(reason["because"] for reason in request["reasons"])
            shared = {k for k, v in request["details"].items() if v is not None}
            assert shared <= set(stack.ruleset.sharing[service])
    early_help = [json.loads(r.value)
                  for r in await read_topic(settings.kafka_bootstrap_servers, queue_topic("early_help"))]
    assert all(e["details"]["nhs_number"] is None for e in of_referral(early_help, rid))  # not on early help's list


async def test_a_safeguarding_disclosure_goes_to_mash_and_holds_the_rest(stack: Stack, settings: Settings) -> None:
    response = await stack.submit(referral_body(risks=["harm_or_abuse_disclosure"], child__nhs_number=...))
    rid = response.json()["referral_id"]
    decision = (await decided(stack, rid))["decision"]
    assert [(r["service"], r["held"]) for r in decision["routes"]] == [
        ("safeguarding", False), ("semh", True), ("salt", True), ("early_help", True),
    ]
    mash = of_referral(await read_events(settings.kafka_bootstrap_servers, queue_topic("safeguarding")), rid)
    assert len(mash) == 1 and mash[0]["pathway"] == "mash" and mash[0]["priority"] == "urgent"


async def test_the_same_client_reference_is_one_referral_published_once(stack: Stack, settings: Settings) -> None:
    body = referral_body(client_reference=f"case-system-{uuid.uuid4()}")
    first, second = await stack.submit(body), await stack.submit(body)
    assert (first.status_code, second.status_code) == (201, 200)
    rid = first.json()["referral_id"]
    assert second.json()["referral_id"] == rid
    await decided(stack, rid)
    third = await stack.submit(body)
    assert third.status_code == 200 and third.json()["referral_id"] == rid
    assert len(of_referral(await read_events(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED), rid)) == 1
    assert len(of_referral(await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS), rid)) == 1


async def test_a_restarted_triage_consumer_neither_loses_nor_redecides(stack: Stack, settings: Settings) -> None:
    mine = await stack.referral_ids()  # other modules publish decisions of their own on this broker
    before = Counter(e["referral_id"] for e in await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS)
                     if e["referral_id"] in mine)
    assert before and max(before.values()) == 1
    await stack.stop_triage()
    # Submitted while triage is down: stored and published, decided once triage is back.
    while_down = [(await stack.submit(referral_body(concerns=["stammering"]))).json()["referral_id"] for _ in range(3)]
    await stack.start_triage()
    for rid in while_down:
        assert (await decided(stack, rid))["decision"]["routes"][0]["pathway"] == "community"
    after = Counter(e["referral_id"] for e in await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS))
    assert {rid: after[rid] for rid in before} == dict(before)  # committed events were not decided again
    assert all(after[rid] == 1 for rid in while_down)


def _good_event(child_id: str) -> dict[str, Any]:
    event = load(SHARED_CASES / "salt-community.json")["event"]
    rid = str(uuid.uuid4())
    return event | {"event_id": str(uuid.uuid4()), "referral_id": rid, "correlation_id": rid, "child_id": child_id}


POISON: list[tuple[str, bytes]] = [
    ("not JSON", b"this is not json {"),
    ("invalid UTF-8", b'{"event_type": "referral.submitted", "x": "\xff\xfe"}'),
    ("lone surrogate", b'{"event_type": "referral.submitted", "x": "\\ud800"}'),
    ("NUL byte", b'{"event_type": "referral.submitted\x00"}'),
    ("deep nesting", b"[" * 10_000 + b"]" * 10_000),
    ("wrong schema",
     json.dumps({"event_type": "referral.submitted", "referral": {"child": {"given_name": CANARIES[0]}}}).encode()),
    ("2 MB payload", json.dumps({"event_type": "referral.submitted", "padding": "x" * 2_000_000}).encode()),
    ("a value that makes the engine raise",
     json.dumps(load(SHARED_CASES / "salt-community.json")["event"]
                | {"submitted_at": "9999-12-31T12:00:00+00:00", "occurred_at": "9999-12-31T12:00:00+00:00"}).encode()),
]


async def test_poison_events_go_to_the_dlq_and_the_next_good_event_is_processed(stack: Stack,
                                                                                 settings: Settings) -> None:
    child_id = str(uuid.uuid4())
    key = child_id.encode()  # same key: same partition as the good event after them
    before = len(await read_topic(settings.kafka_bootstrap_servers, dlq_topic(TOPIC_SUBMITTED)))
    headers = [("content-type", b"application/json")]
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED, [(key, body) for _, body in POISON],
                      headers=headers)
    good = _good_event(child_id)
    sent = time.monotonic()
    await produce_raw(settings.kafka_bootstrap_servers, TOPIC_SUBMITTED, [(key, json.dumps(good).encode())],
                      headers=headers)

    async def decided_on_bus() -> list[dict[str, Any]]:
        return of_referral(await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS), good["referral_id"])

    assert len(await eventually(decided_on_bus, timeout=30, interval=0.1)) == 1
    assert time.monotonic() - sent < 5  # the bad records did not hold the partition up
    dead = (await read_topic(settings.kafka_bootstrap_servers, dlq_topic(TOPIC_SUBMITTED)))[before:]
    # The original bytes, in order; one too large to copy is left on its topic, the headers say where.
    assert [r.value or dict(r.headers).get("x-payload-omitted") for r in dead] == [
        body if len(body) < 1_000_000 else str(len(body)).encode() for _, body in POISON
    ]
    for record in dead:
        h = {k: v.decode() for k, v in record.headers}
        assert record.key == key
        assert h["x-original-topic"] == TOPIC_SUBMITTED and h["x-attempts"] == "1"
        assert int(h["x-original-partition"]) >= 0 and int(h["x-original-offset"]) >= 0
        assert h["x-error"] and not any(c in h["x-error"] for c in CANARIES)
    errors = [dict(r.headers)["x-error"].decode() for r in dead]
    assert "referral.child" in errors[-3]
    # The engine raised: dead-lettered, not retried.
    assert errors[-1].startswith("OverflowError") or "Error" in errors[-1]


NOTE_CANARY = "Canary-note: her aunt rang about Bramblewick, the dog that frightens her."


async def test_a_case_notes_words_go_nowhere_but_its_table(stack: Stack, settings: Settings) -> None:
    """A front-door note (issue 23, item 4) added, sent again, sent again with other words, and too long: its words
    are in no answer but the note's own, and (the test below) in no log line."""
    response = await stack.submit(referral_body(child__nhs_number=...))
    rid = response.json()["referral_id"]
    assert stack.client is not None
    path, headers = f"/front-door/referrals/{rid}/notes", stack.headers("e2e-front-door", "front_door")
    body = {"text": NOTE_CANARY, "key": str(uuid.uuid4())}
    answers = [await stack.client.post(path, json=b, headers=headers) for b in (
        body, body, body | {"text": NOTE_CANARY + " Again."}, body | {"text": NOTE_CANARY * 100})]
    assert [a.status_code for a in answers] == [201, 200, 409, 422]
    assert all("Bramblewick" not in a.text for a in answers[2:])
    events = [e for e in await read_events(settings.kafka_bootstrap_servers, TOPIC_DECISIONS)
              if e.get("event_type") == "referral.note_added" and e.get("referral_id") == rid]
    assert len(events) <= 1 and "Bramblewick" not in json.dumps(events)


async def test_no_personal_data_reaches_any_log_line(stack: Stack) -> None:
    # Runs last in this module: the log holds everything above (submissions, decisions, the DLQ, a case note).
    text = LOGS.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(lines) > 20
    events = {line.get("event") for line in lines}
    assert {"http request", "record sent to the dead-letter topic"} <= events
    for canary in [*CANARIES, "Bramblewick"]:
        assert canary not in text, canary


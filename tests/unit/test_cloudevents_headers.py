"""Every event's record carries the CloudEvents Kafka protocol binding's headers (binary content mode, CloudEvents
1.0) beside today's kebab-case names, which are still written for one version (issue 24, item 11); a dead letter is
never given an empty `content-type` (issue 24, item 1)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from schemas.wire import RFC3339_PATTERN
from services.common.broker import event_headers, event_source
from services.common.consumer_errors import dead_letter
from services.common.consuming import event_types
from services.common.outbox import OUTBOX_PRODUCERS, enqueue, relay_headers
from services.common.tables import OutboxMessage
from services.common.transient import PermanentError
from services.contract_sources import outbox_producers
from services.contracts import EVENT_NAMES

SOURCE = "/frontdoor/intake"
OCCURRED = datetime(2026, 3, 4, 9, 30, 0, 123456, tzinfo=UTC)
REFERRAL, CHILD, MERGED = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
# What each event is about: its referral, else its child (a merge: the merged child, the record's key); an audit
# chain's head is about no one.
SUBJECTS: dict[str, uuid.UUID | None] = {
    "audit.head_published": None, "child.merged": MERGED, "child.unmerged": MERGED, "dsr.changed": CHILD,
    "dsr.note_added": CHILD,
}


def instance(model: type[BaseModel], **changes: Any) -> BaseModel:
    """The event as its producer makes it, with the fields the headers read (the rest are not read)."""
    fields: dict[str, Any] = {"event_id": uuid.uuid4(), "occurred_at": OCCURRED}
    ids = {"referral_id": REFERRAL, "child_id": CHILD, "merged_id": MERGED, "survivor_id": uuid.uuid4()}
    fields |= {name: value for name, value in ids.items() if name in model.model_fields}
    if "referral_id" in model.model_fields and model.__name__ not in {"ReferralNoteAdded", "ServiceRequestNoteAdded"}:
        fields["correlation_id"] = REFERRAL  # as every producer of an event about a referral sets it
    kind = model.model_fields["event_type"]
    if not isinstance(kind.default, str):  # an enum of several types (dsr.changed, service outcomes): the first
        fields["event_type"] = next(iter(kind.annotation))  # type: ignore[arg-type]
    return model.model_construct(**(fields | changes))


def type_of(event: BaseModel) -> str:
    kind = getattr(event, "event_type")  # noqa: B009
    return str(getattr(kind, "value", kind))


@pytest.mark.parametrize("model", list(EVENT_NAMES), ids=list(EVENT_NAMES.values()))
def test_every_event_carries_the_cloudevents_headers_beside_todays(model: type[BaseModel]) -> None:
    event = instance(model)
    headers = event_headers(event, source=SOURCE)
    subject = SUBJECTS.get(EVENT_NAMES[model], REFERRAL)
    expected = {
        "content-type": "application/json", "event-id": str(getattr(event, "event_id")),  # noqa: B009
        "event-type": type_of(event), "schema-version": "1",
        "ce_specversion": "1.0", "ce_id": str(getattr(event, "event_id")), "ce_source": SOURCE,  # noqa: B009
        "ce_type": type_of(event), "ce_time": "2026-03-04T09:30:00.123456Z",
    }
    expected |= {"correlation-id": str(REFERRAL)} if getattr(event, "correlation_id", None) else {}
    expected |= {"ce_subject": str(subject)} if subject else {}
    assert headers == expected
    assert re.fullmatch(RFC3339_PATTERN, headers["ce_time"])
    assert all(isinstance(v, str) and v for v in headers.values())  # never an empty header


def test_the_time_is_the_events_own_in_utc() -> None:
    [model] = [m for m, name in EVENT_NAMES.items() if name == "referral.submitted"]
    london = instance(model, occurred_at=datetime(2026, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    assert event_headers(london, source=SOURCE)["ce_time"] == "2026-07-01T09:00:00Z"


@pytest.mark.parametrize(("client_id", "source"), [
    ("frontdoor-intake", "/frontdoor/intake"), ("frontdoor-triage", "/frontdoor/triage"),
    ("frontdoor-dsr", "/frontdoor/dsr"), ("frontdoor-worklists-salt", "/frontdoor/worklists"),
    ("frontdoor-worklists-outcomes", "/frontdoor/worklists"),
])
def test_the_source_is_the_producing_service(client_id: str, source: str) -> None:
    assert event_source(client_id) == source


def test_the_relay_writes_the_same_headers_as_a_direct_publisher_from_the_stored_payload() -> None:
    """The outbox stores the payload (and today's headers, for a relay of the previous version during a rolling
    deploy); the relay derives every header from the payload and its service, so a row stored before this version
    gets them too."""
    for model in EVENT_NAMES:
        event = instance(model)
        producer = OUTBOX_PRODUCERS.get(type_of(event))
        source = f"/frontdoor/{producer}" if producer else SOURCE
        rows: list[OutboxMessage] = []
        enqueue(SimpleNamespace(add=rows.append), event, topic="t", key="k")  # type: ignore[arg-type]
        assert relay_headers(rows[0], source=SOURCE) == event_headers(event, source=source)
        old = OutboxMessage(id=rows[0].id, topic="t", key="k", payload=rows[0].payload, headers={})
        assert relay_headers(old, source=SOURCE) == event_headers(event, source=source)
        assert rows[0].headers == {k: v for k, v in event_headers(event, source=SOURCE).items()
                                   if not k.startswith("ce_")}
        assert json.loads(rows[0].payload)["event_id"] == str(getattr(event, "event_id"))  # noqa: B009


class Broker:
    """Captures what dead_letter publishes (FastStream writes `content-type: ""` for bytes unless told)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, value: bytes, topic: str, **kwargs: Any) -> None:
        self.sent.append({"topic": topic, "value": value, **kwargs})


def record(headers: list[tuple[str, bytes]] | None, value: bytes = b"not json {") -> Any:
    return SimpleNamespace(topic="frontdoor.referrals.submitted", partition=1, offset=9, key=b"k", value=value,
                           headers=headers)


@pytest.mark.parametrize("headers", [None, [], [("content-type", b"")]])
async def test_a_dead_letter_of_a_record_without_a_content_type_says_octet_stream(
        headers: list[tuple[str, bytes]] | None) -> None:
    broker = Broker()
    await dead_letter(broker, record(headers), PermanentError("not an event"))
    assert broker.sent[0]["headers"]["content-type"] == "application/octet-stream"


async def test_a_dead_letter_keeps_the_originals_content_type_and_every_header() -> None:
    original = [(k, v.encode()) for k, v in event_headers(instance(next(iter(EVENT_NAMES))), source=SOURCE).items()]
    for content_type in (b"application/json", b"text/plain"):
        broker = Broker()
        mine = [(k, content_type if k == "content-type" else v) for k, v in original]
        await dead_letter(broker, record(mine), PermanentError("not an event"))
        sent = broker.sent[0]["headers"]
        assert sent["content-type"] == content_type.decode()
        assert {k: v for k, v in sent.items() if not k.startswith("x-")} == {k: v.decode() for k, v in mine}


def test_a_row_that_is_not_an_events_json_goes_with_its_stored_headers() -> None:
    for payload in ("{}", "[1]", "not json", '{"occurred_at": "yesterday"}'):
        row = OutboxMessage(id=uuid.uuid4(), topic="t", key="k", payload=payload, headers={"event-id": "x"})
        assert relay_headers(row, source=SOURCE) == {"event-id": "x"}


def test_the_source_of_a_row_is_the_service_that_wrote_it_whichever_relay_publishes_it() -> None:
    """The reproduction (the Node consumer's end-to-end run): the services share one outbox table, and the source
    was the relay's, so referral.submitted went out as /frontdoor/worklists and service_request.accepted as
    /frontdoor/intake. Every type an `enqueue` call in the code writes is listed with the one service that writes
    it, and every relay gives it that source."""
    written: dict[str, set[str]] = {}
    for op in outbox_producers():
        for model in op.models:
            for kind in event_types(model):
                written.setdefault(kind, set()).add(op.actor)
    assert {kind: {service} for kind, service in OUTBOX_PRODUCERS.items()} == written
    for model in EVENT_NAMES:
        event = instance(model)
        if type_of(event) not in OUTBOX_PRODUCERS:
            continue
        rows: list[OutboxMessage] = []
        enqueue(SimpleNamespace(add=rows.append), event, topic="t", key="k")  # type: ignore[arg-type]
        sources = {relay_headers(rows[0], source=f"/frontdoor/{relay}")["ce_source"]
                   for relay in ("intake", "worklists", "dsr")}
        assert sources == {f"/frontdoor/{OUTBOX_PRODUCERS[type_of(event)]}"}

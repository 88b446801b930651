"""Event headers: one style (kebab-case, like the dead-letter `x-` headers), taken from the payload; the
snake_case names of earlier versions are still read, for one version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import structlog

from schemas import ServiceOutcome
from services.common.broker import CLOUDEVENTS_HEADERS, EVENT_HEADERS, event_headers, read_headers
from services.common.consumer_errors import MessageContextMiddleware, dead_letter
from services.common.transient import PermanentError

EVENT_ID, REFERRAL = uuid.uuid4(), uuid.uuid4()
SOURCE = "/frontdoor/worklists"


def outcome(**changes: Any) -> ServiceOutcome:
    return ServiceOutcome.model_validate({
        "event_id": str(EVENT_ID), "occurred_at": datetime(2026, 3, 2, 9, tzinfo=UTC).isoformat(),
        "correlation_id": str(REFERRAL), "event_type": "service_request.accepted",
        "service_request_id": str(uuid.uuid4()), "referral_id": str(REFERRAL), "child_id": str(uuid.uuid4()),
        "service": "salt", "by": "w", "pathway": "community", "due_by": "2026-03-20T09:00:00+00:00"} | changes)


def test_an_event_carries_its_id_type_schema_version_and_correlation_id_in_kebab_case() -> None:
    today = {name: value for name, value in event_headers(outcome(), source=SOURCE).items() if name in EVENT_HEADERS}
    assert today == {
        "content-type": "application/json", "event-id": str(EVENT_ID), "event-type": "service_request.accepted",
        "schema-version": "1", "correlation-id": str(REFERRAL)}
    assert "correlation-id" not in event_headers(outcome(correlation_id=None), source=SOURCE)
    assert set(event_headers(outcome(), source=SOURCE)) == {*EVENT_HEADERS, *CLOUDEVENTS_HEADERS}
    assert not [name for name in EVENT_HEADERS if "_" in name or name.startswith("x-") or name != name.lower()]


def test_a_record_with_the_old_header_names_is_still_read() -> None:
    old = [("content_type", b"application/json"), ("event_id", str(EVENT_ID).encode()),
           ("event_type", b"service_request.accepted"), ("correlation_id", str(REFERRAL).encode())]
    assert read_headers(old) == {"content-type": "application/json", "event-id": str(EVENT_ID),
                                 "event-type": "service_request.accepted", "correlation-id": str(REFERRAL)}
    new = [(k, v.encode()) for k, v in event_headers(outcome(), source=SOURCE).items()]
    assert read_headers(new) == event_headers(outcome(), source=SOURCE)
    # Both present: the current name wins, the old one is left as it is.
    assert read_headers([("event-id", b"new"), ("event_id", b"old")]) == {"event-id": "new", "event_id": "old"}


def record(headers: list[tuple[str, bytes]]) -> Any:
    return SimpleNamespace(topic="frontdoor.service.outcomes", partition=0, offset=7, key=b"k", value=b"{}",
                           headers=headers)


async def bound_while_handled(headers: list[tuple[str, bytes]]) -> dict[str, Any]:
    middleware = MessageContextMiddleware(record(headers), context=None)  # type: ignore[arg-type]
    await middleware.on_receive()
    try:
        return dict(structlog.contextvars.get_contextvars())
    finally:
        await middleware.after_processed()


async def test_the_log_context_reads_the_ids_under_the_new_and_the_old_names() -> None:
    new = [(k, v.encode()) for k, v in event_headers(outcome(), source=SOURCE).items()]
    old = [("event_id", str(EVENT_ID).encode()), ("correlation_id", str(REFERRAL).encode())]
    for headers in (new, old):
        bound = await bound_while_handled(headers)
        assert (bound["event_id"], bound["correlation_id"]) == (str(EVENT_ID), str(REFERRAL))
    # A header is the sender's text: only an id reaches the log line.
    bound = await bound_while_handled([("event-id", b"Canary Zebedee"), ("correlation-id", b"x")])
    assert (bound["event_id"], bound["correlation_id"]) == (None, None)
    assert "event_id" not in structlog.contextvars.get_contextvars()


async def test_a_dead_letter_keeps_the_original_headers_so_a_replay_restores_them() -> None:
    sent: list[dict[str, Any]] = []

    class Broker:
        async def publish(self, value: bytes, topic: str, **kwargs: Any) -> None:
            sent.append({"topic": topic, **kwargs})

    original = [(k, v.encode()) for k, v in event_headers(outcome(), source=SOURCE).items()]
    await dead_letter(Broker(), record(original), PermanentError("not an event this consumer handles (x)"))
    headers = sent[0]["headers"]
    assert sent[0]["topic"] == "frontdoor.service.outcomes.dlq"
    assert {k: v for k, v in headers.items() if not k.startswith("x-")} == event_headers(outcome(), source=SOURCE)
    assert headers["x-original-topic"] == "frontdoor.service.outcomes" and headers["x-original-offset"] == "7"

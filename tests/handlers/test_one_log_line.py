"""Logs a person can read: one line per consumed message, with its outcome, and one line per HTTP
request (not uvicorn's access line too)."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from faststream.kafka import TestKafkaBroker
from sqlalchemy import Engine

from schemas import ServiceOutcome
from services.common.broker import make_broker
from services.common.consuming import consumer_router, event_consumer
from services.common.logging import configure_logging
from services.common.settings import Settings
from tests.handlers.conftest import NOW


@pytest.fixture()
def logs() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=buffer)
    return buffer


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_one_line_per_consumed_message_with_its_outcome(engine: Engine, logs: io.StringIO) -> None:
    settings = Settings(database_url="sqlite://", kafka_group_prefix="t")
    router = consumer_router()
    event_consumer(router, "frontdoor.test.outcomes", settings=settings, engine=engine, group="test", consumer="test",
                   handlers={"service_request.*": lambda session, event, now: True}, models=(ServiceOutcome,),
                   title="test")
    broker = make_broker(settings, client_id="frontdoor-test")
    broker.include_router(router)
    event = ServiceOutcome.model_validate({
        "event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(), "event_type": "service_request.accepted",
        "service_request_id": str(uuid.uuid4()), "referral_id": str(uuid.uuid4()), "child_id": str(uuid.uuid4()),
        "service": "salt", "by": "w", "pathway": "community", "due_by": NOW.isoformat()})
    async with TestKafkaBroker(broker) as test_broker:
        logs.truncate(0), logs.seek(0)
        await test_broker.publish(event.model_dump_json().encode(), "frontdoor.test.outcomes")
        await test_broker.publish(event.model_dump_json().encode(), "frontdoor.test.outcomes")  # redelivered
    consumed = [line for line in lines(logs) if line["event"] == "message consumed"]
    assert [line["outcome"] for line in consumed] == ["applied", "duplicate"]
    # FastStream's own "Received"/"Processed" pair is checked against a real broker, in
    # tests/faults/test_graceful_shutdown.py (the in-memory test broker does not log it).


def test_uvicorn_access_lines_are_off_at_info(logs: io.StringIO) -> None:
    logging.getLogger("uvicorn.access").info('127.0.0.1:1 - "GET /referrals HTTP/1.1" 200')
    logging.getLogger("frontdoor.http").info("http request")
    assert [line["event"] for line in lines(logs)] == ["http request"]

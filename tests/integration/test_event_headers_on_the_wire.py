"""On the wire an event's headers are ours alone, in one style: FastStream adds no `correlation_id`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from schemas import TOPIC_CHILDREN, ChildMerged
from services.common.broker import event_headers, make_broker, start_broker
from services.common.settings import Settings
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.integration


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
                             headers=event_headers(event))
    finally:
        await broker.stop()
    mine = [r for r in await read_topic(broker_bootstrap, TOPIC_CHILDREN)
            if dict(r.headers).get("event-id") == str(event.event_id).encode()]
    assert [{k: v.decode() for k, v in r.headers} for r in mine] == [event_headers(event)]

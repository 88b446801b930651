"""Nothing doubled: the same event published three times, then every consumer group reset to the
beginning and the whole history replayed, adds no row anywhere (a broker and a database of its own)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from schemas import TOPIC_DECISIONS, TOPIC_OUTCOMES, TOPIC_SUBMITTED, queue_topic
from schemas.enums import Service
from services.common.db import make_engine
from services.common.embedded_broker import EmbeddedBroker
from services.common.settings import Settings
from services.common.tables import OutboxMessage, ProcessedEvent
from services.dsr.tables import DsrEntry, DsrTimelineItem
from services.intake.tables import ReferralRecord, ServiceRequestRecord, TimelineItem
from services.topics import all_topics, ensure_topics
from services.worklists.tables import WorklistItem
from tests.factories import referral_body
from tests.integration.test_dsr import Dsr
from tests.kafka_tools import eventually, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
TABLES: list[type[SQLModel]] = [ReferralRecord, ServiceRequestRecord, TimelineItem, WorklistItem, DsrEntry, DsrTimelineItem, ProcessedEvent, OutboxMessage]


@pytest.fixture(scope="module")
def own_broker() -> Iterator[str]:
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


def settings_for(bootstrap: str, url: str, prefix: str) -> Settings:
    return Settings(kafka_bootstrap_servers=bootstrap, database_url=url, kafka_fast_rebalance=True, kafka_group_prefix=prefix,
                    outbox_poll_seconds=0.1, graceful_timeout_seconds=5.0, startup_timeout_seconds=30.0)


def counts(url: str) -> dict[str, int]:
    with Session(make_engine(url)) as s:
        return {t.__tablename__: int(s.exec(select(func.count()).select_from(t)).one()) for t in TABLES}  # type: ignore[attr-defined]


GROUP_TOPICS = {
    "triage": [TOPIC_SUBMITTED], "intake": [TOPIC_DECISIONS, TOPIC_OUTCOMES], "dsr": [TOPIC_DECISIONS, TOPIC_OUTCOMES],
    **{f"worklists.{s.value}": [queue_topic(s)] for s in Service},
}


async def lag(bootstrap: str, prefix: str) -> int:
    """Records not yet committed by every consumer group of the system (the committed offsets, as
    each consumer would resume from them)."""
    total = 0
    for group, topics in GROUP_TOPICS.items():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=f"{prefix}.{group}", enable_auto_commit=False)
        await consumer.start()
        try:
            for topic in topics:
                parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
                end = await consumer.end_offsets(parts)
                for tp in parts:
                    # The embedded broker can report a committed offset past its own end offset: caught up.
                    total += max(0, end[tp] - (await consumer.committed(tp) or 0))
        finally:
            await consumer.stop()
    return total


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()
    return consumer.partitions_for_topic(topic) or set()


async def run_stack(settings: Settings) -> tuple[Stack, Dsr]:
    stack, dsr = Stack(settings), Dsr(settings)
    await stack.start(worklists=True)
    await dsr.start()
    return stack, dsr


async def stop(stack: Stack, dsr: Dsr) -> None:
    await dsr.stop()
    await stack.stop()


async def test_redelivery_and_a_full_replay_add_no_rows(own_broker: str, fresh_database_url: str) -> None:
    await ensure_topics(own_broker, all_topics(4))
    first = settings_for(own_broker, fresh_database_url, f"first-{uuid.uuid4().hex[:6]}")
    stack, dsr = await run_stack(first)
    try:
        bodies = [referral_body(child__nhs_number=..., concerns=["stammering", "housing"]),
                  referral_body(child__nhs_number=..., concerns=["anxiety"], risks=["harm_or_abuse_disclosure"]),
                  referral_body(child__nhs_number=..., concerns=["self_harm"], risks=["self_harm_recent", "mh_admission_risk"],
                                child__diagnoses=["autism"])]
        ids = [(await stack.submit(b)).json()["referral_id"] for b in bodies]
        for rid in ids:
            await eventually(lambda rid=rid: _decided(stack, rid), timeout=40)

        async def settled() -> bool:
            return await lag(own_broker, first.kafka_group_prefix) == 0

        await eventually(settled, timeout=60, interval=0.5)
        before = counts(fresh_database_url)
        assert before["dsr_entries"] == 1 and before["worklist_items"] >= 4

        submitted = await read_topic(own_broker, TOPIC_SUBMITTED)
        await produce_raw(own_broker, TOPIC_SUBMITTED, [(r.key, r.value) for r in submitted for _ in range(3)],
                          headers=[("content-type", b"application/json")])
        await eventually(settled, timeout=60, interval=0.5)
        assert counts(fresh_database_url) == before
    finally:
        await stop(stack, dsr)

    # Every consumer group from the beginning: a new group prefix replays every topic in full.
    replay = settings_for(own_broker, fresh_database_url, f"replay-{uuid.uuid4().hex[:6]}")
    stack, dsr = await run_stack(replay)
    try:
        async def replayed() -> bool:
            return await lag(own_broker, replay.kafka_group_prefix) == 0

        await eventually(replayed, timeout=90, interval=0.5)
        decisions = [json.loads(r.value) for r in await read_topic(own_broker, TOPIC_DECISIONS)]
        assert len(decisions) > len(ids)  # decided again...
        assert len({d["event_id"] for d in decisions}) == len(ids)  # ...as the very same events
        assert counts(fresh_database_url) == before  # and nothing anywhere changed
    finally:
        await stop(stack, dsr)


async def _decided(stack: Stack, rid: str) -> dict[str, Any] | None:
    view = await stack.view(rid)
    return view if view["decision"] else None


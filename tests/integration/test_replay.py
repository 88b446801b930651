"""Nothing doubled: the same event published three times, then every consumer group reset to the
beginning and the whole history replayed, adds no row anywhere (a broker and a database of its own)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from schemas import TOPIC_DECISIONS, TOPIC_SUBMITTED
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import OutboxMessage, ProcessedEvent
from services.dsr.tables import DsrEntry, DsrTimelineItem
from services.intake.tables import ReferralRecord, ServiceRequestRecord, TimelineItem
from services.topics import all_topics, ensure_topics
from services.worklists.tables import WorklistItem
from tests.factories import referral_body
from tests.integration.test_dsr import Dsr
from tests.kafka_tools import eventually, lag, produce_raw, read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
TABLES: list[type[SQLModel]] = [ReferralRecord, ServiceRequestRecord, TimelineItem, WorklistItem, DsrEntry,
                                DsrTimelineItem, ProcessedEvent, OutboxMessage]


def settings_for(bootstrap: str, url: str, prefix: str) -> Settings:
    return Settings(kafka_bootstrap_servers=bootstrap, database_url=url, kafka_fast_rebalance=True,
                    kafka_group_prefix=prefix, outbox_poll_seconds=0.1, graceful_timeout_seconds=5.0,
                    startup_timeout_seconds=30.0)


def counts(url: str) -> dict[str, int]:
    with Session(make_engine(url)) as s:
        return {t.__tablename__: int(s.exec(select(func.count()).select_from(t)).one()) for t in TABLES}  # type: ignore[attr-defined]


async def run_stack(settings: Settings) -> tuple[Stack, Dsr]:
    stack, dsr = Stack(settings), Dsr(settings)
    await asyncio.gather(stack.start(worklists=True), dsr.start())  # each pays its consumer groups' joins: at once
    return stack, dsr


async def stop(stack: Stack, dsr: Dsr) -> None:
    await dsr.stop()
    await stack.stop()


async def test_redelivery_and_a_full_replay_add_no_rows(private_broker: str, fresh_database_url: str) -> None:
    await ensure_topics(private_broker, all_topics(4))
    first = settings_for(private_broker, fresh_database_url, f"first-{uuid.uuid4().hex[:6]}")
    stack, dsr = await run_stack(first)
    try:
        bodies = [referral_body(child__nhs_number=..., concerns=["stammering", "housing"]),
                  referral_body(child__nhs_number=..., concerns=["anxiety"], risks=["harm_or_abuse_disclosure"]),
                  referral_body(child__nhs_number=..., concerns=["self_harm"],
                                risks=["self_harm_recent", "mh_admission_risk"], child__diagnoses=["autism"])]
        ids = [(await stack.submit(b)).json()["referral_id"] for b in bodies]
        for rid in ids:
            await eventually(lambda rid=rid: _decided(stack, rid), timeout=40)

        async def settled() -> bool:
            return await lag(private_broker, first.kafka_group_prefix) == 0

        await eventually(settled, timeout=60, interval=0.5)
        before = counts(fresh_database_url)
        assert before["dsr_entries"] == 1 and before["worklist_items"] >= 4

        submitted = await read_topic(private_broker, TOPIC_SUBMITTED)
        await produce_raw(private_broker, TOPIC_SUBMITTED, [(r.key, r.value) for r in submitted for _ in range(3)],
                          headers=[("content-type", b"application/json")])
        await eventually(settled, timeout=60, interval=0.5)
        assert counts(fresh_database_url) == before
    finally:
        await stop(stack, dsr)

    # Every consumer group from the beginning: a new group prefix replays every topic in full.
    replay = settings_for(private_broker, fresh_database_url, f"replay-{uuid.uuid4().hex[:6]}")
    stack, dsr = await run_stack(replay)
    try:
        async def replayed() -> bool:
            return await lag(private_broker, replay.kafka_group_prefix) == 0

        await eventually(replayed, timeout=90, interval=0.5)
        decisions = [json.loads(r.value) for r in await read_topic(private_broker, TOPIC_DECISIONS)]
        assert len(decisions) > len(ids)  # decided again...
        assert len({d["event_id"] for d in decisions}) == len(ids)  # ...as the very same events
        assert counts(fresh_database_url) == before  # and nothing anywhere changed
    finally:
        await stop(stack, dsr)


async def _decided(stack: Stack, rid: str) -> dict[str, Any] | None:
    view = await stack.view(rid)
    return view if view["decision"] else None


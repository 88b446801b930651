"""Several outbox relays on one outbox (PostgreSQL: FOR UPDATE SKIP LOCKED): they share the work,
each row is published once, and a relay that dies mid-batch leaves its rows to another once its
lease lapses, never before."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select

from services.common.db import make_engine, session_scope
from services.common.outbox import LEASE, OutboxRelay, claim_batch, enqueue, mark_published
from services.common.tables import OutboxMessage, utcnow

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]


class Ping(BaseModel):
    event_id: uuid.UUID
    event_type: str = "ping"
    occurred_at: datetime = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)  # every event has one: its ce_time header
    n: int


def fill(url: str, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    with session_scope(make_engine(url)) as session:
        for i, event_id in enumerate(ids):
            enqueue(session, Ping(event_id=event_id, n=i), topic="replica.test", key=str(i % 7))
    return ids


def unpublished(url: str, ids: list[uuid.UUID]) -> int:
    with session_scope(make_engine(url)) as session:
        query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.id).in_(ids),
                                                                      col(OutboxMessage.published_at).is_(None))
        return int(session.exec(query).one())


async def test_three_relays_share_the_outbox_and_publish_each_row_once(fresh_database_url: str) -> None:
    ids = fill(fresh_database_url, 1500)
    engine = make_engine(fresh_database_url)
    published: list[tuple[str, uuid.UUID]] = []

    def relay() -> OutboxRelay:
        async def publish(row: OutboxMessage) -> None:
            await asyncio.sleep(0.001)  # a broker round trip
            published.append((me.owner, row.id))

        me = OutboxRelay(engine, publish, poll_seconds=0.05)
        return me

    relays = [relay() for _ in range(3)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        for _ in range(600):
            if unpublished(fresh_database_url, ids) == 0:
                break
            await asyncio.sleep(0.1)
    finally:
        for r in relays:
            await r.stop()
        await asyncio.gather(*tasks)
    mine = [event_id for _, event_id in published if event_id in set(ids)]
    assert Counter(mine) == Counter(ids)  # every row once: none missed, none twice
    assert len({owner for owner, _ in published}) == 3  # and the work was shared


def test_a_dead_relays_rows_wait_for_its_lease_then_go_to_another(fresh_database_url: str) -> None:
    fill(fresh_database_url, 5)
    engine = make_engine(fresh_database_url)
    now = utcnow()
    dead = claim_batch(engine, owner="relay-dead", now=now, limit=1000)  # claimed, then the relay died
    assert dead
    assert claim_batch(engine, owner="relay-alive", now=now, limit=1000) == []  # leased: not taken early
    taken = claim_batch(engine, owner="relay-alive", now=now + LEASE + LEASE / 10, limit=1000)
    assert {r.id for r in taken} == {r.id for r in dead}  # after the lease lapses, another relay takes them
    mark_published(engine, owner="relay-dead", ids=[r.id for r in dead])  # a late mark by the dead one does nothing
    assert unpublished(fresh_database_url, [r.id for r in dead]) == len(dead)
    mark_published(engine, owner="relay-alive", ids=[r.id for r in taken])
    assert unpublished(fresh_database_url, [r.id for r in dead]) == 0

"""Transactional outbox: events are written with the change they announce and published by a relay.

Several relay replicas are safe: each claims a batch with a short lease (FOR UPDATE SKIP LOCKED on
PostgreSQL), publishes it with acks=all, then marks it published. A relay that dies mid-batch lets
its lease lapse and another publishes the batch again: at-least-once, deduplicated downstream on
event_id.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Engine, and_, or_, update
from sqlmodel import Session, col, select

from schemas.enums import DsrChangeType, OutcomeEventType
from services.common.broker import EVENT_HEADERS, event_headers
from services.common.db import session_scope
from services.common.logging import get_logger
from services.common.tables import OutboxMessage, utcnow
from services.common.transient import TRANSIENT_ERRORS

log = get_logger("frontdoor.outbox")
Publish = Callable[[OutboxMessage], Awaitable[None]]
LEASE = timedelta(seconds=30)
# The service whose outbox writes each event type: its CloudEvents `ce_source`. The services share the outbox table
# (one database), so any service's relay may publish another's row: the source comes from the event, not the relay.
# tests/unit/test_cloudevents_headers.py holds this to the `enqueue` calls in the code (contract_sources).
OUTBOX_PRODUCERS: dict[str, str] = {
    **dict.fromkeys(("referral.submitted", "referral.redirected", "referral.override_requested",
                     "referral.emergency_unanswered", "referral.assigned", "referral.note_added", "child.merged",
                     "child.unmerged"), "intake"),
    **dict.fromkeys((*(kind.value for kind in OutcomeEventType), "service_request.assigned",
                     "service_request.note_added"), "worklists"),
    **dict.fromkeys((*(kind.value for kind in DsrChangeType), "dsr.note_added"), "dsr"),
}


def enqueue(session: Session, event: BaseModel, *, topic: str, key: str) -> None:
    """Add an event to the outbox inside the caller's transaction (its id and type come from the event). The row
    keeps the headers of the previous version (no `ce_`: the service is the relay's to say), which a relay of that
    version publishes during a rolling deploy; this version's relay writes `relay_headers`."""
    event_id = getattr(event, "event_id")  # noqa: B009 - every event has one; BaseModel does not say so
    headers = {name: value for name, value in event_headers(event, source="").items() if name in EVENT_HEADERS}
    session.add(OutboxMessage(id=event_id, topic=topic, key=key, payload=event.model_dump_json(), headers=headers))


def relay_headers(row: OutboxMessage, *, source: str) -> dict[str, str]:
    """The headers a row is published with: every event header, CloudEvents' included, from the stored payload, so a
    row stored by an earlier version gets them too. `ce_source` is the service that wrote the event
    (`OUTBOX_PRODUCERS`), whichever service's relay publishes it; `source`, the relay's own, only for a type not
    listed there. A payload that is not an event's JSON (enqueue never writes one) goes with the headers it was
    stored with, rather than hold up every row after it."""
    try:
        payload = json.loads(row.payload)
        producer = OUTBOX_PRODUCERS.get(str(payload.get("event_type")))
        return event_headers(payload, source=f"/frontdoor/{producer}" if producer else source)
    except (ValueError, TypeError, AttributeError):
        return dict(row.headers)


def claim_batch(engine: Engine, *, owner: str, limit: int = 100, now: datetime | None = None) -> list[OutboxMessage]:
    now = now or utcnow()
    with session_scope(engine) as session:
        query = (
            select(OutboxMessage.id)
            .where(col(OutboxMessage.published_at).is_(None))
            .where(or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now))
            .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.exec(query))
        if not ids:
            return []
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(claimed_by=owner, claimed_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        )
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))).all()
        return sorted(rows, key=lambda r: (r.created_at, str(r.id)))


def mark_published(engine: Engine, *, owner: str, ids: list[uuid.UUID]) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(and_(col(OutboxMessage.id).in_(ids), col(OutboxMessage.claimed_by) == owner))
            .values(published_at=utcnow(), claimed_until=None)
        )


class OutboxRelay:
    """Publishes outbox rows in order. `wake()` after a commit publishes at once; otherwise it polls."""

    def __init__(self, engine: Engine, publish: Publish, *, poll_seconds: float = 0.5):
        self.engine = engine
        self.publish = publish
        self.poll_seconds = poll_seconds
        self.owner = f"relay-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._stopping = False
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopping:
            try:
                sent = await self.drain_once()
                backoff = self.poll_seconds
            except TRANSIENT_ERRORS as exc:
                log.warning("outbox relay waiting for a dependency", error_type=type(exc).__name__)
                sent, backoff = 0, min(backoff * 2, 10.0)
            except Exception as exc:  # a relay must keep going; the row stays unpublished
                log.error("outbox relay error", error_type=type(exc).__name__)
                sent, backoff = 0, min(backoff * 2, 10.0)
            if sent == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=backoff)
                except TimeoutError:
                    pass

    async def drain_once(self) -> int:
        batch = await asyncio.to_thread(claim_batch, self.engine, owner=self.owner)
        done: list[uuid.UUID] = []
        try:
            for row in batch:
                await self.publish(row)
                done.append(row.id)
        finally:
            if done:
                await asyncio.to_thread(mark_published, self.engine, owner=self.owner, ids=done)
                self.published += len(done)
        return len(done)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

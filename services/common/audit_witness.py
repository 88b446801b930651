"""The audit chain's witness: its head (the last row's id and hash, and when it was written), published where the
database's owner cannot rewrite it, and read back by `frontdoor audit verify`.

The hash chain alone shows a row deleted or changed in the middle, but not a cut tail, nor an edit with every later
hash recomputed: both leave a chain that verifies. So each service that writes audit rows (intake, DSR, worklists)
runs `Witness` as a background job: every `AUDIT_WITNESS_ROWS` new rows, or `AUDIT_WITNESS_MINUTES` after its last
publication if the chain grew, and once at start, it publishes the head straight to the broker, on the compacted
topic `frontdoor.audit.heads` keyed by the chain's name (`AUDIT_CHAIN`), and writes it to the service log. Not
through the outbox: that is a table in the very database the witness is for. Before publishing it reads the latest
published head and checks that the stored rows still hold it and chain on from it; if they do not, it publishes
nothing (so a cut or rewritten chain is never laundered into the witness) and logs an error.

The head names no person and no child: an id, a hash and two times."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiokafka.errors import KafkaError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas.audit import TOPIC_AUDIT_HEADS, AuditHeadPublished
from services.common.audit import head as chain_head
from services.common.audit import verify
from services.common.broker import broker_source, event_headers
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tables import AuditEntry, utcnow
from services.common.transient import TRANSIENT_ERRORS

log = get_logger("frontdoor.audit")
HEAD_IDS = uuid.UUID("8d0f3c1e-7a52-4c6b-9f0e-2b1d5a7c9e40")  # namespace: one event id per chain and head
POLL_SECONDS = 10.0  # how often the job looks at the chain's head (one indexed read)


class WitnessUnavailableError(Exception):
    """The published heads could not be read (the broker unreachable, or the topic missing)."""


@dataclass(frozen=True)
class Head:
    id: int
    hash: str
    at: datetime


def due(head_id: int | None, last_id: int | None, elapsed: float, *, every_rows: int, every_seconds: float) -> bool:
    """Whether to publish now: there is a head and this process has published nothing yet; or at least `every_rows`
    rows were added since it last did; or `every_seconds` passed and the chain grew. A chain that shrank is due at
    once: the check before publishing refuses it and says so."""
    if head_id is None:
        return False
    if last_id is None or head_id < last_id:
        return True
    grown = head_id - last_id
    return grown >= every_rows or (grown > 0 and elapsed >= every_seconds)


def head_event(chain: str, head: Head, *, now: datetime) -> AuditHeadPublished:
    """The event for a head: its id is derived from the chain and the head, so the same head published twice
    (by two services, or again after a restart) is one event."""
    return AuditHeadPublished(event_id=uuid.uuid5(HEAD_IDS, f"{chain}:{head.id}:{head.hash}"), occurred_at=now,
                              chain=chain, head_id=head.id, head_hash=head.hash,
                              head_at=head.at if head.at.tzinfo else head.at.replace(tzinfo=timezone.utc))


def against_heads(heads: Iterable[AuditHeadPublished], stored: Mapping[int, str], last_id: int | None) -> str | None:
    """The first published head the stored rows no longer hold, in words (None if they hold every one).
    `stored`: the stored hash of each published head's row id (absent: no such row); `last_id`: the chain's last
    row now. Rows after a head are the chain's to check (each links to the one before)."""
    for published in sorted(heads, key=lambda h: (h.head_id, h.occurred_at), reverse=True):
        when = published.occurred_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        there = stored.get(published.head_id)
        if there is None:
            now = f"the audit trail now ends at row {last_id}" if last_id is not None else "the audit trail is empty"
            return (f"row {published.head_id}, published as the chain's head on {when}, is missing: {now}, so rows "
                    "were cut from its end")
        if there != published.head_hash:
            return (f"row {published.head_id} does not have the hash published for it on {when}: it or a row before "
                    "it was changed and the chain after it rewritten")
    return None


def stored_hashes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    rows = session.exec(select(AuditEntry.id, AuditEntry.hash).where(col(AuditEntry.id).in_(wanted))).all() \
        if wanted else []
    return {row_id: row_hash for row_id, row_hash in rows if row_id is not None}


def current_head(engine: Engine) -> Head | None:
    with Session(engine) as session:
        row = chain_head(session)
    return Head(row.id, row.hash, row.at) if row is not None and row.id is not None else None


def holds(engine: Engine, published: AuditHeadPublished) -> str | None:
    """Whether the stored rows still hold a published head and chain on from it (why not, in words)."""
    with Session(engine) as session:
        result = verify(session, start=(published.head_id, published.head_hash))
    return None if result.ok else f"row {result.broken_id}: {result.problem}"


# --- reading the published heads -------------------------------------------------------------------------

async def read_heads(settings: Settings, chain: str, *, timeout: float = 15.0) -> list[AuditHeadPublished]:
    """Every head of `chain` still on the topic (compaction keeps at least the latest), oldest first.
    Records that are not a head of this chain are passed over. WitnessUnavailableError when they cannot be read."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from faststream.kafka.security import parse_security

    from services.common.broker import kafka_security

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                request_timeout_ms=int(timeout * 1000), **parse_security(kafka_security(settings)))

    async def read() -> list[AuditHeadPublished]:
        await consumer.start()
        partitions = consumer.partitions_for_topic(TOPIC_AUDIT_HEADS)
        if not partitions:
            await consumer.topics()
            partitions = consumer.partitions_for_topic(TOPIC_AUDIT_HEADS)
        if not partitions:
            raise WitnessUnavailableError(f"the topic {TOPIC_AUDIT_HEADS} is missing (`frontdoor topics create`)")
        parts = [TopicPartition(TOPIC_AUDIT_HEADS, p) for p in sorted(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        heads: list[AuditHeadPublished] = []
        while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(*parts, timeout_ms=500)).values():
                heads += [h for r in records if (h := _head_of(r.key, r.value, chain)) is not None]
        return sorted(heads, key=lambda h: h.occurred_at)

    try:
        return await asyncio.wait_for(read(), timeout)
    except WitnessUnavailableError:
        raise
    except (TimeoutError, KafkaError, OSError) as exc:
        raise WitnessUnavailableError(f"the broker at {settings.kafka_bootstrap_servers} did not answer "
                                      f"({type(exc).__name__})") from exc
    finally:
        await consumer.stop()


def _head_of(key: bytes | None, value: bytes | None, chain: str) -> AuditHeadPublished | None:
    if key != chain.encode() or value is None:
        return None
    try:
        head = AuditHeadPublished.model_validate_json(value)
    except ValueError:
        return None
    return head if head.chain == chain else None


def latest(heads: Iterable[AuditHeadPublished]) -> AuditHeadPublished | None:
    return max(heads, key=lambda h: (h.head_id, h.occurred_at), default=None)


# --- publishing --------------------------------------------------------------------------------------------

Publish = Callable[[AuditHeadPublished], Awaitable[None]]


class Witness:
    """One process's publisher of the chain's head (`tick` once per poll; `run` loops). Its collaborators are
    given, so the cadence is tested without a broker or a database."""

    def __init__(self, *, chain: str, every_rows: int, every_seconds: float, head: Callable[[], Head | None],
                 published: Callable[[], Awaitable[AuditHeadPublished | None]],
                 holds: Callable[[AuditHeadPublished], str | None], publish: Publish,
                 clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = utcnow):
        self.chain, self.every_rows, self.every_seconds = chain, every_rows, every_seconds
        self._head, self._published, self._holds, self._publish = head, published, holds, publish
        self._clock, self._now = clock, now
        self.last: tuple[int, float] | None = None  # the head id this process last published or found, and when

    async def tick(self) -> AuditHeadPublished | None:
        """Publish the head if it is due and the stored rows hold the latest published head; return what was
        published."""
        head = await asyncio.to_thread(self._head)
        last_id, since = self.last or (None, 0.0)
        if head is None or not due(head.id, last_id, self._clock() - since, every_rows=self.every_rows,
                                   every_seconds=self.every_seconds):
            return None
        before = await self._published()
        if before is not None and (problem := await asyncio.to_thread(self._holds, before)):
            log.error("audit chain does not hold its published head: head not published (run `frontdoor audit "
                      "verify`)", audit_chain=self.chain, audit_head_id=before.head_id, problems=problem)
            self.last = (head.id, self._clock())
            return None
        if before is not None and before.head_id >= head.id:  # another service published it already
            self.last = (head.id, self._clock())
            return None
        event = head_event(self.chain, head, now=self._now())
        await self._publish(event)
        log.info("audit head published", audit_chain=self.chain, audit_head_id=event.head_id,
                 audit_head_hash=event.head_hash, audit_head_at=event.head_at.isoformat(), topic=TOPIC_AUDIT_HEADS)
        self.last = (head.id, self._clock())
        return event

    async def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        while True:
            try:
                await self.tick()
            except (*TRANSIENT_ERRORS, KafkaError, WitnessUnavailableError) as exc:
                log.warning("audit head not published: a dependency is unavailable", error_type=type(exc).__name__)
            await asyncio.sleep(poll_seconds)


def witness_job(app: Any, settings: Settings, engine: Engine) -> Callable[[], Awaitable[None]]:
    """The background loop for a service that writes audit rows: publishes with the service's broker (started by
    `service_app` before its background loops)."""

    async def publish(event: AuditHeadPublished) -> None:
        broker = app.state.broker
        await broker.publish(event.model_dump_json().encode(), TOPIC_AUDIT_HEADS, key=event.chain.encode(),
                             headers=event_headers(event, source=broker_source(broker)))

    async def published() -> AuditHeadPublished | None:
        return latest(await read_heads(settings, settings.audit_chain))

    witness = Witness(chain=settings.audit_chain, every_rows=settings.audit_witness_rows,
                      every_seconds=settings.audit_witness_minutes * 60, head=lambda: current_head(engine),
                      published=published, holds=lambda h: holds(engine, h), publish=publish)
    return lambda: witness.run(min(POLL_SECONDS, settings.audit_witness_minutes * 60))

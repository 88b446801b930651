"""Operating the dead-letter topics: list what is there (never the payloads), replay records into their
original topic once the cause is fixed, and discard an event that can never succeed. Consumers deduplicate
on event_id, so replaying a record that was in fact processed later changes nothing. A topic is append-only:
a discard is a row in the database (`dead_letter_discards`) that the list and every replay respect; the
event stays in the log. Each event a replay sends is a row too (`dead_letter_replays`: who, when, which copy), so an
event sent again and not failed since is not listed as waiting. services/common/dead_letters.py groups the records
into events and says each one's state (pure)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlmodel import Session, select

from services.common.dead_letters import DeadEvent, Discard, Replay, ReplayPlan, group, replay_plan
from services.common.errors import ConflictError
from services.common.tables import DeadLetterDiscard, DeadLetterReplay


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    original_topic: str
    original_partition: str
    original_offset: str
    error: str
    attempts: str
    size: int
    key_hash: str
    event_id: str | None = None  # the event-id header, as written (the sender's text)
    event_type: str = ""
    at: datetime | None = None  # when it was dead-lettered (the record's timestamp)
    replayed_from: str | None = None  # dlq topic:partition:offset of the copy a replay sent, when it was one

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"


Record = tuple[int, int, bytes | None, bytes | None, dict[str, str], int | None]  # partition, offset, ..., timestamp


async def records(bootstrap: str, topic: str) -> list[Record]:
    """Every record on `topic`, oldest first in each partition (headers decoded as text)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        out = []
        while [tp for tp in parts if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
                    out.append((r.partition, r.offset, r.key, r.value, headers, r.timestamp))
        return out
    finally:
        await consumer.stop()


async def dlq_topics(bootstrap: str) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if t.endswith(".dlq"))
    finally:
        await consumer.stop()


async def list_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    return [
        DeadLetter(topic, partition, offset, h.get("x-original-topic", "?"), h.get("x-original-partition", "?"),
                   h.get("x-original-offset", "?"), h.get("x-error", ""), h.get("x-attempts", "?"), len(value or b""),
                   hashlib.sha256(key or b"").hexdigest()[:8], event_id=h.get("event-id") or h.get("event_id"),
                   event_type=h.get("event-type") or h.get("event_type") or "", at=_at(timestamp),
                   replayed_from=h.get("x-replayed-from"))
        for partition, offset, key, value, h, timestamp in await records(bootstrap, topic)
    ]


def _at(timestamp_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc) if timestamp_ms and timestamp_ms > 0 else None


async def replay(bootstrap: str, topic: str, ids: set[str] | None = None) -> int:
    """Publish the chosen records (all when `ids` is None) to their original topics, key unchanged. Callers choose
    with `dead_letters.replay_plan`, so each event is sent once and a discarded one never."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent = 0
    try:
        for partition, offset, key, value, headers, _ in await records(bootstrap, topic):
            if ids is not None and f"{partition}:{offset}" not in ids:
                continue
            original = headers.get("x-original-topic")
            if not original:
                continue
            keep = [(k, v.encode()) for k, v in headers.items() if not k.startswith("x-")]
            replayed_from = ("x-replayed-from", f"{topic}:{partition}:{offset}".encode())
            await producer.send_and_wait(original, value, key=key, headers=[*keep, replayed_from])
            sent += 1
    finally:
        await producer.stop()
    return sent


async def events(bootstrap: str, topic: str, session_factory: Callable[[], Session]) -> list[DeadEvent]:
    """The events on one dead-letter topic, one per event id, with the discards and replays the database holds."""
    letters = await list_dead_letters(bootstrap, topic)
    with session_factory() as session:
        return group(letters, discards(session, topic=topic), replays(session, topic=topic))


class DiscardedChosenError(ConflictError):
    """A replay that chose a discarded event: nothing is sent."""

    def __init__(self, refused: tuple[DeadEvent, ...], message: str) -> None:
        super().__init__(message)
        self.refused = refused


def replay_recorded(session: Session, found: Sequence[DeadEvent], chosen: set[str] | None, *, topic: str,
                    send: Callable[[set[str]], int], replay_id: uuid.UUID, by: str, by_name: str | None,
                    now: Callable[[], datetime], refused: Callable[[DeadEvent], str]) -> tuple[ReplayPlan, int]:
    """A replay as one use case: the plan (`replay_plan`: the newest copy of each chosen event once; None: every
    event waiting), refused whole when a chosen event was discarded (`refused` says so in words); else a row per event
    sent (`dead_letter_replays`, one `replay_id`, the time taken before sending), then `send` (blocking; it raises
    when the broker fails, and the rows go with the caller's transaction). Returns the plan and how many were sent."""
    plan = replay_plan(found, chosen)
    if plan.refused:
        raise DiscardedChosenError(plan.refused, refused(plan.refused[0]))
    if not plan.send:
        return plan, 0
    at = now()
    for event in plan.events:
        session.add(DeadLetterReplay(replay_id=replay_id, event_id=event.event_id, dlq_topic=topic, sent=event.latest,
                                     by=by[:200], by_name=by_name, at=at))
    session.flush()
    return plan, send(plan.send)


def replays(session: Session, *, topic: str | None = None) -> list[Replay]:
    """Every event sent again, each replay of it (of one dead-letter topic, when given)."""
    query = select(DeadLetterReplay)
    if topic is not None:
        query = query.where(DeadLetterReplay.dlq_topic == topic)
    return [Replay(row.event_id, row.at, row.by_name, sent=row.sent, dlq_topic=row.dlq_topic)
            for row in session.exec(query).all()]


def discards(session: Session, *, topic: str | None = None) -> dict[uuid.UUID, Discard]:
    """Every discarded event (of one dead-letter topic, when given), by event id."""
    query = select(DeadLetterDiscard)
    if topic is not None:
        query = query.where(DeadLetterDiscard.dlq_topic == topic)
    return {row.event_id: Discard(row.event_id, row.reason, row.by_name, row.at, row.dlq_topic, row.event_type)
            for row in session.exec(query).all()}


class AlreadyDiscardedError(ConflictError):
    message = "This event was discarded already: it will not be offered again"


def discard(session: Session, event: DeadEvent, *, reason: str, by: str, by_name: str | None,
            now: datetime) -> DeadLetterDiscard:
    """Record that `event` will never be offered for replay again (409 if it was discarded already)."""
    if session.get(DeadLetterDiscard, event.event_id) is not None:
        raise AlreadyDiscardedError()
    row = DeadLetterDiscard(event_id=event.event_id, dlq_topic=event.dlq_topic, event_type=event.event_type[:100],
                            reason=reason, by=by[:200], by_name=by_name, at=now)
    session.add(row)
    session.flush()
    return row

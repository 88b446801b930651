"""Every topic Front Door uses, for declaring them up front (partitions keyed by child_id)."""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas import (
    TOPIC_CHILDREN,
    TOPIC_DECISIONS,
    TOPIC_DSR_CHANGES,
    TOPIC_OUTCOMES,
    TOPIC_SUBMITTED,
    dlq_topic,
    queue_topic,
)
from schemas.audit import TOPIC_AUDIT_HEADS
from schemas.enums import Service

MAIN_TOPICS = [TOPIC_SUBMITTED, TOPIC_DECISIONS, TOPIC_OUTCOMES, TOPIC_DSR_CHANGES, TOPIC_CHILDREN,
               *(queue_topic(s) for s in Service), TOPIC_AUDIT_HEADS]
DAY_MS = 24 * 60 * 60 * 1000
# How long the broker keeps a record (retention.ms), set when `frontdoor topics create` makes a topic
# (deploy/topics.yaml says the same; the AsyncAPI document's channel bindings show it). Every consumer keeps what it
# needs in its own database and never reads a topic again from the start, so a topic holds records only for
# recovery: 7 days covers a consumer down over a long bank-holiday weekend and the working days to mend it, and no
# more, as the records carry children's personal details (names, dates of birth, NHS numbers, the reason for the
# referral); it is also Kafka's own default (log.retention.hours=168). A dead letter waits for a person to find why
# it failed, mend it and replay it (the front door's dead-letters page, `frontdoor dlq`), which may take longer:
# 28 days.
RETENTION_MS = 7 * DAY_MS
DEAD_LETTER_RETENTION_MS = 28 * DAY_MS
# Topics made with settings of their own: the audit witness keeps the latest head of each chain (key) for good
# (compacted, never deleted by age); every other topic is deleted by age.
TOPIC_CONFIGS: dict[str, dict[str, str]] = (
    {t: {"retention.ms": str(RETENTION_MS)} for t in MAIN_TOPICS}
    | {dlq_topic(t): {"retention.ms": str(DEAD_LETTER_RETENTION_MS)} for t in MAIN_TOPICS}
    | {TOPIC_AUDIT_HEADS: {"cleanup.policy": "compact"}})


def all_topics(partitions: int) -> dict[str, int]:
    """Main topics with `partitions` each (the audit witness one); their dead-letter topics with one."""
    return ({t: partitions for t in MAIN_TOPICS} | {TOPIC_AUDIT_HEADS: 1}
            | {dlq_topic(t): 1 for t in MAIN_TOPICS})


async def ensure_topics(bootstrap: str, topics: dict[str, int], *, timeout: float = 30.0) -> None:
    """Create missing topics with the given partition counts and their TOPIC_CONFIGS (existing ones are left alone:
    change a topic's settings with the broker's own tools)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    deadline = time.monotonic() + timeout
    while True:
        try:
            await admin.start()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, num_partitions=n, replication_factor=1, topic_configs=TOPIC_CONFIGS.get(name))
                   for name, n in topics.items() if name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()

"""Every topic Front Door uses, for declaring them up front (partitions keyed by child_id)."""

from __future__ import annotations

from schemas import TOPIC_DECISIONS, TOPIC_DSR_CHANGES, TOPIC_OUTCOMES, TOPIC_SUBMITTED, dlq_topic, queue_topic
from schemas.enums import Service

MAIN_TOPICS = [TOPIC_SUBMITTED, TOPIC_DECISIONS, TOPIC_OUTCOMES, TOPIC_DSR_CHANGES, *(queue_topic(s) for s in Service)]


def all_topics(partitions: int) -> dict[str, int]:
    """Main topics with `partitions` each; their dead-letter topics with one."""
    return {t: partitions for t in MAIN_TOPICS} | {dlq_topic(t): 1 for t in MAIN_TOPICS}

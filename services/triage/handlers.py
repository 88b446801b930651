"""Triage's consumer: for each record of a batch, decode it once, decide (or apply a person's decision),
publish the decision, one request per new route and one withdrawal per request a person took away; a bad
record goes to the DLQ and the rest of the batch goes on. The batch is
committed only once every send of it (acks=all) is confirmed, so throughput is not bound by one broker
round trip per message. Triage keeps no state and reads no clock: every output's id and time come from the
input event, so redelivered input (a retry, a replay from the dead-letter topic days later, intake's redrive)
yields the very same events, byte for byte."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaBroker, KafkaMessage
from prometheus_client import Counter

from schemas import (
    TOPIC_DECISIONS,
    TOPIC_OUTCOMES,
    TOPIC_SUBMITTED,
    OverrideRequested,
    ReferralRedirected,
    ReferralSubmitted,
    ServiceOutcome,
    ServiceRequestCreated,
    TriageDecided,
    TriageOverridden,
    queue_topic,
)
from schemas.enums import Service
from services.common import faults
from services.common.broker import event_headers, event_source, raw_bodies, subscriber_options
from services.common.consumer_errors import dead_letter
from services.common.consuming import LaterVersion, consumer_router, event_adapter, kind_of
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.transient import is_transient
from services.policy.ruleset import Ruleset
from services.triage.outputs import Published, triage, triage_redirect
from services.triage.overrides import apply_override

log = get_logger("frontdoor.triage")
DECISIONS = Counter("frontdoor_triage_decisions", "Triage decisions by outcome", ["outcome"])
ROUTES = Counter("frontdoor_triage_routes", "Routes decided by service and priority", ["service", "priority"])
OVERRIDES = Counter("frontdoor_triage_overrides", "A person's decisions applied")
BATCH_RECORDS = 500
# The referrals topic carries new referrals, redirects and a person's decisions (same key: one child's
# events in order).
INPUT = event_adapter(ReferralSubmitted, ReferralRedirected, OverrideRequested)
Outputs = tuple[TriageDecided | TriageOverridden, list[ServiceRequestCreated], list[ServiceOutcome]]


def _nothing_withdrawn(react: Callable[..., Published]) -> Callable[..., Outputs]:
    return lambda event, ruleset, now: (*react(event, ruleset, now=now), [])


REACTIONS: dict[str, Callable[..., Outputs]] = {
    "referral.submitted": _nothing_withdrawn(triage), "referral.redirected": _nothing_withdrawn(triage_redirect),
    "referral.override_requested": apply_override,
}


SOURCE = event_source("frontdoor-triage")


def decide_record(body: bytes, ruleset: Ruleset) -> Outputs:
    """One record's events: its decision, a request per new route and a withdrawal per request taken
    away (only a person's decision takes any away). Raises on a record that is not a valid referral
    event (or that the engine cannot decide): a permanent error, for the DLQ.

    Every output occurs at the input's `occurred_at`, never at the time triage read it: when the referral was
    received (its statutory clock, so its due dates, start then), redirected or decided by a person. A record
    replayed from the dead-letter topic days later keeps its original times, so its due dates may be near or past."""
    event = INPUT.validate_json(body)
    return REACTIONS[kind_of(event)](event, ruleset, now=event.occurred_at)


def build_router(settings: Settings, ruleset: Ruleset) -> KafkaRouter:
    router = consumer_router()
    decisions = router.publisher(TOPIC_DECISIONS, schema=TriageDecided, title="triage.decided")
    overridden = router.publisher(TOPIC_DECISIONS, schema=TriageOverridden, title="triage.overridden")
    outcomes = router.publisher(TOPIC_OUTCOMES, schema=ServiceOutcome, title="service_request.withdrawn")
    queues = {
        s.value: router.publisher(
            queue_topic(s), schema=ServiceRequestCreated, title=f"service_request.created ({s.value})"
        )
        for s in Service
    }

    async def publish(outputs: Outputs) -> list[Any]:
        """Send without waiting for the broker's confirmation; the caller awaits the returned futures."""
        decided, requests, withdrawn = outputs
        key = str(decided.child_id).encode()
        sends = [(overridden if isinstance(decided, TriageOverridden) else decisions, decided)]
        sends += [(queues[r.service.value], r) for r in requests] + [(outcomes, w) for w in withdrawn]
        return [
            await to.publish(e.model_dump_json().encode(), key=key, headers=event_headers(e, source=SOURCE),
                             no_confirm=True)
            for to, e in sends
        ]

    @router.subscriber(
        TOPIC_SUBMITTED, title="referral.submitted",
        description="Payload: ReferralSubmitted, ReferralRedirected or OverrideRequested (schemas/json/)",
        batch=True, max_records=BATCH_RECORDS, batch_timeout_ms=20, decoder=raw_bodies,
        **subscriber_options(settings, "triage"),
    )
    async def on_referrals_submitted(bodies: list[bytes], message: KafkaMessage, broker: KafkaBroker) -> None:
        sends = []
        for record in message.raw_message:
            with structlog.contextvars.bound_contextvars(partition=record.partition, offset=record.offset):
                try:
                    outputs = decide_record(record.value or b"", ruleset)
                except LaterVersion as later:  # for readers of a later major version: passed by
                    log.info("record passed by", reason=str(later))
                    continue
                except Exception as exc:  # a bad record: dead-letter it, keep the rest of the batch
                    if is_transient(exc):
                        raise
                    sends.append(await dead_letter(broker, record, exc, confirm=False))
                    continue
            sends += await publish(outputs)
            _count(*outputs)
        await asyncio.gather(*sends)  # every send confirmed (acks=all) before the batch is committed
        for partition, offsets in _by_partition(message.raw_message).items():
            log.info("batch decided", partition=partition, offset=offsets[0], count=len(offsets))
        faults.after_commit("triage")

    return router


def _count(decided: TriageDecided | TriageOverridden, requests: list[ServiceRequestCreated], _: Any) -> None:
    if isinstance(decided, TriageOverridden):  # a person's decision: counted apart, its new routes only
        OVERRIDES.inc()
    else:
        DECISIONS.labels(decided.outcome.value).inc()
    for route in requests:
        ROUTES.labels(route.service.value, route.priority.value).inc()


def _by_partition(records: Any) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for record in records:
        out.setdefault(record.partition, []).append(record.offset)
    return out

"""The DSR consumer (its own group) on decisions and service outcomes: decode, apply in one
transaction with the event id, done. Offsets are committed only after that transaction."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime

from faststream.kafka import KafkaRouter
from sqlalchemy import Engine

from schemas import TOPIC_DECISIONS, TOPIC_OUTCOMES, ServiceOutcome, TriageDecided
from services.common import faults
from services.common.broker import raw_bodies, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES, PermanentError
from services.common.db import session_scope
from services.common.settings import Settings
from services.common.tables import utcnow
from services.common.workdays import WorkingCalendar
from services.dsr.service import Clock, apply_decision, apply_outcome


def apply_event(engine: Engine, body: bytes, clock: Clock) -> bool:
    """Apply one record's event to the register. Raises on a record that is not a known event."""
    kind = json.loads(body).get("event_type", "") if body else ""
    with session_scope(engine) as session:
        if kind == "triage.decided":
            applied = apply_decision(session, TriageDecided.model_validate_json(body), clock)
        elif isinstance(kind, str) and kind.startswith("service_request."):
            applied = apply_outcome(session, ServiceOutcome.model_validate_json(body), clock)
        else:
            raise PermanentError("not an event the register consumes")
    if applied:
        faults.after_commit("dsr")
    return applied


def build_router(settings: Settings, engine: Engine, now: Callable[[], datetime] = utcnow) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)
    calendar = WorkingCalendar()

    @router.subscriber(
        TOPIC_DECISIONS, TOPIC_OUTCOMES, title="triage.decided and service outcomes (dsr)", decoder=raw_bodies,
        description="Payloads: TriageDecided, ServiceOutcome", **subscriber_options(settings, "dsr"),
    )
    async def on_decision_or_outcome(body: bytes) -> None:
        await asyncio.to_thread(apply_event, engine, body, Clock(now(), calendar))

    return router

"""Intake's consumer of decisions and service outcomes: keeps each referral's decision, its service
requests' status and the child's timeline for the referrer; sends redirects back to triage."""

from __future__ import annotations

import asyncio
import json

from faststream.kafka import KafkaRouter
from sqlalchemy import Engine

from schemas import TOPIC_DECISIONS, TOPIC_OUTCOMES, ServiceOutcome, TriageDecided
from services.common import faults
from services.common.broker import raw_bodies, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES, PermanentError
from services.common.db import session_scope
from services.common.settings import Settings
from services.common.tables import utcnow
from services.intake.service import apply_decision, apply_outcome


def apply_event(engine: Engine, body: bytes) -> bool:
    kind = json.loads(body).get("event_type", "") if body else ""
    with session_scope(engine) as session:
        if kind == "triage.decided":
            applied = apply_decision(session, TriageDecided.model_validate_json(body))
        elif isinstance(kind, str) and kind.startswith("service_request."):
            applied = apply_outcome(session, ServiceOutcome.model_validate_json(body), now=utcnow())
        else:
            raise PermanentError("not an event intake consumes")
    if applied:
        faults.after_commit("intake")
    return applied


def build_router(settings: Settings, engine: Engine) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)

    @router.subscriber(
        TOPIC_DECISIONS, TOPIC_OUTCOMES, title="triage.decided and service outcomes (intake)", decoder=raw_bodies,
        description="Payloads: TriageDecided, ServiceOutcome", **subscriber_options(settings, "intake"),
    )
    async def on_decision_or_outcome(body: bytes) -> None:
        await asyncio.to_thread(apply_event, engine, body)

    return router

"""The DSR service put together: the meeting's API, the outbox relay, the register's consumer (its own
group) on triage decisions and service outcomes, and a second group on the children topic: entries follow
a merge of two child records and its undo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from pydantic import BaseModel
from sqlalchemy import Engine

from schemas import (
    TOPIC_CHILDREN,
    TOPIC_DECISIONS,
    TOPIC_OUTCOMES,
    ChildMerged,
    ChildUnmerged,
    EmergencyUnanswered,
    ServiceOutcome,
    TriageDecided,
    TriageOverridden,
)
from schemas.events import WORK_ON_DECISIONS, WORK_ON_OUTCOMES
from services.common import who_saw_routes
from services.common.audit_witness import witness_job
from services.common.broker import make_broker
from services.common.consuming import Handler, consumer_router, event_consumer
from services.common.db import make_engine
from services.common.runtime import service_app
from services.common.settings import Settings
from services.common.tables import utcnow
from services.common.workdays import WorkingCalendar
from services.dsr import children, handlers
from services.dsr.direct_routes import router as direct_router
from services.dsr.notes_routes import router as notes_router
from services.dsr.pack_routes import router as pack_router
from services.dsr.routes import router
from services.dsr.search_routes import router as search_router
from services.policy.ruleset.in_force import ruleset_in_force

CONSUMER = "dsr.register"  # the processed-event consumer name (kept from before the handling kit)
HANDLERS: dict[str, Handler] = {
    "triage.decided": handlers.apply_decision, "triage.overridden": handlers.apply_override,
    "referral.emergency_unanswered": handlers.ignore, "service_request.*": handlers.apply_outcome,
    # who holds a piece of work and its notes are the front door's and the services' own, not the register's
    "referral.assigned": handlers.ignore, "referral.note_added": handlers.ignore,
    "service_request.assigned": handlers.ignore, "service_request.note_added": handlers.ignore,
}
MODELS: tuple[type[BaseModel], ...] = (TriageDecided, TriageOverridden, EmergencyUnanswered, ServiceOutcome,
                                       *WORK_ON_DECISIONS, *WORK_ON_OUTCOMES)
CHILDREN_CONSUMER = "dsr.children"
CHILDREN_HANDLERS: dict[str, Handler] = {
    "child.merged": children.follow_merge, "child.unmerged": children.follow_unmerge,
}
CHILDREN_MODELS = (ChildMerged, ChildUnmerged)


def build_router(settings: Settings, engine: Engine, now: Callable[[], datetime] = utcnow) -> KafkaRouter:
    """The register's consumers: a candidate decision makes or updates an entry; an outcome goes on its
    timeline (group dsr); a merge of two child records moves the merged child's entries, its undo moves
    them back (group dsr.children)."""
    consumer = consumer_router()
    event_consumer(
        consumer, TOPIC_DECISIONS, TOPIC_OUTCOMES, settings=settings, engine=engine, group="dsr", consumer=CONSUMER,
        handlers=HANDLERS, models=MODELS, title="triage.decided and service outcomes (dsr)", now=now,
    )
    event_consumer(
        consumer, TOPIC_CHILDREN, settings=settings, engine=engine, group="dsr.children", consumer=CHILDREN_CONSUMER,
        handlers=CHILDREN_HANDLERS, models=CHILDREN_MODELS, title="child.merged and child.unmerged (dsr.children)",
        now=now,
    )
    return consumer


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)

    def build_broker() -> KafkaBroker:
        return make_broker(settings, client_id="frontdoor-dsr", routers=(build_router(settings, engine),))

    app = service_app("Front Door DSR", settings, build_broker, engine=engine, relay=True, version="1",
                      background=lambda: [witness_job(app, settings, engine)])
    app.state.calendar = WorkingCalendar()
    app.state.ruleset = ruleset_in_force(settings.ruleset_path)  # its dsr.ratings suggest a direct addition's rating
    app.include_router(pack_router)  # a fixed path under /dsr/, before any /dsr/{...}
    app.include_router(search_router)  # a fixed path under /dsr/
    app.include_router(router)
    app.include_router(notes_router)
    app.include_router(direct_router)
    app.include_router(who_saw_routes.router)
    return app

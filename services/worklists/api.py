"""The worklists service: one consumer group per service materialising its queue, the workers' API
(role `worker:<service>`, own service only) and the breach job."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Path, Query
from faststream.kafka import KafkaBroker, KafkaRouter
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import Engine
from sqlmodel import Session

from schemas import ServiceRequestCreated, queue_topic
from schemas.enums import Service
from services.common import faults
from services.common.auth import Principal, authenticated, require
from services.common.broker import make_broker, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES
from services.common.db import make_engine, session_scope
from services.common.logging import get_logger
from services.common.runtime import every, service_app, wake_relay
from services.common.settings import Settings
from services.common.tables import AuditEntry, utcnow
from services.worklists import service
from services.worklists.rules import ActionRefusedError

log = get_logger("frontdoor.worklists")
T = TypeVar("T")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclineForm(Form):
    reason: Reason
    signpost: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class RedirectForm(Form):
    redirect_to: Service
    reason: Reason


class NoteForm(Form):
    reason: Reason | None = None


class HeldDecisionForm(Form):
    decision: Literal["release", "decline"]
    reason: Reason


ServicePath = Annotated[Service, Path(description="safeguarding, semh, counselling, salt or early_help")]


def service_worker(service_name: ServicePath, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    """Admit only the path's service's workers (another service's worker, a referrer, anyone else: 403),
    checked before the body is even read."""
    if f"worker:{service_name.value}" not in principal.roles:
        raise HTTPException(403, "only this service's workers can use its worklist")
    return principal


Worker = Annotated[Principal, Depends(service_worker)]  # type: ignore[misc]
Mash = Annotated[Principal, Depends(require("worker:safeguarding"))]


def build_brokers(settings: Settings, engine: Engine) -> list[KafkaBroker]:
    """One broker and consumer group per service queue (<prefix>.worklists.<service>)."""
    brokers = []
    for svc in Service:
        broker = make_broker(settings, client_id=f"frontdoor-worklists-{svc.value}")
        broker.include_router(_queue_router(svc, settings, engine))
        brokers.append(broker)
    return brokers


def _queue_router(svc: Service, settings: Settings, engine: Engine) -> KafkaRouter:
    router = KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)

    def apply(event: ServiceRequestCreated) -> None:
        with session_scope(engine) as session:
            applied = service.receive(session, event)
        if applied:
            faults.after_commit("worklists")

    @router.subscriber(queue_topic(svc), title=f"service_request.created (worklists.{svc.value})", **subscriber_options(settings, f"worklists.{svc.value}"))
    async def on_request(event: ServiceRequestCreated) -> None:
        await asyncio.to_thread(apply, event)

    return router


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)

    breach_job = every(settings.breach_check_seconds, lambda: run_breach_check(engine), what="breach check",
                       then=lambda marked: wake_relay(app) if marked else None)
    app = service_app(
        "Front Door worklists", settings, lambda: build_brokers(settings, engine), engine=engine, relay=True,
        background=lambda: [breach_job], version="1",
    )

    async def run(fn: Callable[[Session], T], by: Principal, action: str, record: uuid.UUID | None = None) -> T:
        def work() -> T:
            with session_scope(engine) as session:
                session.add(AuditEntry(actor=by.subject, role=by.primary_role, action=f"worklist.{action}", record_id=record))
                return fn(session)

        try:
            result = await asyncio.to_thread(work)
        except service.NotFoundError:
            raise HTTPException(404, "No request of this service has this id") from None
        except ActionRefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        wake_relay(app)
        return result

    @app.get("/worklists/{service_name}")
    async def get_worklist(
        service_name: ServicePath, by: Worker, pathway: str | None = None,
        status: Annotated[Literal["created", "accepted", "declined", "redirected", "completed"] | None, Query()] = None,
        held: bool | None = None,
    ) -> list[dict[str, Any]]:
        return await run(lambda s: service.worklist(s, service_name.value, utcnow(), pathway=pathway, status=status, held=held), by, "list")

    @app.get("/worklists/{service_name}/requests/{request_id}")
    async def get_request(service_name: ServicePath, request_id: uuid.UUID, by: Worker) -> dict[str, Any]:
        return await run(lambda s: service.view(s, service_name.value, request_id, utcnow()), by, "read", request_id)

    async def act(service_name: Service, request_id: uuid.UUID, name: str, by: Principal, **fields: Any) -> dict[str, str]:
        item = await run(lambda s: service.act(s, service_name.value, request_id, name, by=by.subject, now=utcnow(), **fields), by, name, request_id)
        return {"service_request_id": str(item.id), "status": item.status}

    @app.post("/worklists/{service_name}/requests/{request_id}/accept")
    async def accept(service_name: ServicePath, request_id: uuid.UUID, form: NoteForm, by: Worker) -> dict[str, str]:
        return await act(service_name, request_id, "accept", by, reason=form.reason)

    @app.post("/worklists/{service_name}/requests/{request_id}/decline")
    async def decline(service_name: ServicePath, request_id: uuid.UUID, form: DeclineForm, by: Worker) -> dict[str, str]:
        """A reason and a signpost (where the family can go instead) are both required."""
        return await act(service_name, request_id, "decline", by, reason=form.reason, signpost=form.signpost)

    @app.post("/worklists/{service_name}/requests/{request_id}/redirect")
    async def redirect(service_name: ServicePath, request_id: uuid.UUID, form: RedirectForm, by: Worker) -> dict[str, str]:
        """Triage decides again for the target service only and a new request lands on its queue."""
        return await act(service_name, request_id, "redirect", by, reason=form.reason, redirect_to=form.redirect_to.value)

    @app.post("/worklists/{service_name}/requests/{request_id}/complete")
    async def complete(service_name: ServicePath, request_id: uuid.UUID, form: NoteForm, by: Worker) -> dict[str, str]:
        return await act(service_name, request_id, "complete", by, reason=form.reason)

    @app.get("/worklists/safeguarding/referrals/{referral_id}/held")
    async def get_held(referral_id: uuid.UUID, by: Mash) -> list[dict[str, Any]]:
        return await run(lambda s: service.held_for_referral(s, referral_id, utcnow()), by, "held", referral_id)

    @app.post("/worklists/safeguarding/referrals/{referral_id}/held")
    async def post_held(referral_id: uuid.UUID, form: HeldDecisionForm, by: Mash) -> dict[str, Any]:
        count = await run(lambda s: service.decide_held(s, referral_id, form.decision, by=by.subject, now=utcnow(), reason=form.reason),
                          by, f"held.{form.decision}", referral_id)
        return {"decision": form.decision, "requests": count}

    @app.get("/worklists/{service_name}/breaches")
    async def get_breaches(service_name: ServicePath, by: Worker) -> dict[str, Any]:
        counts = await run(service.breach_counts, by, "breaches")
        return {"service": service_name.value, "breaches": counts[service_name.value]}

    return app


def run_breach_check(engine: Engine) -> int:
    with session_scope(engine) as session:
        return service.mark_breaches(session, utcnow())


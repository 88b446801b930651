"""The dead letters of referral events over HTTP: the front door and an administrator read them (one row per
event, however many times it failed): waiting, sent again or discarded; only an administrator replays one (each
replay recorded and audited: who, when, which events) or discards one that can never succeed (with a reason: it
stays in the log, append-only, but is never offered again). HTTP only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session

from schemas.labels import day
from schemas.views.front_door import DeadLetters, Discarded, Replayed
from services.common import answers, dlq_tools
from services.common.auth import Principal, require
from services.common.dead_letters import DeadEvent, ReplayPlan
from services.common.errors import NotFoundError
from services.common.http import TypedText
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tables import utcnow
from services.common.transactions import NOBODY, AuditedRoute, Subject, in_transaction
from services.intake.dead_letters import views

log = get_logger("frontdoor.intake.dead_letters")
router = APIRouter(prefix="/front-door", tags=["front door"], route_class=AuditedRoute, responses=answers.SIGNED_IN)
DeadLetterReader = Annotated[Principal, Depends(require("front_door", "admin"))]
Admin = Annotated[Principal, Depends(require("admin"))]
DLQ_READ_SECONDS = 10.0
DeadLetterId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}:[0-9]{1,18}$")]  # partition:offset
REASON_LENGTH = 10  # the shortest reason for discarding an event (trimmed)
NO_BROKER = "The message broker did not answer; nothing was changed"
NOT_REPLAYED = "The message broker did not answer; nothing was replayed"


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplayForm(Form):
    topic: Literal["frontdoor.referrals.submitted.dlq", "frontdoor.triage.decisions.dlq"]
    ids: Annotated[list[DeadLetterId], Field(min_length=1, max_length=500)]


class DiscardForm(Form):
    event_id: uuid.UUID
    reason: Annotated[str, TypedText(REASON_LENGTH, 2000)]


def bootstrap_of(request: Request) -> str:
    settings: Settings = request.app.state.verifier.settings
    return settings.kafka_bootstrap_servers


@router.get("/dead-letters", response_model=DeadLetters, responses=answers.of(422))
async def get_dead_letters(request: Request, by: DeadLetterReader,
                           show: Literal["waiting", "sent_again", "discarded"] = "waiting") -> dict[str, Any]:
    """Referral events on the dead-letter topics, one per event (how many times it failed, its last error): those
    waiting for an administrator (never sent again, or failed again after their last replay), those sent again and
    not failed since (`show=sent_again`, with who and when), or those discarded (`show=discarded`, with who, when
    and why); the count of each. Never content."""
    letters = await read_dead_letters(bootstrap_of(request))

    def read(session: Session) -> dict[str, Any]:
        return views.listed(session, letters, showing=show)

    return await in_transaction(request, read, by=by, action="front_door.dead_letters", about=NOBODY)


@router.post("/dead-letters/replay", response_model=Replayed,
             responses=answers.of(409, 413, 422, 503, d409="an event chosen was discarded: nothing was replayed"))
async def post_replay(form: ReplayForm, request: Request, by: Admin) -> dict[str, Any]:
    """Publish the chosen dead letters to their original topic again: the newest copy of each event, once
    (consumers deduplicate on event id). Each event sent is recorded (dead_letter_replays: who, when, which copy)
    in the transaction of the replay's audit row (its record id: the replay's id); it then reads as sent again
    until it fails again. Refused (409, nothing sent) when an event chosen was discarded; 503 when the broker
    fails (nothing recorded)."""
    bootstrap = bootstrap_of(request)
    letters = await read_dead_letters(bootstrap, (form.topic,))
    if letters is None:
        raise HTTPException(503, NOT_REPLAYED)
    replay_id = uuid.uuid4()

    def send(copies: set[str]) -> int:
        """In the use case's worker thread (no event loop runs there): the rows commit only once it is sent."""
        async def timed() -> int:
            async with asyncio.timeout(DLQ_READ_SECONDS * 3):
                return await dlq_tools.replay(bootstrap, form.topic, copies)
        try:
            return asyncio.run(timed())
        except (TimeoutError, KafkaError, OSError) as exc:
            log.warning("dead letters could not be replayed", error_type=type(exc).__name__)
            raise HTTPException(503, NOT_REPLAYED) from None

    def use_case(session: Session) -> tuple[ReplayPlan, int]:
        return dlq_tools.replay_recorded(session, views.events(session, letters), set(form.ids), topic=form.topic,
                                         send=send, replay_id=replay_id, by=by.subject, by_name=by.name, now=utcnow,
                                         refused=discarded_already)

    _, sent = await in_transaction(request, use_case, by=by, action="front_door.dead_letters.replay",
                                   about=lambda done: Subject(record_id=replay_id) if done[0].events else NOBODY)
    log.info("dead letters replayed", topic=form.topic, asked=len(form.ids), replayed=sent)
    return {"topic": form.topic, "asked": len(form.ids), "replayed": sent}


def discarded_already(event: DeadEvent) -> str:
    when = f" on {day(event.discarded.at)}" if event.discarded else ""
    return f"This event was discarded{when}: it stays in the log but will not be offered again"


@router.post("/dead-letters/discard", status_code=201, response_model=Discarded,
             responses=answers.of(404, 409, 413, 422, 503, d404="no such event on the dead-letter topics",
                                  d409="the event was discarded already"))
async def post_discard(form: DiscardForm, request: Request, by: Admin) -> dict[str, Any]:
    """Discard a dead-lettered event that can never succeed, with the reason: it stays in the log (a topic is
    append-only) but is never listed as waiting or replayed again. Who, when and why are kept and shown."""
    letters = await read_dead_letters(bootstrap_of(request))
    if letters is None:
        raise HTTPException(503, NO_BROKER)

    def use_case(session: Session) -> Any:
        event = next((e for e in views.events(session, letters) if e.event_id == form.event_id and e.copies), None)
        if event is None:
            raise NotFoundError("There is no such event on the dead-letter topics")
        return dlq_tools.discard(session, event, reason=form.reason, by=by.subject, by_name=by.name, now=utcnow())

    row = await in_transaction(request, use_case, by=by, action="front_door.dead_letters.discard",
                               about=Subject(record_id=form.event_id))
    log.info("dead letter discarded", topic=row.dlq_topic)
    return {"event_id": str(row.event_id), "topic": row.dlq_topic, "by_name": row.by_name, "at": row.at.isoformat(),
            "reason": row.reason}


async def read_dead_letters(bootstrap: str,
                            topics: tuple[str, ...] = views.DLQ_TOPICS) -> list[dlq_tools.DeadLetter] | None:
    """The records on the dead-letter topics of referral events, or None when the broker cannot be read in time."""
    try:
        async with asyncio.timeout(DLQ_READ_SECONDS):
            return [letter for topic in topics for letter in await dlq_tools.list_dead_letters(bootstrap, topic)]
    except (TimeoutError, KafkaError, OSError) as exc:
        log.warning("dead letters could not be read", error_type=type(exc).__name__)
        return None

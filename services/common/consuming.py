"""The consumer side of the handling kit: one subscriber per service that decodes each record once,
applies it in one transaction with its event id, and logs one line with the outcome.

    event_consumer(router, TOPIC_DECISIONS, TOPIC_OUTCOMES, settings=settings, engine=engine,
                   group="dsr", consumer="dsr.register", handlers={"triage.decided": ..., ...})

A handler is `(session, event, now) -> bool`: True when it changed something (the transaction
commits, with the event id recorded); False when the event means nothing here (the transaction is
rolled back, so nothing at all is written). A redelivered event never reaches its handler. Bad
records (not JSON, not a known event, invalid) raise and go to the DLQ through the router's
middleware; a database outage raises a transient error and the same record is tried again."""

from __future__ import annotations

import asyncio
import enum
import json
import os
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Union

from faststream.kafka import KafkaRouter
from pydantic import BaseModel, Discriminator, Tag, TypeAdapter, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from schemas.events import SCHEMA_VERSION, WRITTEN_ALWAYS
from services.common import faults
from services.common.broker import raw_bodies, subscriber_options
from services.common.consumer_errors import CONSUMER_MIDDLEWARES
from services.common.idempotency import first_delivery
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tables import utcnow
from services.common.transient import PermanentError

log = get_logger("frontdoor.consumer")
Handler = Callable[[Session, Any, datetime], bool]


def event_types(model: type[BaseModel]) -> tuple[str, ...]:
    """The `event_type` values a model accepts (a Literal, or every member of an enum)."""
    annotation = model.model_fields["event_type"].annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(m.value) for m in annotation)
    return tuple(str(v) for v in typing.get_args(annotation))


class LaterVersion(Exception):  # noqa: N818 - not an error: a record for readers of a later major version
    """A record whose `schema_version` is a later major version than this code reads: passed by, neither applied
    nor dead-lettered (the README's versioning policy: producers write both majors while readers move over)."""


class WireDecoder:
    """The wire boundary: an event's bytes decoded in pydantic's strict mode, so a record is accepted only as the
    exported JSON Schema says it (no "5" for 5, no 1 for true, no number for a time, nothing trimmed). Tolerant
    input is intake's business (schemas.referral.TolerantInput), never a consumer's.

    The models default `event_type` and `schema_version` for a Python producer; the documents require both on
    every record, and so does this decoder: a record without them is refused with `<field>: missing` (the dead
    letter's x-error), never pydantic's `union_tag_not_found`."""

    def __init__(self, adapter: TypeAdapter[Any]) -> None:
        self.adapter = adapter

    def validate_json(self, body: bytes | str) -> Any:
        try:
            event = self.adapter.validate_json(body, strict=True)
        except ValidationError as exc:
            later_version(_version_of(body))  # a later major's record need not be valid as this major's
            raise _without_tag(exc) from None
        later_version(event.schema_version)
        if missing := [name for name in WRITTEN_ALWAYS if name not in event.model_fields_set]:
            raise _missing(type(event).__name__, missing, {})
        return event


def later_version(version: Any) -> None:
    """LaterVersion when `version` is a whole number above the major version this code reads (SCHEMA_VERSION);
    anything else is for the record's validation to judge."""
    whole = isinstance(version, int) or (isinstance(version, float) and version.is_integer())  # as the wire reads
    if whole and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise LaterVersion(f"schema_version {int(version)} is later than {SCHEMA_VERSION}")


def _version_of(body: bytes | str) -> Any:
    """The `schema_version` of a record that did not validate, if it is a JSON object that has one (a record nested
    too deep for Python's reader has none: its refusal stands)."""
    try:
        record = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return record.get("schema_version") if isinstance(record, dict) else None


def _without_tag(exc: ValidationError) -> ValidationError:
    """A union's refusal of a record that has no `event_type` at all, as the field missing (pydantic says it could
    not find the tag); any other refusal unchanged."""
    errors = exc.errors()
    if len(errors) == 1 and errors[0]["type"] == "union_tag_not_found":
        record = errors[0]["input"]
        if isinstance(record, dict) and "event_type" not in record:
            return _missing(exc.title, ["event_type"], record)
    return exc


def _missing(title: str, names: list[str], record: Any) -> ValidationError:
    return ValidationError.from_exception_data(title, [{"type": "missing", "loc": (name,), "input": record}
                                                       for name in names])


def event_adapter(*models: type[BaseModel]) -> WireDecoder:
    """One strict decoder that reads the bytes once and picks the model by `event_type`; any other
    type is a validation error (a permanent one: the record goes to the DLQ)."""
    names = {model: _tag_name(event_types(model)) for model in models}
    tag_of = {kind: names[model] for model in models for kind in event_types(model)}

    def tag(value: Any) -> str | None:
        kind = value.get("event_type") if isinstance(value, dict) else getattr(value, "event_type", None)
        return tag_of.get(str(getattr(kind, "value", kind)))

    if len(models) == 1:
        return WireDecoder(TypeAdapter(models[0]))
    union = Union[tuple(Annotated[m, Tag(names[m])] for m in models)]  # type: ignore[valid-type]  # noqa: UP007
    return WireDecoder(TypeAdapter(Annotated[union, Discriminator(tag)]))


def _tag_name(kinds: tuple[str, ...]) -> str:
    """How a validation error names the event: `referral.submitted`, or `service_request.*` for a family."""
    if len(kinds) == 1:
        return kinds[0]
    return os.path.commonprefix(kinds).rpartition(".")[0] + ".*"


def kind_of(event: BaseModel) -> str:
    kind = getattr(event, "event_type", "")
    return str(getattr(kind, "value", kind))


def handler_for(handlers: Mapping[str, Handler], kind: str) -> Handler:
    """The handler of `kind`: an exact key, else the longest key ending in '.*' that `kind` starts with."""
    if kind in handlers:
        return handlers[kind]
    prefixes = sorted((k for k in handlers if k.endswith(".*") and kind.startswith(k[:-1])), key=len, reverse=True)
    if not prefixes:
        raise PermanentError(f"not an event this consumer handles ({kind})")
    return handlers[prefixes[0]]


def apply_record(engine: Engine, adapter: WireDecoder, handlers: Mapping[str, Handler], body: bytes, *,
                 consumer: str, service: str, now: Callable[[], datetime] = utcnow) -> str:
    """Decode, dispatch and apply one record; returns the outcome for the log line:
    `applied`, `duplicate` (seen before), `ignored` (nothing to do here) or passed by (a later major version's
    record, for readers of that version: not remembered, so a replay once this code reads it is applied)."""
    try:
        event = adapter.validate_json(body)
    except LaterVersion:
        return "passed by: a later schema_version"
    handler = handler_for(handlers, kind_of(event))
    with Session(engine, expire_on_commit=False) as session:
        if not first_delivery(session, consumer=consumer, event_id=event.event_id):
            return "duplicate"
        if not handler(session, event, now()):
            session.rollback()
            return "ignored"
        session.commit()
    faults.after_commit(service)
    return "applied"


def event_consumer(router: KafkaRouter, *topics: str, settings: Settings, engine: Engine, group: str, consumer: str,
                   handlers: Mapping[str, Handler], models: tuple[type[BaseModel], ...], title: str,
                   now: Callable[[], datetime] = utcnow) -> None:
    """Subscribe `handlers` (by event type; 'service_request.*' matches a family) to `topics` in the
    consumer group `<prefix>.<group>`; processed ids are recorded under `consumer`."""
    adapter = event_adapter(*models)
    service = group.partition(".")[0]

    @router.subscriber(*topics, title=title, description="Payloads: " + ", ".join(m.__name__ for m in models),
                       decoder=raw_bodies, **subscriber_options(settings, group))
    async def consume(body: bytes) -> None:
        outcome = await asyncio.to_thread(apply_record, engine, adapter, handlers, body,
                                          consumer=consumer, service=service, now=now)
        log.info("message consumed", group=group, outcome=outcome)


def consumer_router() -> KafkaRouter:
    """A router with the error handling every consumer shares (log context, DLQ, transient retries)."""
    return KafkaRouter(middlewares=CONSUMER_MIDDLEWARES)

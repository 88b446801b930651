"""Error handling, once, for every consumer (a router-level FastStream middleware).

- Permanent errors (not JSON, invalid UTF-8, wrong schema, a value that makes the code raise) go to
  `<topic>.dlq` after one attempt, with the original bytes, key and headers (a `content-type` of
  `application/octet-stream` when the original had none), and the headers `x-error`, `x-original-topic`,
  `x-original-partition`, `x-original-offset`, `x-attempts`; then the offset is committed, so one bad
  record never blocks its partition.
- Transient errors (database or broker unavailable) are retried in place with capped exponential
  backoff and never dead-lettered: consumption of that partition pauses until the dependency is back.

Where errors surface in FastStream 0.7.8: decoding (JSON with a JSON content-type) fails in the
subscriber *before* any consume_scope runs, so it reaches this middleware's __aexit__; argument
validation and handler errors happen inside consume_scope. Both paths are handled here. The
outer AcknowledgementMiddleware (AckPolicy.ACK) commits once this middleware returns normally.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from types import TracebackType
from typing import Any

import structlog
from aiokafka.errors import MessageSizeTooLargeError
from faststream import BaseMiddleware
from prometheus_client import Counter
from pydantic import ValidationError

from schemas.errors import summary
from services.common.broker import read_headers
from services.common.logging import get_logger
from services.common.transient import PermanentError, is_transient

log = get_logger("frontdoor.consumer")
DLQ_MESSAGES = Counter("frontdoor_dlq_messages", "Records sent to a dead-letter topic", ["topic"])
TRANSIENT_RETRIES = Counter("frontdoor_transient_retries", "Retries of a record while a dependency was down", ["topic"])
MAX_BACKOFF_SECONDS = 10.0


def safe_error_summary(exc: BaseException, limit: int = 500) -> str:
    """The error for a header or a log line: its type, and for validation errors the fields and
    problem kinds. Never the input values or a library's message (both may quote personal data)."""
    if isinstance(exc, ValidationError):
        return summary(exc, limit)
    if isinstance(exc, PermanentError):
        return f"PermanentError: {exc}"[:limit]
    if isinstance(exc, json.JSONDecodeError):
        return f"JSONDecodeError: line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"UnicodeDecodeError: {exc.reason} at byte {exc.start}"[:limit]
    return type(exc).__name__


def records_of(raw: Any) -> tuple[Any, ...]:
    """The ConsumerRecords behind a middleware's message: one, or a batch."""
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


async def dead_letter(broker: Any, record: Any, exc: BaseException, *, confirm: bool = True) -> Any:
    """Publish `record`'s original bytes and key to `<topic>.dlq` with the error headers.

    With confirm=False the broker's future is returned, for a batch to await with its other sends
    before committing."""
    dlq = f"{record.topic}.dlq"
    error = safe_error_summary(exc)
    headers = read_headers(record.headers, as_written=True)  # kept, so a replay restores them
    # FastStream writes `content-type: ""` for bytes it is not told the type of: a record that came without one
    # (another producer's) is said to be what the dead-letter message's payload is, bytes of no known type.
    headers["content-type"] = headers.get("content-type") or "application/octet-stream"
    headers |= {
        "x-error": error,
        "x-original-topic": record.topic,
        "x-original-partition": str(record.partition),
        "x-original-offset": str(record.offset),
        "x-attempts": "1",
    }
    DLQ_MESSAGES.labels(record.topic).inc()
    log.error(
        "record sent to the dead-letter topic",
        topic=record.topic, partition=record.partition, offset=record.offset, dlq_topic=dlq,
        error_type=type(exc).__name__, error=error,
    )
    try:
        return await broker.publish(record.value or b"", dlq, key=record.key, headers=headers, no_confirm=not confirm)
    except MessageSizeTooLargeError:
        # Too big to copy: the record itself stays on its original topic at the offset in the headers.
        headers |= {"x-payload-omitted": str(len(record.value or b""))}
        return await broker.publish(b"", dlq, key=record.key, headers=headers, no_confirm=not confirm)


def _uuid(value: str | None) -> str | None:
    """A header's id for the log line, only when it is one (a header is the sender's text)."""
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


class MessageContextMiddleware(BaseMiddleware):
    """Binds the record's coordinates (and event id header) to every log line while it is handled;
    the consume loop reuses one task, so the binding is undone when the record is done. A batch
    binds its topic and size; its handler binds each record's coordinates as it goes."""

    async def on_receive(self) -> None:
        records = records_of(self.msg)
        if len(records) == 1:
            record = records[0]
            headers = read_headers(record.headers)
            self._tokens = structlog.contextvars.bind_contextvars(
                topic=record.topic, partition=record.partition, offset=record.offset,
                event_id=_uuid(headers.get("event-id")), correlation_id=_uuid(headers.get("correlation-id")),
            )
        else:
            self._tokens = structlog.contextvars.bind_contextvars(topic=records[0].topic, count=len(records))

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        structlog.contextvars.reset_contextvars(**getattr(self, "_tokens", {}))
        return False


class DeadLetterMiddleware(BaseMiddleware):
    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        delay = 0.2
        attempt = 1
        while True:
            try:
                return await call_next(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient(exc):
                    await self._dead_letter_all(exc)
                    return None
                first = records_of(self.msg)[0]
                TRANSIENT_RETRIES.labels(first.topic).inc()
                log.warning(
                    "dependency unavailable; retrying the same record",
                    topic=first.topic, partition=first.partition, offset=first.offset,
                    error_type=type(exc).__name__, attempt=attempt, delay_s=round(delay, 2),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                attempt += 1

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        # Only decode errors get here: they are raised before consume_scope is entered.
        if exc_val is None or isinstance(exc_val, asyncio.CancelledError) or not isinstance(exc_val, Exception):
            return False
        from faststream.exceptions import HandlerException

        if isinstance(exc_val, HandlerException):
            return False
        await self._dead_letter_all(exc_val)
        return True

    async def _dead_letter_all(self, exc: BaseException) -> None:
        # A batch handler dead-letters its own bad records; reaching here with a batch means the
        # handler itself failed permanently, so the whole batch goes (nothing is silently skipped).
        broker = self.context.get_local("broker")
        for record in records_of(self.msg):
            await dead_letter(broker, record, exc)


# Every consumer's router takes these, outermost first.
CONSUMER_MIDDLEWARES = (MessageContextMiddleware, DeadLetterMiddleware)

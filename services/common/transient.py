"""Which failures are a dependency being unavailable (retry, later) rather than bad input (never
retried): written once, for consumers, the outbox relay, periodic jobs and start-up waits."""

from __future__ import annotations

import json

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, RequestTimedOutError
from pydantic import ValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError


class PermanentError(Exception):
    """Bad input or a rule error: retrying cannot help. Its message must hold no personal data."""


TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, DisconnectionError)
TRANSIENT_BROKER_ERRORS: tuple[type[BaseException], ...] = (
    KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError, NodeNotReadyError
)
TRANSIENT_ERRORS = TRANSIENT_DB_ERRORS + TRANSIENT_BROKER_ERRORS + (ConnectionError, TimeoutError, OSError)


def is_transient(exc: BaseException) -> bool:
    """True when the failure is a dependency being unavailable, not the record being bad."""
    if isinstance(exc, (PermanentError, ValidationError, UnicodeError, json.JSONDecodeError)):
        return False
    return isinstance(exc, TRANSIENT_ERRORS)

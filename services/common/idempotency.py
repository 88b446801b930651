"""Idempotent consumers: record an event id in the same transaction as its effect."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from services.common.tables import ProcessedEvent


def first_delivery(session: Session, *, consumer: str, event_id: uuid.UUID) -> bool:
    """True the first time `consumer` sees `event_id` in this transaction's view, recording it.

    A concurrent duplicate loses on the primary key at commit, its transaction rolls back and
    the redelivery then finds the id: the effect happens once either way."""
    if session.get(ProcessedEvent, (consumer, event_id)) is not None:
        return False
    session.add(ProcessedEvent(consumer=consumer, event_id=event_id))
    session.flush()
    return True

"""Tables of the shared plumbing: the outbox, processed-event ids and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Text, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored in UTC, read back time-zone aware, on PostgreSQL and on SQLite (which keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a time zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def Timestamp(**kwargs: Any) -> Any:  # noqa: N802 - reads like a type in table definitions
    nullable = kwargs.pop("nullable", False)
    default = {} if nullable else {"default_factory": utcnow}
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs), **default)


class OutboxMessage(SQLModel, table=True):
    """An event written in the same transaction as the change it announces; the relay publishes it."""

    __tablename__ = "outbox"
    id: uuid.UUID = Field(primary_key=True)  # the event_id
    topic: str = Field(max_length=200)
    key: str = Field(max_length=100)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Timestamp(index=True)
    published_at: datetime | None = Timestamp(nullable=True, index=True)
    claimed_by: str | None = Field(default=None, max_length=60)
    claimed_until: datetime | None = Timestamp(nullable=True)
    attempts: int = 0


class ProcessedEvent(SQLModel, table=True):
    """An event a consumer has applied; inserted in the same transaction as the effect."""

    __tablename__ = "processed_events"
    consumer: str = Field(primary_key=True, max_length=100)
    event_id: uuid.UUID = Field(primary_key=True)
    processed_at: datetime = Timestamp()


class AuditEntry(SQLModel, table=True):
    """Append-only, hash-chained: who read or wrote (or was refused) which child's record, when, from where.
    Written only by `services/common/audit.py` (ids in chain order); on PostgreSQL a trigger refuses UPDATE,
    DELETE and TRUNCATE. Every child id an access showed is in `audit_log_children`."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Timestamp(index=True)
    actor: str = Field(max_length=200)  # the token's subject ("" when no valid token was given)
    role: str = Field(max_length=100)
    action: str = Field(max_length=200)
    outcome: str = Field(max_length=20)  # allowed, refused, not_found, failed
    status: int | None = None  # the HTTP status answered, when there was one
    client_address: str | None = Field(default=None, max_length=100)
    referral_id: uuid.UUID | None = Field(default=None, index=True)
    child_id: uuid.UUID | None = Field(default=None, index=True)
    # another record read or written (e.g. a register entry)
    record_id: uuid.UUID | None = Field(default=None, index=True)
    prev_hash: str = Field(max_length=64, unique=True)  # one successor per row: the chain cannot fork
    hash: str = Field(max_length=64)


class AuditChild(SQLModel, table=True):
    """A child shown by one access (every child of a list read): "who saw this child" is one indexed lookup
    on any database, and the row's hash covers these ids."""

    __tablename__ = "audit_log_children"
    audit_id: int = Field(foreign_key="audit_log.id", primary_key=True)
    child_id: uuid.UUID = Field(primary_key=True, index=True)


class DeadLetterDiscard(SQLModel, table=True):
    """An administrator's decision that a dead-lettered event will never be offered for replay again: who, when,
    why (the dead-letter topic is append-only: the event stays in the log, the list and a replay skip it)."""

    __tablename__ = "dead_letter_discards"
    event_id: uuid.UUID = Field(primary_key=True)  # its event-id header (or the id dlq_tools gives a record without)
    dlq_topic: str = Field(max_length=200)
    event_type: str = Field(max_length=100)  # what it was, in case the log no longer holds it
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(max_length=200)  # the login id, for the audit's sake
    by_name: str | None = Field(default=None, max_length=200)  # the person, as people read it
    at: datetime = Timestamp()


class DeadLetterReplay(SQLModel, table=True):
    """One event sent again by one replay (append-only): who, when and which copy. A replay of several events is
    several rows with one `replay_id` (the audit row's record id). The event is "sent again" until a copy newer
    than its last replay reaches the dead-letter topic (services/common/dead_letters.py)."""

    __tablename__ = "dead_letter_replays"
    replay_id: uuid.UUID = Field(primary_key=True)
    event_id: uuid.UUID = Field(primary_key=True, index=True)  # as in dead_letter_discards
    dlq_topic: str = Field(max_length=200)
    sent: str = Field(max_length=40)  # partition:offset of the copy sent
    by: str = Field(max_length=200)  # the login id, for the audit's sake
    by_name: str | None = Field(default=None, max_length=200)  # the person, as people read it
    at: datetime = Timestamp()  # taken before the copy was sent


class WorkAssignment(SQLModel, table=True):
    """One change of who holds a piece of work (append-only history): a front-door queue item (`item_id`: the
    referral) or a service request, picked up, taken over, given, handed over or released. Its id is the id of the
    event announcing it (`referral.assigned`, `service_request.assigned`), queued in the same transaction."""

    __tablename__ = "work_assignments"
    id: uuid.UUID = Field(primary_key=True)  # the event_id
    item_id: uuid.UUID = Field(index=True)
    team: str = Field(max_length=40)  # front_door, or the service whose request it is
    change: str = Field(max_length=20)  # schemas.events.ASSIGNMENT_CHANGES
    assigned_to: str | None = Field(default=None, max_length=200)  # login id; None: nobody
    assigned_to_name: str | None = Field(default=None, max_length=200)
    previously_assigned_to: str | None = Field(default=None, max_length=200)
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    at: datetime = Timestamp(index=True)


class TeamMember(SQLModel, table=True):
    """A person of a team as the service learned them from their tokens (login id, name, team, last seen): the
    colleagues a piece of work can be given to. Someone who never used the service is not known here yet."""

    __tablename__ = "team_members"
    team: str = Field(primary_key=True, max_length=40)
    subject: str = Field(primary_key=True, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    last_seen: datetime = Timestamp()

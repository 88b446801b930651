"""Each service's worklist: one row per service request it received."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.notes import NoteRecord
from services.common.tables import Timestamp


class WorklistItem(SQLModel, table=True):
    __tablename__ = "worklist_items"
    id: uuid.UUID = Field(primary_key=True)  # the service_request_id
    service: str = Field(max_length=30, index=True)
    referral_id: uuid.UUID = Field(index=True)
    child_id: uuid.UUID = Field(index=True)
    pathway: str = Field(max_length=40)
    priority: str = Field(max_length=20)
    due_by: datetime = Timestamp(index=True)
    held: bool = False
    status: str = Field(default="created", max_length=20, index=True)  # a schemas.lifecycle.RequestStatus
    reasons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()
    accepted_at: datetime | None = Timestamp(nullable=True)
    breached_at: datetime | None = Timestamp(nullable=True, index=True)
    outcome_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    signpost: str | None = Field(default=None, max_length=500)
    redirect_to: str | None = Field(default=None, max_length=30)
    actor: str | None = Field(default=None, max_length=200)
    actor_name: str | None = Field(default=None, max_length=200)  # the actor's display name (the token's name)
    assigned_to: str | None = Field(default=None, max_length=200, index=True)  # who in the service has it (login id)
    assigned_to_name: str | None = Field(default=None, max_length=200)  # their name, as people read it
    assigned_at: datetime | None = Timestamp(nullable=True)  # since when


class ServiceRequestNote(NoteRecord, table=True):
    """A case note on a service request, written by its service's workers (services/common/notes.py): never changed
    or deleted."""

    __tablename__ = "service_request_notes"
    __table_args__ = (UniqueConstraint("by", "client_key", name="uq_service_request_notes_by_client_key"),)
    service_request_id: uuid.UUID = Field(foreign_key="worklist_items.id", index=True)

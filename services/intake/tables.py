"""What intake stores: children, their referrals, and each referral's service requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.tables import Timestamp


class Child(SQLModel, table=True):
    __tablename__ = "children"
    id: uuid.UUID = Field(primary_key=True)
    nhs_number: str | None = Field(default=None, max_length=10, unique=True)
    given_key: str = Field(max_length=100, index=True)
    family_key: str = Field(max_length=100, index=True)
    date_of_birth: date = Field(index=True)
    postcode_key: str = Field(max_length=8)
    created_at: datetime = Timestamp()


class ReferralRecord(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("submitted_by", "client_reference", name="uq_referrals_client_reference"),)
    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID = Field(foreign_key="children.id", index=True)
    submitted_by: str = Field(max_length=200, index=True)
    client_reference: str | None = Field(default=None, max_length=64)
    submitted_at: datetime = Timestamp(index=True)
    event_id: uuid.UUID  # the referral.submitted event that carries it
    referral: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=64)  # sha256 of the submitted body, to spot key reuse
    matched_on: str = Field(max_length=20)
    possible_duplicates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="submitted", max_length=30)  # submitted | decided
    outcome: str | None = Field(default=None, max_length=30)
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    decided_at: datetime | None = Timestamp(nullable=True)


class ServiceRequestRecord(SQLModel, table=True):
    """Intake's view of each route: what the referrer sees per service."""

    __tablename__ = "service_requests"
    id: uuid.UUID = Field(primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    child_id: uuid.UUID = Field(index=True)
    service: str = Field(max_length=30)
    pathway: str = Field(max_length=40)
    priority: str = Field(max_length=20)
    due_by: datetime = Timestamp()
    held: bool = False
    status: str = Field(default="created", max_length=20)
    updated_at: datetime = Timestamp()
    accepted_at: datetime | None = Timestamp(nullable=True)
    breached_at: datetime | None = Timestamp(nullable=True)
    redirect_of: uuid.UUID | None = None
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class TimelineItem(SQLModel, table=True):
    """The child's journey across referrals and services ("tell it once")."""

    __tablename__ = "child_timeline"
    id: int | None = Field(default=None, primary_key=True)
    child_id: uuid.UUID = Field(index=True)
    referral_id: uuid.UUID | None = Field(default=None, index=True)
    at: datetime = Timestamp(index=True)
    kind: str = Field(max_length=40)
    summary: str = Field(max_length=300)

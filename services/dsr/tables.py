"""The register's tables. Rating history, reviews and the timeline are append-only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.notes import NoteRecord
from services.common.tables import Timestamp


class DsrEntry(SQLModel, table=True):
    __tablename__ = "dsr_entries"
    id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID = Field(index=True)
    status: str = Field(max_length=20, index=True)  # pending_consent | pending_review | active | closed
    rating: str | None = Field(default=None, max_length=10)
    rating_since: datetime | None = Timestamp(nullable=True)
    suggested_rating: str | None = Field(default=None, max_length=10)
    escalation_suggested: bool = False
    next_review_due: date | None = Field(default=None, index=True)
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    date_of_birth: date | None = Field(default=None, index=True)  # with the name: who is already on the register
    nhs_number: str | None = Field(default=None, max_length=10, index=True)
    has_ehcp: bool = False
    keyworker: str | None = Field(default=None, max_length=200)
    lead_professional: str | None = Field(default=None, max_length=200)
    suppressed: bool = False  # consent withdrawn: details hidden from the agenda and exports
    closed_reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()
    # How the person reached the register: "triage" (a children's referral) or "direct" (added by a person,
    # any age). A direct entry's child_id is register-made (direct.person_id) until a referral links it.
    source: str = Field(default="triage", max_length=10)
    added_by: str | None = Field(default=None, max_length=200)  # the principal who added a direct entry
    referring_agency: str | None = Field(default=None, max_length=200)
    referrer_contact: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    diagnoses: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    risks: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    current_setting: str | None = Field(default=None, max_length=20)  # community | inpatient


class DsrConsent(SQLModel, table=True):
    __tablename__ = "dsr_consents"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    basis: str = Field(max_length=30)
    given_by: str = Field(max_length=200)
    given_at: datetime = Timestamp()
    withdrawn_at: datetime | None = Timestamp(nullable=True)
    reconfirm_due: date


class DsrRatingChange(SQLModel, table=True):
    __tablename__ = "dsr_rating_history"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    from_rating: str | None = Field(default=None, max_length=10)
    to_rating: str = Field(max_length=10)
    at: datetime = Timestamp(index=True)
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    rationale: str = Field(sa_column=Column(Text, nullable=False))


class DsrReview(SQLModel, table=True):
    __tablename__ = "dsr_reviews"
    id: uuid.UUID = Field(primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    held_on: date
    rating: str = Field(max_length=10)
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    attendees: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_review_due: date
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    recorded_at: datetime = Timestamp()


class DsrAction(SQLModel, table=True):
    __tablename__ = "dsr_actions"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    review_id: uuid.UUID | None = Field(default=None, foreign_key="dsr_reviews.id")
    what: str = Field(max_length=500)
    owner_agency: str = Field(max_length=100)
    due: date
    status: str = Field(default="open", max_length=20)


class DsrTask(SQLModel, table=True):
    """Raised by the register's rules (C(E)TR required, keyworker referral, inpatient C(E)TR)."""

    __tablename__ = "dsr_tasks"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    kind: str = Field(max_length=40)
    description: str = Field(max_length=200)
    due: date
    status: str = Field(default="open", max_length=20)
    created_at: datetime = Timestamp()


class DsrTimelineItem(SQLModel, table=True):
    """What happened to the child, in order: referrals, decisions, service outcomes, reviews."""

    __tablename__ = "dsr_timeline"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)
    at: datetime = Timestamp(index=True)
    kind: str = Field(max_length=40)
    summary: str = Field(max_length=300)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DsrNote(NoteRecord, table=True):
    """A case note on a register entry, written by the DSR panel (services/common/notes.py): never changed or
    deleted."""

    __tablename__ = "dsr_notes"
    __table_args__ = (UniqueConstraint("by", "client_key", name="uq_dsr_notes_by_client_key"),)
    entry_id: uuid.UUID = Field(foreign_key="dsr_entries.id", index=True)

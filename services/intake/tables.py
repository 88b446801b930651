"""What intake stores: children, their referrals, and each referral's service requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.notes import NoteRecord
from services.common.tables import Timestamp
from services.intake.advice.tables import AdviceRequest  # noqa: F401 - registered with intake's tables
from services.intake.search.tables import ChildSearch  # noqa: F401 - registered with intake's tables


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
    decision_event_id: uuid.UUID | None = None  # the decision in force (triage's, or a person's override)
    emergency_due_at: datetime | None = Timestamp(nullable=True, index=True)  # an emergency's 4-hour clock
    contact_made_at: datetime | None = Timestamp(nullable=True)  # a person recorded contact for the emergency
    emergency_unanswered_at: datetime | None = Timestamp(nullable=True)  # the clock passed with no contact
    last_chased_at: datetime | None = Timestamp(nullable=True)  # the front door chased missing information
    advice_request_id: uuid.UUID | None = Field(default=None, foreign_key="advice_requests.id", index=True)  # advice
    assigned_to: str | None = Field(default=None, max_length=200, index=True)  # who on the front door has it (login id)
    assigned_to_name: str | None = Field(default=None, max_length=200)  # their name, as people read it
    assigned_at: datetime | None = Timestamp(nullable=True)  # since when


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
    by_name: str | None = Field(default=None, max_length=200)  # who last acted on it, as people read it
    outcome_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the service's words
    signpost: str | None = Field(default=None, max_length=500)  # a declined request: where the family is pointed
    redirect_to: str | None = Field(default=None, max_length=30)
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
    by_name: str | None = Field(default=None, max_length=200)  # who did it, as people read it (the token's name)
    by_team: str | None = Field(default=None, max_length=30)  # their team: a service, or "front_door"


class FrontDoorDecision(SQLModel, table=True):
    """A person's decision on a referral (a manual decision or an override), as requested; triage applies it."""

    __tablename__ = "front_door_decisions"
    id: uuid.UUID = Field(primary_key=True)  # the referral.override_requested event id
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    child_id: uuid.UUID = Field(index=True)
    decided_by: str = Field(max_length=200)
    decided_by_name: str | None = Field(default=None, max_length=200)
    decided_at: datetime = Timestamp(index=True)
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    supersedes: uuid.UUID  # the decision event it corrects
    disagreed_with: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fired: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # rules of the decision
    applied_event_id: uuid.UUID | None = None  # the triage.overridden event, once it is back


class EmergencyContact(SQLModel, table=True):
    """Contact made for an emergency decision: who was contacted, how, when, recorded by whom."""

    __tablename__ = "emergency_contacts"
    id: int | None = Field(default=None, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    contacted: str = Field(max_length=200)  # a role or service, e.g. "MASH duty social worker"
    how: str = Field(max_length=20)  # phone | in_person | video | email
    contacted_at: datetime = Timestamp()
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_by: str = Field(max_length=200)
    recorded_by_name: str | None = Field(default=None, max_length=200)
    recorded_at: datetime = Timestamp()


class InformationChase(SQLModel, table=True):
    """The front door chased a referrer for missing information."""

    __tablename__ = "information_chases"
    id: int | None = Field(default=None, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)
    how: str = Field(max_length=20)  # phone | email
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    at: datetime = Timestamp()


class ChildMerge(SQLModel, table=True):
    """Two child records found to be the same child: `merged_id`'s links moved to `survivor_id`.
    `links` lists exactly what was moved, so an unmerge restores it."""

    __tablename__ = "child_merges"
    id: uuid.UUID = Field(primary_key=True)
    survivor_id: uuid.UUID = Field(index=True)
    merged_id: uuid.UUID = Field(index=True)
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Timestamp()
    links: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    undone_at: datetime | None = Timestamp(nullable=True)
    undone_by: str | None = Field(default=None, max_length=200)
    undone_by_name: str | None = Field(default=None, max_length=200)


class DistinctChildren(SQLModel, table=True):
    """A pair a person decided are different children: never flagged as possible duplicates again."""

    __tablename__ = "distinct_children"
    child_a: uuid.UUID = Field(primary_key=True)  # the smaller id of the pair
    child_b: uuid.UUID = Field(primary_key=True)
    by: str = Field(max_length=200)
    by_name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Timestamp()


class ServiceRequestHolder(SQLModel, table=True):
    """Who in the service holds a request, as its `service_request.assigned` events say (the worklists own it; the
    front door reads it beside the request). The latest change wins (`changed_at`: its event's time)."""

    __tablename__ = "service_request_holders"
    id: uuid.UUID = Field(primary_key=True)  # the service_request_id
    referral_id: uuid.UUID = Field(index=True)  # (not the child: a merge moves requests, read them by their id)
    service: str = Field(max_length=30)
    assigned_to: str | None = Field(default=None, max_length=200)
    assigned_to_name: str | None = Field(default=None, max_length=200)
    changed_at: datetime = Timestamp()
    event_id: uuid.UUID  # the change in force


class ReferralNote(NoteRecord, table=True):
    """A case note on a referral, written by the front door (services/common/notes.py): never changed or deleted."""

    __tablename__ = "referral_notes"
    __table_args__ = (UniqueConstraint("by", "client_key", name="uq_referral_notes_by_client_key"),)
    referral_id: uuid.UUID = Field(foreign_key="referrals.id", index=True)

"""What each service answers about one child, for the child's page (issue 23, item 2), and its part of "who saw this
child" (item 8). Intake answers the child's record (`ChildRecord`: who the child is, every referral, service request,
line of the child's timeline, advice question and merge); the register the child's entries (`ChildEntry`); the
worklists a service's own requests about the child (`worklists.RequestView`, what its `sharing` list allows). Each
service answers its own audit rows about the child (`SeenBy`); the portal merges them by time."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from schemas.enums import DsrRating, Outcome, Priority, Service
from schemas.lifecycle import RequestStatus
from schemas.views import View
from schemas.views.dsr import EntryStatus
from schemas.views.referrals import ReferralState

STORED = "ISO 8601, as stored"


class ChildDetails(View):
    """Who the child is, as their latest referral gave it: enough to tell children apart."""

    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    school: str | None = Field(description="The education setting's name")
    postcode_district: str | None = Field(description="The outward code only (SS1), never the whole postcode")
    nhs_number: str | None


class ChildReferralLine(View):
    referral_id: uuid.UUID
    submitted_at: str = Field(description=STORED)
    status: ReferralState
    outcome: Outcome | None
    referrer_organisation: str | None


class ChildRequestLine(View):
    service_request_id: uuid.UUID
    referral_id: uuid.UUID
    service: Service
    pathway: str
    priority: Priority | Literal["awaiting_decision"]
    status: RequestStatus
    held: bool
    state: str = Field(description="Where it stands, in words")
    due_by: str = Field(description=STORED)
    updated_at: str = Field(description=STORED)


class ChildTimelineLine(View):
    at: str = Field(description=STORED)
    kind: str
    summary: str
    referral_id: uuid.UUID | None
    by: str | None = Field(description="Who did it, as people read it (a name and team), if a person did")


class ChildAdviceLine(View):
    """An advice question that led to one of the child's referrals."""

    advice_id: uuid.UUID
    asked_at: str = Field(description=STORED)
    answered_at: str | None = Field(description=STORED)
    service: Service | None
    referral_id: uuid.UUID


class ChildMergeLine(View):
    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    at: str = Field(description=STORED)
    by_name: str | None
    reason: str
    undone_at: str | None = Field(description=STORED)


class ChildRecord(View):
    """One child as intake knows it. `merged_into`: the record this one was merged into (then the rest is empty)."""

    child_id: uuid.UUID
    merged_into: uuid.UUID | None
    child: ChildDetails
    referrals: list[ChildReferralLine] = Field(description="Newest first")
    service_requests: list[ChildRequestLine]
    timeline: list[ChildTimelineLine] = Field(description="Newest first")
    advice: list[ChildAdviceLine]
    merges: list[ChildMergeLine] = Field(description="Merges into or of this record, newest first")


class ChildEntry(View):
    """One of the child's register entries (its details are the entry's page)."""

    entry_id: uuid.UUID
    status: EntryStatus
    rating: DsrRating | None
    next_review_due: date | None
    created_at: str = Field(description=STORED)
    closed_reason: str | None


class SeenBy(View):
    """One audit row about the child: who (login id, name where known, and role), what, when, allowed or refused, from
    where, and how it was about the child (named, in a list, or through one of its records)."""

    audit_id: int
    at: str = Field(description="ISO 8601, UTC")
    actor: str = Field(description="The login id ('' when the token was missing or bad)")
    name: str | None = Field(default=None, description="The person's name as this service knows it (from their "
                             "sign-ins or what they did there); null: none known")
    role: str
    action: str
    outcome: Literal["allowed", "refused", "not_found", "failed"]
    status: int | None
    client_address: str | None
    how: Literal["named", "in a list", "through a record of the child"]
    referral_id: uuid.UUID | None
    record_id: uuid.UUID | None

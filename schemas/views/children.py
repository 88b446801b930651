"""What intake's duplicate-children API answers: the flagged pairs not yet decided (each child with its details as
last referred and its referrals, and what matched in words, never the values), a merge ("same child", undoable)
and a pair recorded as different children."""

from __future__ import annotations

import uuid

from pydantic import Field

from schemas.enums import Outcome
from schemas.views import View
from schemas.views.referrals import ReferralState

ISO = "ISO 8601, as stored"


class ChildReferral(View):
    referral_id: uuid.UUID
    submitted_at: str = Field(description=ISO)
    status: ReferralState = Field(description="submitted: waiting for triage")
    outcome: Outcome | None


class PairedReferrer(View):
    name: str
    role: str = Field(description="Their role, a code (schemas.enums.ReferrerRole)")
    organisation: str | None


class PairedRequest(View):
    """One of the child's service requests and where it stands."""

    service: str
    pathway: str
    status: str = Field(description="created, accepted, declined, redirected, completed or withdrawn")
    held: bool = Field(description="Waiting for MASH to decide")


class PairedChild(View):
    """One child of a pair (its surviving record), with its details as its latest referral gave them and what a
    person needs to decide whether two records are one child: school, postcode district, who referred, the concerns,
    its referrals and its requests with their state."""

    child_id: uuid.UUID
    nhs_number: str | None
    given_name: str | None
    family_name: str | None
    date_of_birth: str | None
    postcode: str | None
    postcode_district: str | None = Field(description="The postcode's first half (its outward code), e.g. SS2")
    school: str | None = Field(description="The education setting its latest referral names")
    referrers: list[PairedReferrer] = Field(description="Who referred it, once each, oldest first")
    concerns: list[str] = Field(description="Every concern its referrals gave, once each (codes)")
    referrals: list[ChildReferral] = Field(description="Its referrals, oldest first")
    requests: list[PairedRequest] = Field(description="Its service requests, oldest first")


class FlaggedPair(View):
    """Two child records that may be the same child, not yet decided."""

    child_a: PairedChild
    child_b: PairedChild
    matched: list[str] = Field(description="What the two records have in common, in words (never the values)")
    flagged_by: list[uuid.UUID] = Field(description="The referrals that flagged the pair")
    flagged_at: str = Field(description="When it was first flagged (ISO 8601)")


class Moved(View):
    """How many of each kind of link the merge moved to the surviving record."""

    referrals: int
    service_requests: int
    child_timeline: int
    front_door_decisions: int


class MergeLinks(View):
    undo: str = Field(description="Where to POST to undo the merge")


class Merge(View):
    """A merge: everything of `merged_id` moved to `survivor_id`, and whether (and when) it was undone."""

    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    by: str
    at: str = Field(description=ISO)
    moved: Moved
    nhs_number_moved: bool = Field(description="The merged record's NHS number went to the surviving one")
    undone_at: str | None = Field(description=ISO)
    undone_by: str | None
    links: MergeLinks


class Different(View):
    """A pair recorded as different children: never flagged again."""

    child_a: uuid.UUID = Field(description="The smaller id of the pair")
    child_b: uuid.UUID
    by: str
    at: str = Field(description=ISO)


class MergedChild(View):
    """One side of a merge, named as people know it (its referrals' latest name and date of birth)."""

    child_id: uuid.UUID
    name: str
    date_of_birth: str | None


class UndoPossible(View):
    possible: bool
    why_not: str | None = Field(description="Why it cannot be undone, in words (null when it can)")


class MovedCount(View):
    referrals: int
    service_requests: int


class MergeHistoryItem(View):
    """A merge as the front door's merge history shows it: who (a name), why, when, and whether it can still be
    undone (and why not)."""

    merge_id: uuid.UUID
    at: str = Field(description=ISO)
    by_name: str = Field(description="Who merged the records, by name")
    reason: str
    survivor: MergedChild = Field(description="The record kept")
    merged: MergedChild = Field(description="The record merged into it")
    moved: MovedCount
    undone_at: str | None = Field(description=ISO)
    undone_by_name: str | None
    undo: UndoPossible

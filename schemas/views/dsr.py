"""What the register's API (the DSR) answers: the agenda, the list of entries, one entry with its history, a
direct addition's result, a review's, a status change's, and the weekly counts. A person whose consent was
withdrawn is shown suppressed: no date of birth or NHS number, and none of what was said when they were added
(those keys are left out, as the optional fields here say)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from schemas.enums import DsrRating, DsrSource
from schemas.views import View

EntryStatus = Literal["pending_consent", "pending_review", "active", "closed"]
ReviewTrack = Literal["CETR", "CTR"]
AgeBand = Literal["0-17", "18-25", "26+", "unknown"]
SUPPRESSED = "Left out while consent is withdrawn"
DIRECT_ONLY = "For an entry added directly, unless consent is withdrawn"


class AgendaEntry(View):
    """An entry on the meeting's agenda, in the order the meeting takes them."""

    entry_id: uuid.UUID
    name: str
    date_of_birth: date | None = Field(None, description=SUPPRESSED)
    nhs_number: str | None = Field(None, description=SUPPRESSED)
    age: int | None
    review_track: ReviewTrack | None
    status: EntryStatus
    rating: DsrRating | None
    suggested_rating: DsrRating | None
    escalation_suggested: bool
    next_review_due: date | None
    overdue: bool
    open_tasks: int
    age_band: AgeBand
    source: DsrSource
    referring_agency: str | None = Field(None, description=DIRECT_ONLY)
    diagnoses: list[str] | None = Field(None, description=DIRECT_ONLY)
    risks: list[str] | None = Field(None, description=DIRECT_ONLY)
    current_setting: str | None = Field(None, description=DIRECT_ONLY)
    reason: str | None = Field(None, description=DIRECT_ONLY)
    added_by: str | None = Field(None, description=DIRECT_ONLY)


class ListedEntry(View):
    """An entry in the list of entries (the panel's open ones, or a practitioner's own)."""

    entry_id: uuid.UUID
    name: str
    date_of_birth: date | None
    age_band: AgeBand
    status: EntryStatus
    created_at: str = Field(description="ISO 8601, as stored")
    source: DsrSource


class TimelineLine(View):
    at: str
    kind: str
    summary: str
    reason: str | None = Field(description="A direct addition's own words: why")
    contact: str | None = Field(description="A direct addition's own words: whom to contact")
    by: str | None = Field(None, description="Who did it, in words: a person's name and team ('Alex Morgan, DSR "
                                             "meeting'); absent where no person's name was given")


class RatingChange(View):
    from_rating: DsrRating | None = Field(alias="from")
    to: DsrRating
    at: str
    by: str
    by_name: str | None = Field(None, description="The display name of who recorded it, when their token gave one")
    rationale: str


class AttendeeShown(View):
    name: str
    agency: str


class Review(View):
    review_id: uuid.UUID
    held_on: date
    rating: DsrRating
    rationale: str
    attendees: list[AttendeeShown]
    next_review_due: date
    by: str
    by_name: str | None = Field(None, description="The display name of who recorded it, when their token gave one")


class Action(View):
    what: str
    owner_agency: str
    due: date
    status: str


class Task(View):
    kind: str
    description: str
    due: date
    status: str


class Consent(View):
    basis: str
    given_by: str
    given_at: str
    withdrawn_at: str | None
    reconfirm_due: date


class EntryView(View):
    """One entry with its timeline, rating history, reviews, actions, tasks and consents."""

    entry_id: uuid.UUID
    child_id: uuid.UUID
    name: str
    date_of_birth: date | None = Field(None, description=SUPPRESSED)
    nhs_number: str | None = Field(None, description=SUPPRESSED)
    age: int | None
    review_track: ReviewTrack | None
    status: EntryStatus
    rating: DsrRating | None
    rating_since: str | None
    suggested_rating: DsrRating | None
    escalation_suggested: bool
    next_review_due: date | None
    overdue: bool
    keyworker: str | None
    lead_professional: str | None
    closed_reason: str | None
    age_band: AgeBand
    source: DsrSource
    referring_agency: str | None = Field(None, description=DIRECT_ONLY)
    diagnoses: list[str] | None = Field(None, description=DIRECT_ONLY)
    risks: list[str] | None = Field(None, description=DIRECT_ONLY)
    current_setting: str | None = Field(None, description=DIRECT_ONLY)
    reason: str | None = Field(None, description=DIRECT_ONLY)
    added_by: str | None = Field(None, description=DIRECT_ONLY)
    timeline: list[TimelineLine]
    rating_history: list[RatingChange]
    reviews: list[Review]
    actions: list[Action]
    tasks: list[Task]
    consents: list[Consent]


class WeekCounts(View):
    """Open entries by rating at a week's end."""

    week_ending: date
    red: int
    amber: int
    green: int
    blue: int
    unrated: int


class ReviewRecorded(View):
    review_id: uuid.UUID
    next_review_due: date


class EntryStatusNow(View):
    status: EntryStatus


class Added(View):
    """A new entry, or a note on the person's open entry told to the panel or to whoever added that entry."""

    outcome: Literal["created", "noted"]
    entry_id: uuid.UUID
    age_band: AgeBand
    review_track: ReviewTrack | None
    status: EntryStatus
    suggested_rating: DsrRating | None
    escalation_suggested: bool


class Noted(View):
    """Anyone else noting on an entry learns only that the person is already on the register."""

    outcome: Literal["noted"]


Addition = Added | Noted


# The whole register (the panel's view beside the agenda): its filters' choices, the API's query values.
RegisterRating = Literal["red", "amber", "green", "blue", "unrated"]
RegisterAgeBand = Literal["0-13", "14-17", "18-25", "26+", "unknown"]
RegisterTrack = Literal["CETR", "CTR", "unknown"]
NextReview = Literal["overdue", "due_14_days", "later", "not_set"]


class RegisterEntry(View):
    """An open entry in the whole register."""

    entry_id: uuid.UUID
    name: str
    age: int | None
    age_band: RegisterAgeBand = Field(description="The register view's bands: 0-13, 14-17, 18-25, 26+")
    source: DsrSource
    review_track: ReviewTrack | None
    status: EntryStatus
    rating: DsrRating | None
    suggested_rating: DsrRating | None
    escalation_suggested: bool
    next_review_due: date | None
    next_review: NextReview = Field(description="When the next review falls: overdue, due in the next 14 days, "
                                                "later, or not set")
    overdue: bool


class RegisterCounts(View):
    """How many open entries each choice of each filter shows, with the other filters as chosen."""

    rating: dict[RegisterRating, int]
    source: dict[DsrSource, int]
    track: dict[RegisterTrack, int]
    age_band: dict[RegisterAgeBand, int]
    next_review: dict[NextReview, int]


class Register(View):
    """Every open entry the filters keep, in next-review order, with the counts beside each filter's choices."""

    entries: list[RegisterEntry]
    counts: RegisterCounts
    total: int = Field(description="Open entries on the register, before any filter")

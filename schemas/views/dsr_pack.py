"""What the register (DSR) answers for the meeting pack (`GET /dsr/meeting-pack`): the agenda in the order the
meeting takes it, each person's rating, risks, open tasks and their last review's actions (owners and due dates),
and who attended the last meeting (the attendees recorded with its reviews). The chair may change the attendees on
the pack's page; the register keeps attendees only with a review."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from schemas.enums import DsrRating
from schemas.views import View
from schemas.views.dsr import Action, AgendaEntry, AttendeeShown


class PackTask(View):
    description: str
    due: date


class LastReview(View):
    held_on: date
    rating: DsrRating
    rationale: str
    next_review_due: date


class PackEntry(View):
    """A person on the agenda, with what the meeting needs of their entry."""

    agenda: AgendaEntry
    keyworker: str | None
    lead_professional: str | None
    rating_reason: str | None = Field(description="Why the person has the rating they have: the last change's reason")
    last_review: LastReview | None
    actions: list[Action] = Field(description="The last review's actions, with their owners and due dates")
    open_tasks: list[PackTask]


class LastMeeting(View):
    held_on: date
    attendees: list[AttendeeShown]


class MeetingPack(View):
    prepared_on: date
    entries: list[PackEntry]
    last_meeting: LastMeeting | None = Field(
        description="The most recent day a review of anyone on this agenda was held, and who attended (every "
                    "review of that day, each person once)")

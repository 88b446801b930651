"""What intake's front-door API answers: the queue of everything that needs a person (one item per reason, each
with its clock), a recorded emergency contact or chase, a person's decision sent to triage, and the dead letters of
referral events (where they are and why, never their content) with a replay's count. A queue item about a dead
letter or an advice request has no referral, child or outcome (those keys are null)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field

from schemas.enums import Outcome, Service
from schemas.views import View
from schemas.views.assignments import HolderShown

QueueReason = Literal["emergency", "manual_review", "out_of_scope", "needs_information", "possible_duplicate",
                      "dead_letter", "advice"]
QueueAgeBand = Literal["0-4", "5-10", "11-15", "16-18", "19-25"]
ISO = "ISO 8601, as stored"
UNREADABLE = "Why something could not be shown: the message broker did not answer, so dead letters are missing"


class Clock(View):
    due_at: str | None = Field(description="When a person is due to act (ISO 8601); null: no clock")
    overdue: bool
    text: str = Field(description="The clock in words")


class LastChase(View):
    at: str = Field(description=ISO)
    how: Literal["phone", "email"]


class DiscardShown(View):
    """An administrator's decision that the event will never be offered again (it stays in the log)."""

    by_name: str | None = Field(description="Who discarded it (null: their name was not known)")
    at: str = Field(description=ISO)
    reason: str


class ReplayShown(View):
    """The last time an administrator sent the event again (a replay)."""

    by_name: str | None = Field(description="Who sent it again (null: their name was not known)")
    at: str = Field(description=ISO)


class DeadLetterShown(View):
    """An event on a dead-letter topic, once however many times it was dead-lettered: where it is, what it is and
    why it failed, never its content."""

    id: str = Field(description="partition:offset of its newest copy on the dead-letter topic (what a replay "
                                "sends; empty when the log no longer holds it)")
    event_id: uuid.UUID = Field(description="Its event-id header (a record without one: an id from the first copy)")
    topic: str = Field(description="The dead-letter topic")
    original_topic: str
    event_type: str = Field(description="Its event-type header (empty: not known)")
    what: str = Field(description="What the event is, in words")
    error: str = Field(description="Why it last could not be processed, as its header says (empty: no reason)")
    error_words: str = Field(description="Why it last could not be processed, in words")
    failures: int = Field(description="How many times it was dead-lettered (its copies on the topic)")
    first_failed_at: str | None = Field(description=ISO + "; null: not known")
    last_failed_at: str | None = Field(description=ISO + "; null: not known")
    state: Literal["waiting", "sent_again", "discarded"] = Field(
        description="waiting: failed and never sent again, or failed again after its last replay; sent_again: "
                    "replayed and not failed since; discarded: never offered again")
    sent_again: ReplayShown | None = Field(description="Its last replay (null: never sent again); when it failed "
                                                       "again after it, the event is waiting again")
    discarded: DiscardShown | None = Field(description="null: not discarded")


class AdviceShown(View):
    advice_id: uuid.UUID


class Queued(View):
    """What every item on the queue has."""

    reason: QueueReason
    referral_id: uuid.UUID | None
    child_id: uuid.UUID | None
    submitted_at: str | None = Field(description=ISO)
    clock: Clock
    outcome: Outcome | None = Field(description="The referral's decision in force, if any")
    services: list[Service] = Field(description="The services with an open request (or the advice list)")
    school: str | None = Field(description="The education setting's name, as referred")
    school_urn: str | None
    age_band: QueueAgeBand | None = Field(description="The child's (or the asker's) age band today, if known")
    summary: str = Field(description="Why it needs a person, in words (no child's name)")


class OnAReferral(Queued):
    """An item about a referral (and so a child)."""

    referral_id: uuid.UUID
    child_id: uuid.UUID
    submitted_at: str = Field(description=ISO)
    assigned: HolderShown | None = Field(None, description="Who on the front door is working on it (null: nobody)")


class ReferralQueued(OnAReferral):
    """A referral a person must act on: an emergency with no contact recorded, or one the rules could not finish."""

    reason: Literal["emergency", "manual_review", "out_of_scope"]


class WaitingQueued(OnAReferral):
    """A referral still waiting for missing information after the working days allowed."""

    reason: Literal["needs_information"]
    last_chase: LastChase | None = Field(None, description="The referrer's last chase, when they were chased")


class DuplicateQueued(OnAReferral):
    """A referral whose child may be known under another record, not yet reviewed."""

    reason: Literal["possible_duplicate"]
    possible_duplicate_of: list[uuid.UUID] = Field(description="The child records it may be the same child as")


class DeadLetterQueued(Queued):
    """A referral event that could not be processed, waiting for an administrator."""

    reason: Literal["dead_letter"]
    referral_id: None
    child_id: None
    submitted_at: None
    outcome: None
    dead_letter: DeadLetterShown


class AdviceQueued(Queued):
    """An advice request not answered yet (its clock: the end of its due day)."""

    reason: Literal["advice"]
    referral_id: None
    child_id: None
    submitted_at: str = Field(description="When it was asked (ISO 8601, as stored)")
    outcome: None
    advice: AdviceShown


QueueItem = Annotated[ReferralQueued | WaitingQueued | DuplicateQueued | DeadLetterQueued | AdviceQueued,
                      Field(discriminator="reason")]


class Counts(View):
    """How many items of each reason, before filtering."""

    emergency: int
    manual_review: int
    out_of_scope: int
    needs_information: int
    possible_duplicate: int
    dead_letter: int
    advice: int


class Queue(View):
    """Everything that needs a person, most urgent first, as filtered."""

    items: list[QueueItem]
    counts: Counts
    total: int = Field(description="How many items are listed (after filtering)")
    notes: list[str] = Field(description=UNREADABLE)


class ContactRecorded(View):
    referral_id: uuid.UUID
    contact_id: int
    contacted: str = Field(description="Who was contacted: a role or service, e.g. 'Mother'")
    how: Literal["phone", "in_person", "video", "email"]
    contacted_at: str = Field(description=ISO)
    contact_made_at: str | None = Field(description="When the referral's emergency clock stopped (ISO 8601)")


class ChaseRecorded(View):
    referral_id: uuid.UUID
    chase_id: int
    how: Literal["phone", "email"]
    at: str = Field(description=ISO)
    next_action_at: str = Field(description="When the referrer is to be chased again if they have not answered: "
                                            "the end of CHASE_AGAIN_WORKING_DAYS working days later (ISO 8601)")


class DecisionRequested(View):
    """A person's decision, sent to triage to apply; the referral shows it once applied."""

    decision_id: uuid.UUID
    status: Literal["requested"]


class DeadLetterCounts(View):
    waiting: int = Field(description="Events waiting for an administrator")
    sent_again: int = Field(description="Events sent again and not failed since")
    discarded: int = Field(description="Events discarded (they stay in the log, never offered again)")


class DeadLetters(View):
    dead_letters: list[DeadLetterShown] = Field(description="One per event in the state shown")
    showing: Literal["waiting", "sent_again", "discarded"]
    counts: DeadLetterCounts
    readable: bool = Field(description="False: the message broker did not answer (the list is empty)")
    notes: list[str] = Field(description=UNREADABLE)


class Replayed(View):
    topic: Literal["frontdoor.referrals.submitted.dlq", "frontdoor.triage.decisions.dlq"]
    asked: int = Field(description="How many dead letters were chosen")
    replayed: int = Field(description="How many were published to their original topic again")


class Discarded(View):
    """An event discarded: it stays in the dead-letter log but is never offered for replay again."""

    event_id: uuid.UUID
    topic: str = Field(description="The dead-letter topic")
    by_name: str | None
    at: str = Field(description=ISO)
    reason: str

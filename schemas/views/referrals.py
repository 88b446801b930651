"""What intake's referrals API answers: a referral submitted (`Submitted`), one completed (`Completed`), a
referrer's list (`ReferralSummary`), a referral as its referrer sees it (`ReferralView`, the front door's view of
it adding `possible_duplicate`) and a bulk import's result (`ImportResult`).

A decision is shown as intake keeps it: triage's (`TriagesDecision`), or a person's on the front door that replaced
it (`PersonsDecisionShown`), both without the event's envelope or the DSR candidate's details. A referrer reads it
worded without the child's history (services/intake/referrals/disclosure.py), so a reason may read
`{"rule_id": "history", ...}`; the shapes are the same for every reader. Times written with `isoformat()` (as
stored) are strings here, so the JSON stays exactly as before; times that went through an event are `Instant`s."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from schemas.enums import DsrConsent, DsrRating, Outcome, Priority, Service
from schemas.events import Explanation, Route, RouteChange
from schemas.lifecycle import RequestStatus
from schemas.referral import Referral
from schemas.views import View
from schemas.wire import Instant, RuleId, Uuid

ReferralState = Literal["submitted", "decided"]  # services/intake/referrals/domain.py: ReferralStatus
AWAITING_DECISION = "awaiting_decision"  # the priority of a request a service told intake of before its decision
STORED_TIME = "ISO 8601, as stored"


class Links(View):
    self: str = Field(description="Where the referral is read: /referrals/{referral_id}")


class Submitted(View):
    """A referral received: answered 201 when new, 200 when the same client_reference was received before."""

    referral_id: uuid.UUID
    child_id: uuid.UUID
    status: ReferralState
    links: Links


class Completed(View):
    """The missing information received: the referral goes to triage again."""

    referral_id: uuid.UUID
    status: ReferralState


REQUEST_STATE = ("The request's state in words, for its referrer: 'declined — signposted to ..., because ...', "
                 "'priority changed from routine to urgent by the front door'")


class ServiceState(View):
    """One request of a referral in a referrer's list: its service, where it stands in words, and its due date."""

    service_request_id: uuid.UUID
    service: Service
    priority: Priority | Literal["awaiting_decision"]
    status: RequestStatus
    state: str = Field(description=REQUEST_STATE)
    due_by: str = Field(description=STORED_TIME)


class ReferralSummary(View):
    """One of the referrer's own referrals, most recent first."""

    referral_id: uuid.UUID
    status: ReferralState
    outcome: Outcome | None = Field(description="The decision's outcome; null until triage decides")
    submitted_at: str = Field(description=STORED_TIME)
    client_reference: str | None
    child_name: str | None = Field(None, description="The child's name, as the referrer gave it")
    services: list[ServiceState] | None = Field(None, description="Each service request of the referral, in words")


class DsrShown(View):
    """Whether the child is a candidate for the Dynamic Support Register (who they are is the register's only)."""

    candidate: bool
    suggested_rating: DsrRating | None = None
    consent: DsrConsent | None = None
    reasons: list[RuleId] = []


class TriagesDecision(View):
    """Triage's decision, as the reader may see it."""

    referral_id: Uuid
    child_id: Uuid
    decided_at: Instant
    ruleset_version: str
    outcome: Outcome
    routes: list[Route]
    missing: list[str] = Field(description="What the referral lacks (needs_information: the referrer may send it)")
    dsr: DsrShown
    explanation: list[Explanation]


class PersonsDecisionShown(TriagesDecision):
    """A decision a person on the front door made in place of the one before (applied by triage)."""

    decided_by: str
    decided_by_name: str | None = Field(None, description="The person's display name (not shown to a referrer)")
    supersedes: Uuid = Field(description="The event id of the decision it replaced")
    rationale: str
    disagreed_with: list[RuleId] = Field(description="The rules of the decision before the person disagreed with")
    changes: list[RouteChange]
    signpost: str | None


DecisionShown = TriagesDecision | PersonsDecisionShown


class FrontDoorDecisionShown(View):
    """A person's decision on the front door: who, when, why and what changed, in words; `requested` until triage
    has applied it."""

    decision_id: uuid.UUID
    decided_by: str
    decided_by_name: str | None = Field(None, description="The person's display name, when their token gave one")
    decided_at: str = Field(description=STORED_TIME)
    rationale: str
    disagreed_with: list[RuleId]
    changes: list[RouteChange]
    summary: str = Field(description="The changes in words: 'add SALT community (urgent)', 'added ...' once done")
    status: Literal["applied", "requested"]


class RequestShown(View):
    """Intake's copy of one service request of the referral, kept up to date by the services' outcomes."""

    service_request_id: uuid.UUID
    service: Service
    pathway: str = Field(description="Empty while a service's news of the request came before its decision")
    priority: Priority | Literal["awaiting_decision"] = Field(
        description=f"{AWAITING_DECISION} while a service's news of the request came before its decision")
    due_by: str = Field(description=STORED_TIME)
    held: bool = Field(description="Held for MASH, which decides first")
    status: RequestStatus
    breached: bool = Field(description="Not accepted by its due date")
    redirect_of: uuid.UUID | None = Field(description="The request a service redirected to make this one")
    state: str | None = Field(None, description=REQUEST_STATE)
    by: str | None = Field(None, description=(
        "Who last acted on it, in words: a person's name and team for the front door, the team only for a referrer"))


class TimelineEntry(View):
    """A line of the child's journey: for a referrer, through their own referrals only."""

    at: str = Field(description=STORED_TIME)
    kind: str
    summary: str
    this_referral: bool
    by: str | None = Field(None, description=(
        "Who did it, in words: a person's name and team ('Kim Evans, Speech and language therapy') for the front "
        "door, the team only ('Speech and language therapy', 'the front door') for a referrer; never a login id"))


class ReferralView(View):
    """A referral as its referrer sees it (or the front door, which also sees `possible_duplicate`, the child's
    whole timeline and every reason in full): the referral, the decision in force, triage's original decision
    when a person changed it, people's decisions, its requests and the child's timeline."""

    referral_id: uuid.UUID
    child_id: uuid.UUID
    status: ReferralState
    submitted_at: str = Field(description=STORED_TIME)
    client_reference: str | None
    possible_duplicate: bool | None = Field(
        None, description="The front door's view only: the child may be one of another child record")
    referral: Referral
    decision: DecisionShown | None = Field(description="The decision in force; null until triage decides")
    original_decision: TriagesDecision | None = Field(
        description="Triage's own decision, when a person on the front door has since changed it")
    front_door_decisions: list[FrontDoorDecisionShown]
    service_requests: list[RequestShown]
    timeline: list[TimelineEntry]


class ImportProblem(View):
    row: int = Field(description="The line in the file (the header is line 1)")
    column: str = Field(description="The column (or columns, or '(file)') the problem is in")
    problem: str = Field(description="What is wrong, in words (never the value)")


class ImportResult(View):
    """A bulk import's result. `refused`: nothing was imported (a row has problems and import_valid was not set,
    or no row is valid, or the file is not UTF-8); otherwise the valid rows were imported in one transaction."""

    rows: int = Field(description="Rows in the file, the header left out")
    bad_rows: int | None = Field(None, description="Rows with problems (left out when the file is not UTF-8)")
    problems: list[ImportProblem] = Field(description="The first 500 problems, by row and column")
    imported: int = Field(description="Referrals new to intake")
    already: int = Field(description="Rows imported before (the same client_reference)")
    refused: bool

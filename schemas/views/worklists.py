"""What the worklists API answers: a service's worklist (open or finished requests) and its counts per state, one
request, the requests MASH holds for a referral, an action's result, MASH's decision and breach counts. A request
held for MASH shows its service only that it exists (`HeldRequest`: no child, referral or pathway, by its shape);
MASH and, once released, the service see it whole."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from schemas.enums import Priority, Service
from schemas.events import ServiceDetails
from schemas.lifecycle import RequestStatus
from schemas.views import View
from schemas.views.assignments import HolderShown


class ChildShown(View):
    """The child's name and date of birth, as far as the request carries them."""

    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None


class RequestSummary(View):
    """What every worker of the service sees of a request."""

    service_request_id: uuid.UUID
    service: Service
    priority: Priority
    due_by: str = Field(description="When the first contact is due (ISO 8601, as stored)")
    time_left: str = Field(description="In words: '24 hours left', 'overdue by 3 days'")
    overdue: bool
    held: bool = Field(description="Held for MASH, which decides first")
    status: RequestStatus
    breached: bool
    received_at: str | None = Field(None, description="When the service received it (ISO 8601, as stored)")
    updated_at: str | None = Field(None, description="When it last changed: for a finished request, when it finished "
                                                     "(ISO 8601, as stored)")
    assigned: HolderShown | None = Field(None, description="Who in the service is working on it (null: nobody)")


class HeldRequest(RequestSummary):
    """A request held for MASH, as its service's workers see it until MASH releases it."""

    mash_decides_first: Literal[True]
    notice: str


class ReleasedRequest(RequestSummary):
    """A request its service may see in full (or any held request, as MASH sees it)."""

    referral_id: uuid.UUID
    pathway: str
    child: ChildShown
    age: str | None = Field(None, description="The child's age today in words ('12 years', or months under 2: "
                                              "'14 months'); null where the date of birth is not shared with the "
                                              "service")


ListedRequest = HeldRequest | ReleasedRequest


class Reason(View):
    rule_id: str
    because: str


class Withdrawal(View):
    """Who on the front door withdrew the request, when and why."""

    by: str | None = Field(description="The login id of who withdrew it (for the audit; not shown to people)")
    by_name: str | None = Field(None, description="Their display name, when their token gave one")
    at: str
    reason: str | None
    summary: str = Field(description="In words: 'Withdrawn by Dana Wright (front door): ...', or by the front door")


class RequestView(ReleasedRequest):
    """One request in full: why it came, the referral's details the service receives, and what became of it."""

    reasons: list[Reason]
    details: ServiceDetails
    outcome_reason: str | None
    signpost: str | None
    redirect_to: Service | None
    withdrawn: Withdrawal | None
    clock: str | None = Field(None, description="The clock it runs on, in words: '10 working days from when it was "
                                                "received', '4 hours from when it was received'")


OneRequest = HeldRequest | RequestView


class ActionDone(View):
    service_request_id: uuid.UUID
    status: RequestStatus


class HeldDecided(View):
    decision: Literal["release", "decline"]
    requests: int = Field(description="How many held requests were released or declined")


ListState = Literal["open", "created", "accepted", "completed", "declined", "redirected", "withdrawn"]


class StateCounts(View):
    open: int = Field(description="Created or accepted, however long ago received")
    completed: int
    declined: int
    redirected: int
    withdrawn: int


class ListCounts(View):
    """How many requests each state of the worklist shows: the finished ones received in the window."""

    received_within_days: int
    counts: StateCounts


class Breaches(View):
    service: Service
    breaches: int

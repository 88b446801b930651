"""The service-request lifecycle, part of the contract between intake and the worklists
(design/worklists.md; FHIR Task statuses in brackets):

created (requested) -> accepted (accepted) -> completed (completed)
created -> declined (rejected: reason and signpost required) | redirected (to another service)
accepted -> redirected
created -> withdrawn (a front-door decision took it away; never once accepted)

A held request (under a safeguarding route) cannot be accepted or completed until MASH releases it.
Pure: both services import it, so the statuses, the transitions and which outcome event leads to
which status are written once."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from schemas.enums import OutcomeEventType, Service


class RequestStatus(StrEnum):
    created = "created"
    accepted = "accepted"
    declined = "declined"
    redirected = "redirected"
    completed = "completed"
    withdrawn = "withdrawn"  # taken away by a front-door decision before the service accepted it


class Action(StrEnum):
    accept = "accept"
    decline = "decline"
    redirect = "redirect"
    complete = "complete"


OPEN: tuple[RequestStatus, ...] = (RequestStatus.created, RequestStatus.accepted)
NOT_YET_ACCEPTED: tuple[RequestStatus, ...] = (RequestStatus.created,)

# action -> the statuses it may start from
TRANSITIONS: dict[Action, tuple[RequestStatus, ...]] = {
    Action.accept: (RequestStatus.created,),
    Action.decline: (RequestStatus.created,),
    Action.redirect: (RequestStatus.created, RequestStatus.accepted),
    Action.complete: (RequestStatus.accepted,),
}
# action -> the status it leads to, and the event that announces it
RESULT: dict[Action, RequestStatus] = {
    Action.accept: RequestStatus.accepted,
    Action.decline: RequestStatus.declined,
    Action.redirect: RequestStatus.redirected,
    Action.complete: RequestStatus.completed,
}
OUTCOME_EVENT: dict[Action, OutcomeEventType] = {
    Action.accept: OutcomeEventType.accepted,
    Action.decline: OutcomeEventType.declined,
    Action.redirect: OutcomeEventType.redirected,
    Action.complete: OutcomeEventType.completed,
}
# outcome event -> the status it gives the request (released and breached change no status)
STATUS_AFTER: dict[OutcomeEventType, RequestStatus] = {
    **{event: RESULT[action] for action, event in OUTCOME_EVENT.items()},
    OutcomeEventType.withdrawn: RequestStatus.withdrawn,
}
# a front-door decision may withdraw (or re-prioritise) only a request no service has accepted yet
WITHDRAWABLE: tuple[RequestStatus, ...] = NOT_YET_ACCEPTED
FRONT_DOOR_TEAM = "front_door"  # the team of a person on the front door (a service's people are its service's team)


def acting_team(status: str, service: str) -> str:
    """The team whose act gave a request `status`: the front door withdraws it; its service does the rest."""
    return FRONT_DOOR_TEAM if status == RequestStatus.withdrawn else service


def outcome_team(event_type: OutcomeEventType, service: str) -> str:
    """The team that did what an outcome event says (`acting_team` of the status it gives; MASH releases)."""
    return acting_team(STATUS_AFTER.get(event_type, ""), service)


class Waiting(NamedTuple):
    """What `safeguarding_pending` needs of one request of the child."""

    referral_id: object
    service: str
    status: str
    held: bool
    holds: bool  # a request of its service and priority waits while MASH decides (the ruleset's `hold`)


def safeguarding_pending(requests: Iterable[Waiting]) -> bool:
    """Whether MASH has yet to decide about a child, from its requests: one of them is still held for MASH, or
    MASH's own request still waits (created) in a referral where nothing was held for it to decide on (MASH alone,
    or beside emergencies). Once MASH has released or declined what it held, or acted on its own request, it has
    decided. While it has not, every request made for the child by any path waits too (the ruleset's `hold`)."""
    requests = list(requests)
    if any(r.status == RequestStatus.created and r.held for r in requests):
        return True
    decided_on = {r.referral_id for r in requests if r.service != Service.safeguarding and r.holds}
    return any(r.service == Service.safeguarding and r.status == RequestStatus.created
               and r.referral_id not in decided_on for r in requests)

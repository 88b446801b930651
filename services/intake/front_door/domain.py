"""A person's decision on the front door, the pure part: what may be changed (the refusals), the
`referral.override_requested` event intake sends triage, the decision kept once triage has applied it
(with the one it replaced), and the words on the child's timeline; and the chase clock (when a referral
waiting for missing information is next to be chased). No SQL, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol

from pydantic import Field

from schemas import History, Referral
from schemas.events import OverrideRequested, Rationale, Route, RouteChange, RuleId, TriageDecision, TriageOverridden
from schemas.labels import label
from schemas.lifecycle import OPEN, WITHDRAWABLE, RequestStatus
from schemas.referral import TolerantInput
from services.common.errors import ConflictError, DomainError, NotFoundError
from services.common.workdays import WorkingCalendar
from services.intake.referrals.domain import DECISION_ENVELOPE, route_words


class PersonsDecision(TolerantInput):
    """What a person on the front door decides about a referral (the body of their request; tolerant input:
    white space around the text they type is trimmed)."""

    rationale: Rationale
    disagreed_with: list[RuleId] = []
    changes: list[RouteChange] = Field(min_length=1)


class UnprocessableError(DomainError):
    """The decision asks for something that cannot be done to this referral."""

    status = 422
    message = "This decision cannot be applied to this referral"


class NoSuchReferralError(NotFoundError):
    message = "No referral has this id"


class NotDecidedError(ConflictError):
    message = "This referral has no decision yet"


class DecisionPendingError(ConflictError):
    message = "A person's decision on this referral is still being applied"


class NotOpenError(ConflictError):
    message = "This request is no longer open"


class Request(Protocol):
    """Intake's copy of a service request, as these rules read it."""

    id: uuid.UUID
    service: str
    pathway: str
    priority: str
    due_by: datetime
    held: bool
    status: str


def fired_rules(decision: Mapping[str, Any]) -> list[str]:
    """The rule ids that fired in a decision (its explanation, its routes' and the register's reasons), in order."""
    ids = [e["rule_id"] for e in decision.get("explanation", [])]
    ids += [rule for r in decision.get("routes", []) for rule in r.get("reasons", [])]
    ids += list((decision.get("dsr") or {}).get("reasons", []))
    return list(dict.fromkeys(ids))


def check_disagreement(disagreed_with: Iterable[str], fired: list[str]) -> None:
    strangers = [rule for rule in disagreed_with if rule not in fired]
    if strangers:
        raise UnprocessableError(f"These rules did not fire in the decision being changed: {', '.join(strangers)}")


def check_changes(changes: list[RouteChange], requests: Mapping[uuid.UUID, Request]) -> None:
    """Refuse a change that cannot be made: a route added to a service already open for this referral
    (422), a request of another referral (422), a request no longer open (409) or already accepted (409:
    a service that accepted a request keeps it; a close would withdraw every open one)."""
    open_services = {r.service for r in requests.values() if r.status in OPEN}
    for change in changes:
        if change.kind == "add_route":
            service = change.service.value if change.service else ""
            if service in open_services:
                raise UnprocessableError(f"{label(service)} already has an open request for this referral")
            open_services.add(service)
        elif change.kind == "close":
            for request in requests.values():
                if request.status in OPEN:
                    _check_withdrawable(request)
        else:
            request = requests.get(change.service_request_id)  # type: ignore[arg-type]  # set for these kinds
            if request is None:
                raise UnprocessableError("This request is not one of this referral's")
            _check_withdrawable(request)


def _check_withdrawable(request: Request) -> None:
    if request.status == RequestStatus.accepted:
        raise ConflictError(f"{label(request.service)} has already accepted this request; it cannot be withdrawn")
    if request.status not in WITHDRAWABLE:
        raise NotOpenError


def current_decision(decision: Mapping[str, Any], requests: Iterable[Request]) -> TriageDecision:
    """The decision in force as triage needs it: its routes are the requests still open."""
    reasons = {r.get("service_request_id"): r.get("reasons", []) for r in decision.get("routes", [])}
    routes = [Route(service=r.service, pathway=r.pathway, priority=r.priority, due_by=r.due_by,  # type: ignore[arg-type]
                    held=r.held, reasons=reasons.get(str(r.id), []), service_request_id=r.id)
              for r in requests if r.status in OPEN]
    fields = {k: v for k, v in decision.items() if k in TriageDecision.model_fields}
    return TriageDecision.model_validate({**fields, "routes": routes})


def override_requested(decided: PersonsDecision, *, referral_id: uuid.UUID, child_id: uuid.UUID,
                       submitted_at: datetime, referral: Referral, current: TriageDecision, supersedes: uuid.UUID,
                       by: str, now: datetime, history: History, by_name: str | None = None) -> OverrideRequested:
    """The event that asks triage to apply a person's decision (a fresh id: each decision is new), with what
    triage needs of the child's history (whether MASH has yet to decide: the routes added then wait for it)."""
    return OverrideRequested(
        event_id=uuid.uuid4(), occurred_at=now, correlation_id=referral_id, referral_id=referral_id,
        child_id=child_id, submitted_at=submitted_at, referral=referral, current=current, supersedes=supersedes,
        decided_by=by, decided_by_name=by_name, rationale=decided.rationale, disagreed_with=decided.disagreed_with,
        changes=decided.changes,
        history=history,
    )


def overridden_record(event: TriageOverridden, previous: dict[str, Any] | None) -> dict[str, Any]:
    """A person's decision as the referrer may see it, with the decision it replaced under `previous`
    (and that one's own `previous`: the original decision and its explanation stay on the record)."""
    decision = event.model_dump(mode="json", exclude=DECISION_ENVELOPE)
    decision["dsr"].pop("person", None)
    decision["previous"] = previous
    return decision


def original_decision(decision: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The first decision of the chain (triage's own), or None when no person has changed it."""
    if decision is None or decision.get("previous") is None:
        return None
    while decision.get("previous") is not None:
        decision = decision["previous"]
    return decision


def change_words(change: RouteChange, requests: Mapping[uuid.UUID, Request], *, done: bool) -> str:
    """One change in words: "add SALT community (urgent)" (or "added ..." once done)."""
    request = requests.get(change.service_request_id) if change.service_request_id else None
    named = route_words(request.service, request.pathway) if request else "a request"
    if change.kind == "add_route":
        assert change.service and change.pathway and change.priority  # RouteChange checks each kind
        verb, what = "added" if done else "add", route_words(change.service.value, change.pathway,
                                                               change.priority.value)
    elif change.kind == "withdraw_route":
        verb, what = "withdrew" if done else "withdraw", named
    elif change.kind == "change_priority":
        assert change.priority
        verb, what = "changed" if done else "change", f"{named} to {change.priority.value}"
    else:
        verb, what = "closed" if done else "close", f"the referral; signposted to {change.signpost}"
    return f"{verb} {what}"


def requested_text(changes: list[RouteChange], requests: Mapping[uuid.UUID, Request]) -> str:
    return "A person on the front door is changing the decision: " + "; ".join(
        change_words(c, requests, done=False) for c in changes)


def overridden_text(event: TriageOverridden, requests: Mapping[uuid.UUID, Request]) -> str:
    done = "; ".join(change_words(c, requests, done=True) for c in event.changes)
    return f"Front door decision: {done}; reason: {event.rationale}"  # who: the line's `by` (never a login id)


def priority_changes(decisions: Iterable[Iterable[Mapping[str, Any]]],
                     requests: Mapping[uuid.UUID, Request]) -> dict[uuid.UUID, tuple[str, str]]:
    """The requests people on the front door gave another priority (each person's decision's `changes`, as kept):
    request id -> (its priority before, the one it was given). Such a request is withdrawn and made again."""
    changed: dict[uuid.UUID, tuple[str, str]] = {}
    for changes in decisions:
        for change in changes:
            request_id = uuid.UUID(str(change.get("service_request_id"))) if change.get("service_request_id") else None
            request = requests.get(request_id) if request_id else None
            if change.get("kind") == "change_priority" and request is not None and request_id is not None:
                changed[request_id] = (request.priority, str(change.get("priority")))
    return changed


# --- the chase clock --------------------------------------------------------------------------------

CHASE_AGAIN_BY = time(17, 0)  # a chase's next action falls due at the end of its working day
CALENDAR = WorkingCalendar()


@dataclass(frozen=True)
class ChaseClock:
    """When a referral waiting for missing information is next to be chased (`due`), whether it is on the
    front door's queue (`listed`) and whether that date has passed (`overdue`)."""

    due: datetime
    listed: bool
    overdue: bool


def next_chase(chased_at: datetime, again_after: int, calendar: WorkingCalendar = CALENDAR) -> datetime:
    """A chase's next action: 17:00 (local) on the `again_after`-th working day after the day of the chase."""
    return calendar.due_after_working_days(chased_at, again_after, CHASE_AGAIN_BY)


def chase_clock(asked: datetime, last_chase: datetime | None, now: datetime, *, first_after: int, again_after: int,
                calendar: WorkingCalendar = CALENDAR) -> ChaseClock:
    """Not chased yet: due `first_after` working days after information was asked for (at that time of day), and
    listed from then. Chased: due when the last chase says to chase again (`next_chase`), listed from the chase on
    (as "chase again by"), overdue once that date has passed, counted from it."""
    if last_chase is None:
        local = asked.astimezone(calendar.tz).time().replace(tzinfo=None)
        due = calendar.due_after_working_days(asked, first_after, local)
        return ChaseClock(due=due, listed=due <= now, overdue=due <= now)
    due = next_chase(last_chase, again_after, calendar)
    return ChaseClock(due=due, listed=True, overdue=due <= now)

"""Intake's pure core: a referral's statuses, the client_reference rule, the JSON merge patch, the
events intake publishes and the words on the child's timeline. No SQL, no I/O."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from schemas import History, Redirect, Referral, ReferralRedirected, ReferralSubmitted, ServiceOutcome, TriageDecided
from schemas.enums import OutcomeEventType, Priority, Service
from schemas.events import Route
from schemas.labels import day, in_sentence, label
from schemas.lifecycle import FRONT_DOOR_TEAM, STATUS_AFTER, RequestStatus, outcome_team
from services.common.errors import ConflictError, NotFoundError
from services.common.ids import derived_id


class ReferralStatus(StrEnum):
    submitted = "submitted"  # waiting for triage (again, after missing information was supplied)
    decided = "decided"


NEEDS_INFORMATION = "needs_information"  # the decision outcome a referrer may complete


class ClientReferenceReusedError(ConflictError):
    """The same client_reference was sent before with a different referral."""

    message = "This client_reference was already used for a different referral"


class NotCompletableError(ConflictError):
    """Only a referral waiting for information can be completed."""

    message = "Only a referral that needs information can be completed"


class ReferralNotFoundError(NotFoundError):
    """No such referral, or not the caller's (the answer is the same, so ids cannot be probed)."""

    message = "No referral of yours has this id"


def fingerprint(referral: Referral) -> str:
    """The referral without its client_reference, to tell a replay from a reuse of the reference."""
    return hashlib.sha256(referral.model_dump_json(exclude={"client_reference"}).encode()).hexdigest()


def check_replay(stored_fingerprint: str, referral: Referral) -> None:
    """A client_reference sent again is a replay when it carries the same referral; a different
    referral under a used reference is refused."""
    if stored_fingerprint != fingerprint(referral):
        raise ClientReferenceReusedError


def check_completable(outcome: str | None) -> None:
    if outcome != NEEDS_INFORMATION:
        raise NotCompletableError


# Who the child is: the referral was filed against a child record on these, so a patch never changes them
# (a wrong one is a new referral). Replacing or removing a section that holds one (`child`) is refused too.
IDENTITY_FIELDS = ("child.given_name", "child.family_name", "child.date_of_birth", "child.nhs_number", "child.upn",
                   "child.postcode")
# What each item the triage policy can list as missing lets the referrer send. An item not listed here that is
# the name of a referral field lets that field be sent; any other item, nothing.
MISSING_FIELDS: dict[str, tuple[str, ...]] = {
    "consent": ("consent",),
    "parental_consent": ("consent.basis",),
    "child_agreement": ("consent.child_aware",),
}
IDENTITY_PROBLEM = "cannot be changed: it says who the child is (send a new referral if it is wrong)"
NOT_MISSING_PROBLEM = "was not asked for: send only the missing information"
NOTHING_SENT_PROBLEM = "must be given: the patch supplies none of the missing information"


class PatchRefusedError(Exception):
    """A merge patch that changes fields it may not: `problems` names each (field and why, never a value)."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(f"{len(problems)} field(s) may not be changed")
        self.problems = problems


def patchable_fields(missing: list[str]) -> frozenset[str]:
    """The referral fields (dotted paths) a referrer may send to complete a decision that lists `missing`."""
    fields: set[str] = set()
    for item in missing:
        fields.update(MISSING_FIELDS.get(item, (item,) if item in Referral.model_fields else ()))
    return frozenset(fields)


def changed_fields(base: dict[str, Any], patch: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted paths `patch` (a JSON merge patch) would change in `base`: a value equal to the stored one is
    no change; an object merging into an object is followed (to the depth of `base`, never deeper)."""
    changed: list[str] = []
    for key, value in patch.items():
        path, current = f"{prefix}{key}", base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            changed += changed_fields(current, value, f"{path}.")
        elif value != current:  # null removes: no change where there is nothing (or null) already
            changed.append(path)
    return changed


def check_patch(base: dict[str, Any], patch: dict[str, Any], *, missing: list[str]) -> None:
    """Refuse (PatchRefusedError, every field named) a patch that changes nothing (each field it could have sent
    named), or that touches who the child is, or anything the decision did not list as missing."""
    allowed = patchable_fields(missing)

    def under(path: str, root: str) -> bool:
        return path == root or path.startswith(f"{root}.")

    changed = sorted(set(changed_fields(base, patch)))
    if not changed:  # nothing new: no "missing information supplied", no second triage of the same referral
        raise PatchRefusedError([{"field": field, "problem": NOTHING_SENT_PROBLEM, "type": "missing"}
                                 for field in sorted(allowed) or ["(body)"]])
    problems = []
    for path in changed:
        if any(under(identity, path) or under(path, identity) for identity in IDENTITY_FIELDS):
            problems.append({"field": path, "problem": IDENTITY_PROBLEM})
        elif not any(under(path, root) for root in allowed):
            problems.append({"field": path, "problem": NOT_MISSING_PROBLEM})
    if problems:
        raise PatchRefusedError(problems)


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces."""
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = value
    return out


def referral_submitted(referral: Referral, *, referral_id: uuid.UUID, child_id: uuid.UUID, history: History,
                       now: datetime) -> ReferralSubmitted:
    """The event that sends a referral to triage (a fresh event id each time it is sent)."""
    return ReferralSubmitted(
        event_id=uuid.uuid4(), occurred_at=now, correlation_id=referral_id, referral_id=referral_id,
        child_id=child_id, submitted_at=now, referral=referral, history=history,
    )


def referral_redirected(outcome: ServiceOutcome, to_service: Service, *, child_id: uuid.UUID, referral: Referral,
                        submitted_at: datetime, history: History, now: datetime) -> ReferralRedirected:
    """The referral sent back to triage for the redirect's target service only. Its id is derived
    from the outcome, so a redelivered outcome yields the very same event."""
    return ReferralRedirected(
        event_id=derived_id(outcome.event_id, "referral.redirected"), occurred_at=now,
        correlation_id=outcome.referral_id, referral_id=outcome.referral_id, child_id=child_id,
        submitted_at=submitted_at, referral=referral, history=history,
        redirect=Redirect(from_service=outcome.service, from_request_id=outcome.service_request_id,
                          to_service=to_service, reason=outcome.reason),
    )


DECISION_ENVELOPE = {"event_id", "event_type", "schema_version", "occurred_at", "correlation_id", "redirect_of"}


def decision_record(event: TriageDecided) -> dict[str, Any]:
    """The decision as the referrer may see it: without the envelope, nor the DSR candidate's details."""
    decision = event.model_dump(mode="json", exclude=DECISION_ENVELOPE)
    decision["dsr"].pop("person", None)
    return decision


EMERGENCY_CLOCK = timedelta(hours=4)  # an emergency decision needs contact within 4 hours (the front-door queue)


def emergency_due(outcome: str, decided_at: datetime) -> datetime | None:
    """When contact must be made for an emergency decision (None for any other outcome)."""
    return decided_at + EMERGENCY_CLOCK if outcome == "emergency" else None


AWAITING_DECISION = "awaiting_decision"  # the priority of a request an outcome told us of before its decision


def outcome_changes(event: ServiceOutcome) -> dict[str, Any]:
    """What a service's outcome changes on intake's copy of the request (field -> value)."""
    changes: dict[str, Any] = {"updated_at": event.occurred_at}
    if event.event_type in STATUS_AFTER:
        changes["status"] = STATUS_AFTER[event.event_type].value
        changes |= {"by_name": event.by_name, "outcome_reason": event.reason, "signpost": event.signpost,
                    "redirect_to": event.redirect_to.value if event.redirect_to else None}
    if event.event_type is OutcomeEventType.accepted:
        changes["accepted_at"] = event.occurred_at
    elif event.event_type is OutcomeEventType.released:
        changes["held"] = False
    elif event.event_type is OutcomeEventType.breached:
        changes["breached_at"] = event.occurred_at
    return changes


# --- the child's timeline, in the referrer's words -------------------------------------------------

def outcome_kind(event: ServiceOutcome) -> str:
    """The timeline kind of an outcome: `accepted`, `declined`, `redirected`, ..."""
    return event.event_type.value.removeprefix("service_request.")


def route_words(service: str, pathway: str, priority: str | None = None, *, held: bool = False) -> str:
    """A route in words: "Speech and language therapy, community (urgent)"."""
    words = label(service) + (f", {in_sentence(pathway)}" if pathway else "")
    details = [in_sentence(priority)] if priority else []
    if held:
        details.append("held for the safeguarding hub")
    return words + (f" ({', '.join(details)})" if details else "")


def submitted_text(referral: Referral) -> str:
    return f"Referral received from: {label(referral.referrer.role)}"


def decision_text(event: TriageDecided) -> str:
    routes = "; ".join(route_words(r.service, r.pathway, r.priority, held=r.held) for r in event.routes)
    missing = ", ".join(in_sentence(m) for m in event.missing)
    return (f"Triage decided: {label(event.outcome)}" + (f". Sent to {routes}" if routes else "")
            + (f". Missing: {missing}" if missing else ""))


def redirect_text(route: Route) -> str:
    """An emergency is due within hours, so its time is given too ("due 7 December 2026, 3:40pm")."""
    due = day(route.due_by, time=route.priority == Priority.emergency)
    return f"New request: {route_words(route.service, route.pathway, route.priority)}, due {due}"


def outcome_text(event: ServiceOutcome, pathway: str, *, priority_change: tuple[str, str] | None = None) -> str:
    """What a service (or the front door) did to a request, in words. A request withdrawn because the front door gave
    it another priority (`priority_change`: from, to) reads as that change, not as a withdrawal."""
    redirect_to = label(event.redirect_to) if event.redirect_to else "another service"
    text = {
        "accepted": "accepted", "declined": "declined", "completed": "completed",
        "released": "released by the safeguarding hub (MASH)", "breached": "not accepted by its due date",
        "redirected": f"redirected to {redirect_to}",
        "withdrawn": "withdrawn by the front door" + (f": {event.reason}" if event.reason else ""),
    }[outcome_kind(event)]
    if priority_change is not None and outcome_kind(event) == "withdrawn":
        text = priority_change_words(*priority_change) + (f": {event.reason}" if event.reason else "")
    signposted = f"; signposted: {event.signpost}" if event.signpost else ""
    return f"{route_words(event.service, pathway)}: {text}{signposted}"


def priority_change_words(before: str, after: str) -> str:
    """"priority changed from routine to urgent by the front door"."""
    return f"priority changed from {label(before).lower()} to {label(after).lower()} by the front door"


def team_of(event: ServiceOutcome) -> str:
    """Whose team did what an outcome says (schemas.lifecycle.outcome_team)."""
    return outcome_team(event.event_type, event.service.value)


def who(name: str | None, team: str | None, *, named: bool) -> str | None:
    """Who did something, as a reader may see it: the person's display name and team ("Kim Evans, Speech and
    language therapy") where `named` and a name was given; otherwise the team only ("Speech and language therapy",
    "the front door"). None when nothing is known of who did it (older lines). Never a login id."""
    if team is None:
        return None
    if team == FRONT_DOOR_TEAM:
        return f"{name}, front door" if named and name else "the front door"
    return f"{name}, {label(team)}" if named and name else label(team)


def request_state(status: str, *, held: bool = False, signpost: str | None = None, reason: str | None = None,
                  redirect_to: str | None = None, priority_change: tuple[str, str] | None = None) -> str:
    """A request's state in words, for its referrer: "declined — signposted to the school nurse, because ...",
    "waiting for the service to respond", "priority changed from routine to urgent by the front door"."""
    because = f", because {reason}" if reason else ""
    if status == RequestStatus.created:
        return ("waiting for the safeguarding hub (MASH) to decide first" if held
                else "waiting for the service to respond")
    if status == RequestStatus.declined:
        return "declined" + (f" — signposted to {signpost}" if signpost else "") + because
    if status == RequestStatus.redirected:
        return f"redirected to {label(redirect_to) if redirect_to else 'another service'}{because}"
    if status == RequestStatus.withdrawn:
        return priority_change_words(*priority_change) if priority_change else f"withdrawn by the front door{because}"
    return label(status).lower()


COMPLETED_TEXT = "Missing information supplied; sent to triage again"

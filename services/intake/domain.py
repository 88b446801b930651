"""Intake's pure core: a referral's statuses, the client_reference rule, the JSON merge patch, the
events intake publishes and the words on the child's timeline. No SQL, no I/O."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from schemas import History, Redirect, Referral, ReferralRedirected, ReferralSubmitted, ServiceOutcome, TriageDecided
from schemas.enums import OutcomeEventType, Service
from schemas.events import Route
from schemas.labels import day, label
from schemas.lifecycle import STATUS_AFTER
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
    words = label(service) + (f", {label(pathway).lower()}" if pathway else "")
    details = [label(priority).lower()] if priority else []
    if held:
        details.append("held for the safeguarding hub")
    return words + (f" ({', '.join(details)})" if details else "")


def submitted_text(referral: Referral) -> str:
    return f"Referral received from: {label(referral.referrer.role)}"


def decision_text(event: TriageDecided) -> str:
    routes = "; ".join(route_words(r.service, r.pathway, r.priority, held=r.held) for r in event.routes)
    missing = ", ".join(label(m).lower() for m in event.missing)
    return (f"Triage decided: {label(event.outcome)}" + (f". Sent to {routes}" if routes else "")
            + (f". Missing: {missing}" if missing else ""))


def redirect_text(route: Route) -> str:
    return f"New request: {route_words(route.service, route.pathway, route.priority)}, due {day(route.due_by)}"


def outcome_text(event: ServiceOutcome, pathway: str) -> str:
    redirect_to = label(event.redirect_to) if event.redirect_to else "another service"
    text = {
        "accepted": "accepted", "declined": "declined", "completed": "completed",
        "released": "released by the safeguarding hub (MASH)", "breached": "not accepted by its due date",
        "redirected": f"redirected to {redirect_to}",
        "withdrawn": "withdrawn by the front door" + (f": {event.reason}" if event.reason else ""),
    }[outcome_kind(event)]
    signposted = f"; signposted: {event.signpost}" if event.signpost else ""
    return f"{route_words(event.service, pathway)}: {text}{signposted}"


COMPLETED_TEXT = "Missing information supplied; sent to triage again"

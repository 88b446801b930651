"""One example of every message in the AsyncAPI document (its `examples`): an event built with the models, as its
producer writes it (the payload as `model_dump_json` writes it to the outbox, the headers as the publisher writes
them), with fixed ids and times so that `frontdoor schemas export` writes the same document every time. The
example's child is made up (the demo referral's Ava Demo-Hart, schemas/examples/referral.json).
tests/unit/test_asyncapi.py checks each against its payload model and schemas; schemas/tooling/ajv-strict.mjs
validates each with Ajv against the message's payload and headers schemas."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import schemas
from schemas.audit import AuditHeadPublished
from schemas.enums import Service
from schemas.events import (
    ChildMerged,
    ChildUnmerged,
    DsrChanged,
    DsrNoteAdded,
    DsrSuggestion,
    EmergencyUnanswered,
    Explanation,
    History,
    OverrideRequested,
    ReferralAssigned,
    ReferralNoteAdded,
    ReferralRedirected,
    ReferralSubmitted,
    Route,
    ServiceDetails,
    ServiceOutcome,
    ServiceRequestAssigned,
    ServiceRequestCreated,
    ServiceRequestNoteAdded,
    TriageDecided,
    TriageDecision,
    TriageOverridden,
)
from schemas.referral import Referral

SUBMITTED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
DECIDED = datetime(2026, 1, 15, 10, 0, 2, 250000, tzinfo=UTC)
LATER = datetime(2026, 1, 16, 9, 30, tzinfo=UTC)
DUE = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
REFERRAL = uuid.UUID("7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a40")
CHILD = uuid.UUID("0b9f8e7d-6c5b-4a39-8281-706f5e4d3c2b")
REQUEST = uuid.UUID("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")
WORKER = {"by": "dana.wright", "by_name": "Dana Wright"}


def an_id(n: int) -> uuid.UUID:
    """A fixed, well-formed (version 4) id for the n-th thing of the examples."""
    return uuid.UUID(f"1f000000-0000-4000-8000-{n:012x}")


def envelope(n: int, at: datetime = SUBMITTED, *, about: uuid.UUID | None = REFERRAL) -> dict[str, Any]:
    return {"event_id": an_id(n), "occurred_at": at, "correlation_id": about}


def referral() -> Referral:
    """The demo referral (the one intake's OpenAPI document shows); the examples are checked against the strict
    wire in tests/unit/test_asyncapi.py."""
    return Referral.model_validate_json((Path(schemas.__file__).parent / "examples" / "referral.json").read_bytes())


def decision() -> TriageDecision:
    because = Explanation(rule_id="route.semh.early_support", because="Anxiety with a moderate effect on daily life.")
    route = Route(service=Service.semh, pathway="early_support", priority="routine", due_by=DUE,
                  reasons=[because.rule_id], service_request_id=REQUEST)
    return TriageDecision(referral_id=REFERRAL, child_id=CHILD, decided_at=DECIDED, ruleset_version="2026.1",
                          outcome="routed", routes=[route], missing=[], dsr=DsrSuggestion(candidate=False),
                          explanation=[because])


def events() -> list[BaseModel]:
    """One event of every message type on the bus (the dead letter aside), in the document's order of topics."""
    child = referral()
    history = History(prior_referrals_365d=1, open_services=[Service.salt])
    about = {"referral_id": REFERRAL, "child_id": CHILD}
    decided = decision()
    change = {"kind": "add_route", "service": "salt", "pathway": "assessment", "priority": "routine"}
    person = {"decided_by": "dana.wright", "decided_by_name": "Dana Wright",
              "rationale": "Speech sounds need an assessment as well.", "changes": [change]}
    merge = {"merge_id": an_id(40), "survivor_id": CHILD, "merged_id": an_id(41), "referral_ids": [an_id(42)],
             "service_request_ids": [an_id(43)]}
    details = ServiceDetails(given_name=child.child.given_name, family_name=child.child.family_name,
                             date_of_birth=child.child.date_of_birth.isoformat(), postcode=child.child.postcode,
                             concerns=[c.value for c in child.concerns], impact=child.impact.value)
    return [
        ReferralSubmitted(**envelope(1), **about, submitted_at=SUBMITTED, referral=child, history=history),
        ReferralRedirected(**envelope(2, LATER), **about, submitted_at=SUBMITTED, referral=child, history=history,
                           redirect={"from_service": "semh", "from_request_id": REQUEST, "to_service": "salt",
                                     "reason": "Speech sounds come first."}),
        OverrideRequested(**envelope(3, LATER), **about, submitted_at=SUBMITTED, referral=child, current=decided,
                          supersedes=an_id(10), history=history, **person),
        TriageDecided(**envelope(10, DECIDED), **dict(decided)),
        TriageOverridden(**envelope(11, LATER), **dict(decided), supersedes=an_id(10), **person),
        EmergencyUnanswered(**envelope(12, LATER), **about, due_by=DECIDED),
        ReferralAssigned(**envelope(13, LATER), **about, team="front_door", change="taken_over",
                         assigned_to="sam.okafor", assigned_to_name="Sam Okafor", previously_assigned_to="dana.wright",
                         **WORKER),
        ReferralNoteAdded(**envelope(14, LATER, about=None), **about, note_id=an_id(30), team="front_door", **WORKER),
        ServiceRequestCreated(**envelope(20, DECIDED), service_request_id=REQUEST, **about, service=Service.semh,
                              pathway="early_support", priority="routine", due_by=DUE, held=False,
                              reasons=decided.explanation, details=details),
        ServiceOutcome(**envelope(21, LATER), event_type="service_request.accepted", service_request_id=REQUEST,
                       **about, service=Service.semh, pathway="early_support", due_by=DUE, **WORKER),
        ServiceRequestAssigned(**envelope(22, LATER), service_request_id=REQUEST, **about, service=Service.semh,
                               team="semh", change="picked_up", assigned_to="dana.wright", **WORKER),
        ServiceRequestNoteAdded(**envelope(23, LATER, about=None), service_request_id=REQUEST, **about,
                                service=Service.semh, note_id=an_id(31), team="semh", **WORKER),
        DsrChanged(**envelope(24, LATER, about=None), event_type="dsr.rating_changed", entry_id=an_id(32),
                   child_id=CHILD, status="open", rating="amber", suggested_rating="red", escalation_suggested=True,
                   next_review_due=date(2026, 4, 1), source="triage", **WORKER),
        DsrNoteAdded(**envelope(25, LATER, about=None), entry_id=an_id(32), note_id=an_id(33), child_id=CHILD,
                     team="dsr_panel", **WORKER),
        ChildMerged(**envelope(26, LATER, about=None), **merge, held_request_ids=[REQUEST]),
        ChildUnmerged(**envelope(27, LATER, about=None), **merge, released_request_ids=[REQUEST]),
        AuditHeadPublished(**envelope(28, LATER, about=None), chain="frontdoor", head_id=1042,
                           head_hash="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", head_at=LATER),
    ]


def payload(event: BaseModel) -> dict[str, Any]:
    """The record's value as the outbox writes it."""
    data: dict[str, Any] = json.loads(event.model_dump_json())
    return data

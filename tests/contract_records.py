"""One record of every message type on the bus, as the services write it (built with the models, dumped as JSON):
for the tests that hold the published documents to what is written (tests/unit/test_contract_payloads.py) and for
the round trip through the models a Java or TypeScript team generates (tests/integration/test_generated_models.py).
Fields that are optional are filled wherever they can be, so that a generated model that drops one is caught."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from services.contracts import EVENT_NAMES

M = {name: model for model, name in EVENT_NAMES.items()}  # the models, by message name
(AuditHeadPublished, ChildMerged, ChildUnmerged, DsrChanged, DsrNoteAdded, EmergencyUnanswered, OverrideRequested,
 ReferralAssigned, ReferralNoteAdded, ReferralRedirected, ReferralSubmitted, ServiceOutcome, ServiceRequestAssigned,
 ServiceRequestCreated, ServiceRequestNoteAdded, TriageDecided, TriageOverridden) = (M[name] for name in (
    "audit.head_published", "child.merged", "child.unmerged", "dsr.changed", "dsr.note_added",
    "referral.emergency_unanswered", "referral.override_requested", "referral.assigned", "referral.note_added",
    "referral.redirected", "referral.submitted", "service_request.outcome", "service_request.assigned",
    "service_request.created", "service_request.note_added", "triage.decided", "triage.overridden"))

STORED = Path(__file__).parent / "unit" / "stored_events"
AT = datetime(2026, 1, 15, 10, 0, 5, tzinfo=UTC)
CHILD = uuid.UUID("0b9f8e7d-6c5b-4a39-8281-706f5e4d3c2b")
REFERRAL = uuid.UUID("7a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a40")
REQUEST = uuid.UUID("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")


def an_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=0x1F00_0000_0000_4000_8000_0000_0000_0000 + n)


def envelope(n: int) -> dict[str, Any]:
    return {"event_id": an_id(n), "occurred_at": AT, "correlation_id": REFERRAL}


def stored(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STORED / f"{name}.v1.json").read_text())
    return data


def submitted() -> Any:
    data = stored("referral.submitted")
    data["history"] = {**data.get("history", {}), "open_services": ["semh"]}
    return ReferralSubmitted.model_validate(data)


def decided() -> Any:
    from services.common.settings import Settings
    from services.policy.engine import decide
    from services.policy.ruleset import load_ruleset

    decision = decide(submitted(), load_ruleset(Settings().ruleset_path))
    return TriageDecided(**envelope(2), **dict(decision))


def events() -> list[BaseModel]:
    """One event of each model in the AsyncAPI document's messages (the dead letter aside)."""
    referral = submitted()
    decision = decided()
    current = {k: getattr(decision, k) for k in ("referral_id", "child_id", "decided_at", "ruleset_version",
                                                 "outcome", "routes", "missing", "dsr", "explanation")}
    change = {"kind": "add_route", "service": "salt", "pathway": "assessment", "priority": "routine"}
    by = {"by": "dana.wright", "by_name": "Dana Wright"}
    return [
        referral,
        ReferralRedirected(**envelope(3), referral_id=REFERRAL, child_id=CHILD, submitted_at=referral.submitted_at,
                           referral=referral.referral, history=referral.history,
                           redirect={"from_service": "semh", "from_request_id": REQUEST, "to_service": "salt",
                                     "reason": "Speech sounds come first."}),
        OverrideRequested(**envelope(4), referral_id=REFERRAL, child_id=CHILD, submitted_at=referral.submitted_at,
                          referral=referral.referral, current=current, supersedes=an_id(2),
                          decided_by="dana.wright", decided_by_name="Dana Wright",
                          rationale="Speech sounds need an assessment too.",
                          disagreed_with=["route.semh.early_support"], changes=[change]),
        decision,
        TriageOverridden(**envelope(5), **current, decided_by="dana.wright", decided_by_name="Dana Wright",
                         supersedes=an_id(2), rationale="Speech sounds need an assessment too.",
                         disagreed_with=["route.semh.early_support"], changes=[change],
                         signpost=None),
        EmergencyUnanswered(**envelope(6), referral_id=REFERRAL, child_id=CHILD, due_by=AT),
        ReferralAssigned(**envelope(7), referral_id=REFERRAL, child_id=CHILD, team="front_door", change="taken_over",
                         assigned_to="sam.okafor", assigned_to_name="Sam Okafor", previously_assigned_to="dana.wright",
                         **by),
        ReferralNoteAdded(**envelope(8), referral_id=REFERRAL, note_id=an_id(80), child_id=CHILD,
                          team="front_door", **by),
        ServiceRequestCreated.model_validate(stored("service_request.created")),
        ServiceOutcome(**envelope(9), event_type="service_request.redirected", service_request_id=REQUEST,
                       referral_id=REFERRAL, child_id=CHILD, service="semh", reason="Speech sounds come first.",
                       redirect_to="salt", pathway="early_support", due_by=AT, **by),
        ServiceRequestAssigned(**envelope(10), service_request_id=REQUEST, referral_id=REFERRAL, child_id=CHILD,
                               service="semh", team="semh", change="picked_up", assigned_to="dana.wright", **by),
        ServiceRequestNoteAdded(**envelope(11), service_request_id=REQUEST, referral_id=REFERRAL, service="semh",
                                note_id=an_id(81), child_id=CHILD, team="semh", **by),
        DsrChanged(**envelope(12), event_type="dsr.rating_changed", entry_id=an_id(82), child_id=CHILD,
                   status="open", rating="amber", suggested_rating="red", escalation_suggested=True,
                   next_review_due=date(2026, 4, 1), source="triage", **by),
        DsrNoteAdded(**envelope(13), entry_id=an_id(82), note_id=an_id(83), child_id=CHILD, team="dsr_panel", **by),
        ChildMerged(**envelope(14), merge_id=an_id(84), survivor_id=CHILD, merged_id=an_id(85),
                    referral_ids=[REFERRAL], service_request_ids=[REQUEST], held_request_ids=[an_id(86)]),
        ChildUnmerged(**envelope(15), merge_id=an_id(84), survivor_id=CHILD, merged_id=an_id(85),
                      referral_ids=[REFERRAL], service_request_ids=[REQUEST], released_request_ids=[an_id(86)]),
        AuditHeadPublished(event_id=an_id(16), occurred_at=AT, chain="frontdoor", head_id=42,
                           head_hash="0" * 63 + "1", head_at=AT),
    ]


def records() -> dict[str, dict[str, Any]]:
    """Each message's name (as in the AsyncAPI document) and one record of it, as JSON."""
    out = {EVENT_NAMES[type(e)]: e.model_dump(mode="json") for e in events()}
    assert set(out) == set(EVENT_NAMES.values()), f"no record of {sorted(set(EVENT_NAMES.values()) - set(out))}"
    return out

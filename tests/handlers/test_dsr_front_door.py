"""The register and the front door: a person's decision (triage.overridden) is a decision like triage's
own, its timeline line saying who decided; an unanswered emergency means nothing to the register; a
request the front door withdrew goes on the timeline in plain words."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import EmergencyUnanswered, TriageOverridden
from services.common.ids import derived_id
from services.common.tables import ProcessedEvent
from services.dsr import handlers
from services.dsr.tables import DsrEntry, DsrTimelineItem
from tests.handlers.conftest import NOW
from tests.handlers.test_dsr import changes, decision, deliver, kinds, new_entry, outcome, reload, rows

PERSON = "front-door-1"
SALT = {"service": "salt", "pathway": "community", "priority": "routine", "due_by": NOW.isoformat(),
        "reasons": ["front_door.decision"], "service_request_id": str(uuid.uuid4())}


def overridden(child: uuid.UUID, rating: str | None = "amber", *, candidate: bool = True, consent: str | None = "given",
               routes: list[dict[str, Any]] | None = None, outcome: str = "routed") -> TriageOverridden:
    """A person's decision for `child`, as triage publishes it (the decision in force, corrected)."""
    base = decision(child, rating, consent=consent, candidate=candidate).model_dump(mode="json")
    base = {k: v for k, v in base.items() if k not in ("event_type", "redirect_of")}
    return TriageOverridden.model_validate(base | {
        "event_id": str(uuid.uuid4()), "outcome": outcome, "routes": [SALT] if routes is None else routes,
        "decided_by": PERSON, "supersedes": str(uuid.uuid4()), "rationale": "Speech is the main concern here",
        "disagreed_with": ["semh.urgent"], "changes": [{"kind": "add_route", "service": "salt",
                                                        "pathway": "community", "priority": "routine"}],
    })


def timeline(session: Session, entry: DsrEntry) -> list[tuple[str, str]]:
    return [(t.kind, t.summary) for t in rows(session, DsrTimelineItem, entry)]


@pytest.mark.parametrize(("consent", "status"), [("given", "pending_review"), ("needed", "pending_consent")])
def test_a_persons_decision_naming_a_candidate_creates_an_entry_saying_who_decided(session: Session, consent: str,
                                                                                   status: str) -> None:
    event = overridden(uuid.uuid4(), "red", consent=consent)
    assert handlers.apply_override(session, event, NOW) is True
    entry = handlers.open_entry(session, event.child_id)
    assert entry is not None
    assert (entry.id, entry.status, entry.suggested_rating, entry.given_name) == (
        derived_id(event.event_id, "dsr.entry"), status, "red", "Sam")
    assert timeline(session, entry) == [
        ("front_door", f"Referred; a person on the front door ({PERSON}) decided: "
                       "Routed (Speech and language therapy, community (routine))")]
    [created] = changes(session)
    assert (created["event_type"], created["entry_id"], created["key"]) == (
        "dsr.entry_created", str(entry.id), str(event.child_id))


@pytest.mark.parametrize(("first", "second", "note", "escalated"), [
    ("amber", "amber", "suggested rating amber", False),
    ("amber", "red", "suggested rating red; escalation suggested", True),
])
def test_a_persons_decision_on_a_child_on_the_register_is_noted_like_any_decision(
        session: Session, first: str, second: str, note: str, escalated: bool) -> None:
    entry = new_entry(session, rating=first)
    closing = overridden(entry.child_id, second, routes=[], outcome="out_of_scope")
    assert handlers.apply_override(session, closing, NOW) is True
    reload(session, entry)
    assert (entry.suggested_rating, entry.escalation_suggested) == (second, escalated)
    assert timeline(session, entry)[-1] == (
        "front_door", f"A person on the front door ({PERSON}) changed the decision: Out of scope (no services); {note}")
    assert kinds(session) == ["dsr.candidate_noted", "dsr.entry_created"]


def test_a_persons_decision_naming_no_candidate_writes_nothing(session: Session) -> None:
    assert handlers.apply_override(session, overridden(uuid.uuid4(), None, candidate=False, consent=None), NOW) is False
    assert not session.new and changes(session) == []


def test_an_unanswered_emergency_means_nothing_to_the_register(session: Session) -> None:
    entry = new_entry(session)
    event = EmergencyUnanswered(event_id=uuid.uuid4(), occurred_at=NOW, referral_id=uuid.uuid4(),
                                child_id=entry.child_id, due_by=NOW)
    assert handlers.ignore(session, event, NOW) is False
    assert not session.new and not session.dirty


def test_a_request_the_front_door_withdrew_goes_on_the_timeline_in_plain_words(session: Session) -> None:
    entry = new_entry(session)
    event = outcome(entry.child_id, "service_request.withdrawn").model_copy(update={"by": PERSON})
    assert handlers.apply_outcome(session, event, NOW) is True
    withdrawn = f"Mental health (SEMH): withdrawn by the front door ({PERSON})"
    assert timeline(session, entry)[-1] == ("service_outcome", withdrawn)


def test_through_the_kit_a_persons_decision_applies_once_and_an_emergency_clock_is_ignored(engine: Engine,
                                                                                           session: Session) -> None:
    event = overridden(uuid.uuid4())
    assert [deliver(engine, event) for _ in range(3)] == ["applied", "duplicate", "duplicate"]  # type: ignore[arg-type]
    alarm = EmergencyUnanswered(event_id=uuid.uuid4(), occurred_at=NOW, referral_id=event.referral_id,
                                child_id=event.child_id, due_by=NOW)
    assert deliver(engine, alarm) == "ignored"  # type: ignore[arg-type]
    assert [p.event_id for p in session.exec(select(ProcessedEvent)).all()] == [event.event_id]
    [entry] = session.exec(select(DsrEntry)).all()
    assert len(timeline(session, entry)) == 1 and kinds(session) == ["dsr.entry_created"]

"""Intake's consumer handlers on SQLite: a triage decision and a service's outcome as the referrer
sees them (requests, status, timeline), a redirect sent back to triage, and redelivery through the kit."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import ReferralRedirected, ServiceOutcome, TriageDecided
from schemas.labels import day
from services.common.consuming import apply_record, event_adapter
from services.common.ids import derived_id
from services.common.tables import ProcessedEvent
from services.intake.main import CONSUMES
from services.intake.referrals import handlers
from services.intake.tables import ReferralRecord, ServiceRequestRecord, TimelineItem
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import DAY, decided, outcome, referral, requests_of, route, sent, submit, timeline

# apply_decision

def test_a_decision_is_kept_on_the_referral_with_its_requests_and_noted(session: Session) -> None:
    record = submit(session)
    salt, semh = route("salt"), route("semh", priority="urgent", held=True, due_days=3)
    assert handlers.apply_decision(session, decided(record, salt, semh), NOW) is True
    assert (record.status, record.outcome, record.decided_at) == ("decided", "routed", NOW)
    assert record.decision is not None and "person" not in record.decision["dsr"]
    assert record.decision["dsr"]["suggested_rating"] == "amber" and "event_id" not in record.decision
    assert [(r.id, r.service, r.priority, r.held, r.status, r.redirect_of) for r in requests_of(session, record)] == [
        (semh["service_request_id"], "semh", "urgent", True, "created", None),
        (salt["service_request_id"], "salt", "routine", False, "created", None),
    ]
    assert timeline(session, record)[-1] == ("decision", (
        "Triage decided: Routed. Sent to Speech and language therapy, community (routine); "
        "Mental health (SEMH), community (urgent, held for the safeguarding hub)"))


def test_a_decision_for_requests_already_kept_adds_none_again(session: Session) -> None:
    record = submit(session)
    salt = route("salt")
    assert handlers.apply_decision(session, decided(record, salt), NOW)
    assert handlers.apply_decision(session, decided(record, salt), NOW)
    assert len(requests_of(session, record)) == 1


def test_a_decision_that_needs_information_says_what_is_missing(session: Session) -> None:
    record = submit(session)
    event = decided(record, outcome="needs_information", missing=("consent", "reason"))
    assert handlers.apply_decision(session, event, NOW)
    assert (record.outcome, requests_of(session, record)) == ("needs_information", [])
    assert timeline(session, record)[-1] == ("decision", "Triage decided: Needs information. Missing: consent, why now")


def test_a_redirect_decision_only_adds_the_new_request_and_notes_it(session: Session) -> None:
    record = submit(session)
    salt = route("salt")
    handlers.apply_decision(session, decided(record, salt), NOW)
    first_decision = record.decision
    counselling = route("counselling", due_days=20)
    redirect = decided(record, counselling, outcome="manual_review", redirect_of=salt["service_request_id"])
    assert handlers.apply_decision(session, redirect, NOW) is True
    assert (record.outcome, record.decision) == ("routed", first_decision)
    new = session.get(ServiceRequestRecord, counselling["service_request_id"])
    assert new is not None and (new.service, new.redirect_of) == ("counselling", salt["service_request_id"])
    due = day(NOW + 20 * DAY)
    assert timeline(session, record)[-1] == ("redirect", f"New request: Counselling, community (routine), due {due}")


def test_a_decision_about_a_referral_from_elsewhere_shows_nothing_but_counts_as_handled(session: Session) -> None:
    elsewhere = ReferralRecord(id=uuid.uuid4(), child_id=uuid.uuid4(), submitted_by="x", submitted_at=NOW,
                               event_id=uuid.uuid4(), referral={}, fingerprint="f", matched_on="new")
    assert handlers.apply_decision(session, decided(elsewhere, route()), NOW) is True
    assert session.exec(select(ServiceRequestRecord)).all() == [] and session.exec(select(TimelineItem)).all() == []


# apply_outcome

SALT = "Speech and language therapy, community"
OUTCOMES = [
    ("accepted", {}, {"status": "accepted", "accepted_at": NOW + DAY}, SALT + ": accepted"),
    ("declined", {"reason": "r", "signpost": "Housing advice"}, {"status": "declined"},
     SALT + ": declined; signposted: Housing advice"),
    ("completed", {}, {"status": "completed"}, SALT + ": completed"),
    ("released", {}, {"status": "created", "held": False}, SALT + ": released by the safeguarding hub (MASH)"),
    ("breached", {}, {"status": "created", "breached_at": NOW + DAY}, SALT + ": not accepted by its due date"),
    ("redirected", {"reason": "fits better", "redirect_to": "counselling"}, {"status": "redirected"},
     SALT + ": redirected to Counselling"),
]


@pytest.mark.parametrize(("kind", "fields", "after", "text"), OUTCOMES, ids=[o[0] for o in OUTCOMES])
def test_an_outcome_changes_the_request_and_the_timeline(session: Session, kind: str, fields: dict[str, Any],
                                                         after: dict[str, Any], text: str) -> None:
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt", held=True)), NOW)
    [request] = requests_of(session, record)
    assert handlers.apply_outcome(session, outcome(request, kind, **fields), NOW + 2 * DAY) is True
    assert {name: getattr(request, name) for name in after} == after
    assert request.updated_at == NOW + DAY
    assert timeline(session, record)[-1] == (kind, text)
    assert len(sent(session)) == (2 if kind == "redirected" else 1)


def test_a_redirect_sends_the_referral_back_to_triage_under_an_id_derived_from_the_outcome(session: Session) -> None:
    record = submit(session)
    handlers.apply_decision(session, decided(record, route("salt"), route("semh")), NOW)
    salt = next(r for r in requests_of(session, record) if r.service == "salt")
    event = outcome(salt, "redirected", reason="fits better", redirect_to="counselling")
    handlers.apply_outcome(session, event, NOW + 2 * DAY)
    session.commit()
    redirected = sent(session)[-1]
    assert isinstance(redirected, ReferralRedirected)
    assert redirected.event_id == derived_id(event.event_id, "referral.redirected")
    assert (redirected.referral_id, redirected.child_id, redirected.correlation_id) == (record.id, record.child_id,
                                                                                        record.id)
    assert (redirected.submitted_at, redirected.occurred_at, redirected.referral) == (NOW, NOW + 2 * DAY, referral())
    assert redirected.redirect.model_dump(mode="json") == {
        "from_service": "salt", "from_request_id": str(salt.id), "to_service": "counselling", "reason": "fits better"}
    assert (redirected.history.prior_referrals_365d, redirected.history.open_services) == (0, ["semh"])


@pytest.mark.parametrize(("held", "first", "status", "held_after"), [
    (False, ["accepted"], "accepted", False),
    (True, ["released", "accepted"], "accepted", False),  # a release that came first stays released
    (True, ["breached"], "created", True),
])
def test_an_outcome_that_overtakes_its_decision_is_kept_and_the_decision_fills_it_in(
        session: Session, held: bool, first: list[str], status: str, held_after: bool) -> None:
    """Outcomes and decisions travel on different topics: an outcome may reach intake first. It once was
    recorded as processed and dropped (the referrer never saw the request accepted)."""
    record = submit(session)
    salt = route("salt", priority="urgent", held=held)
    ahead = ServiceRequestRecord(id=salt["service_request_id"], referral_id=record.id, child_id=record.child_id,
                                 service="salt", pathway="community", priority="urgent", due_by=NOW)
    for kind in first:
        assert handlers.apply_outcome(session, outcome(ahead, kind, pathway="community"), NOW) is True
    [kept] = requests_of(session, record)
    assert (kept.status, kept.priority) == (status, "awaiting_decision")
    assert handlers.apply_decision(session, decided(record, salt), NOW) is True
    [request] = requests_of(session, record)
    assert (request.status, request.priority, request.due_by, request.held) == (status, "urgent", salt["due_by"],
                                                                                held_after)
    assert [text for kind, text in timeline(session, record) if kind in first][0].startswith(
        "Speech and language therapy, community: ")


def test_through_the_kit_a_redelivered_decision_or_outcome_is_a_duplicate(engine: Engine, session: Session) -> None:
    record = submit(session)
    adapter = event_adapter(TriageDecided, ServiceOutcome)
    decision = decided(record, route("salt"))

    def apply(event: TriageDecided | ServiceOutcome) -> str:
        body = event.model_dump_json().encode()
        return apply_record(engine, adapter, CONSUMES, body, consumer="intake", service="intake")

    assert [apply(decision), apply(decision)] == ["applied", "duplicate"]
    with Session(engine) as s:
        [request] = s.exec(select(ServiceRequestRecord)).all()
    accepted = outcome(request, "accepted")
    assert [apply(accepted), apply(accepted)] == ["applied", "duplicate"]
    with Session(engine) as s:
        assert {p.event_id for p in s.exec(select(ProcessedEvent)).all()} == {decision.event_id, accepted.event_id}
        assert [t.kind for t in s.exec(select(TimelineItem).order_by(col(TimelineItem.id))).all()] == [
            "submitted", "decision", "accepted"]

"""The register's handlers called directly on SQLite: what each writes (entries, consents, reviews,
tasks, the timeline, dsr.changes events in the outbox) and what each refuses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, cast

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import TOPIC_DSR_CHANGES, ServiceOutcome, TriageDecided
from services.common.consuming import apply_record, event_adapter
from services.common.errors import DomainError
from services.common.ids import derived_id
from services.common.tables import AuditEntry, OutboxMessage, ProcessedEvent
from services.common.transactions import Subject, run_audited
from services.dsr import handlers, views
from services.dsr.domain import ActionIn, Clock, Rating, ReviewIn
from services.dsr.main import CONSUMER, HANDLERS, MODELS
from services.dsr.tables import DsrAction, DsrConsent, DsrEntry, DsrRatingChange, DsrReview, DsrTask, DsrTimelineItem
from tests.handlers.conftest import NOW, principal

CLOCK = Clock(NOW, handlers.CALENDAR)  # today is Wednesday 4 March 2026
CHAIR = "panel-chair"
ADAPTER = event_adapter(*MODELS)


def nhs_number_of(child: uuid.UUID) -> str:
    """A valid NHS number of this child's own: another child is another person to the register's matching."""
    for start in range(child.int % 10**9, child.int % 10**9 + 20):
        body = f"{start:09d}"
        check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
        if check != 10:
            return body + str(check % 11)
    raise AssertionError("unreachable: a check digit of 10 never comes twenty times running")


def decision(child: uuid.UUID, rating: str | None = "amber", *, consent: str | None = "given", candidate: bool = True,
             redirect_of: uuid.UUID | None = None) -> TriageDecided:
    """A triage.decided event for `child` (Sam Example, 13, no EHCP)."""
    person = {"given_name": "Sam", "family_name": "Example", "date_of_birth": "2012-05-01",
              "nhs_number": nhs_number_of(child)}
    return TriageDecided.model_validate({
        "event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(), "referral_id": str(uuid.uuid4()),
        "child_id": str(child), "decided_at": NOW.isoformat(), "ruleset_version": "test", "outcome": "routed",
        "routes": [{"service": "semh", "pathway": "community", "priority": "urgent", "due_by": NOW.isoformat(),
                    "reasons": ["semh.urgent"]}],
        "missing": [], "explanation": [], "redirect_of": str(redirect_of) if redirect_of else None,
        "dsr": {"candidate": candidate, "suggested_rating": rating, "consent": consent,
                "person": person if candidate else None},
    })


def outcome(child: uuid.UUID, kind: str = "service_request.accepted", to: str | None = None) -> ServiceOutcome:
    return ServiceOutcome(event_id=uuid.uuid4(), occurred_at=NOW, event_type=kind, service_request_id=uuid.uuid4(),
                          referral_id=uuid.uuid4(), child_id=child, service="semh", by="semh-worker", redirect_to=to)


def applied(session: Session, event: TriageDecided) -> DsrEntry:
    """Apply a candidate decision and commit; the child's open entry."""
    assert handlers.apply_decision(session, event, NOW)
    session.commit()
    return cast(DsrEntry, handlers.open_entry(session, event.child_id))


def new_entry(session: Session, **decided: Any) -> DsrEntry:
    return applied(session, decision(uuid.uuid4(), **decided))


def reload(session: Session, entry: DsrEntry) -> None:
    session.commit()  # what the use case wrote, then the entry as the database has it
    session.refresh(entry)


def deliver(engine: Engine, event: TriageDecided) -> str:  # through the kit, with the service's own handlers
    return apply_record(engine, ADAPTER, HANDLERS, event.model_dump_json().encode(), consumer=CONSUMER, service="dsr")


def refusal(use_case: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(DomainError) as refused:
        use_case()
    return refused.value.status, str(refused.value)


def changes(session: Session) -> list[dict[str, Any]]:
    """The dsr.changes events queued so far, oldest first (committing first)."""
    session.commit()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_DSR_CHANGES)
                        .order_by(col(OutboxMessage.created_at))).all()
    return [json.loads(r.payload) | {"key": r.key} for r in rows]


def kinds(session: Session) -> list[str]:
    return sorted(c["event_type"] for c in changes(session))


def rows(session: Session, model: Any, entry: DsrEntry) -> list[Any]:
    return list(session.exec(select(model).where(model.entry_id == entry.id).order_by(model.id)).all())


def summaries(session: Session, entry: DsrEntry) -> list[str]:
    return [t.summary for t in rows(session, DsrTimelineItem, entry)]


def review(rating: str = "red", **given: Any) -> ReviewIn:
    fields: dict[str, Any] = {"rating": Rating(rating), "rationale": "Placement under strain.", "next_review_due": None,
                              "attendees": [{"name": "Chair", "agency": "ICB"}], "actions": [], "held_on": None}
    return ReviewIn(**(fields | given))


@pytest.mark.parametrize(("consent", "status", "consents"), [
    ("given", "pending_review", [("at_referral", "referrer", date(2027, 3, 4))]),
    ("needed", "pending_consent", []),
    (None, "pending_consent", []),
])
def test_a_candidate_decision_creates_a_pending_entry(session: Session, consent: str | None, status: str,
                                                       consents: list[tuple[str, str, date]]) -> None:
    event = decision(uuid.uuid4(), "red", consent=consent)
    entry = applied(session, event)
    assert entry.id == derived_id(event.event_id, "dsr.entry")
    assert (entry.status, entry.suggested_rating, entry.rating, entry.given_name, entry.date_of_birth) == (
        status, "red", None, "Sam", date(2012, 5, 1))
    assert [(c.basis, c.given_by, c.reconfirm_due) for c in rows(session, DsrConsent, entry)] == consents
    assert summaries(session, entry) == ["Referred; triage decided: Routed (Mental health (SEMH), community (urgent))"]
    [created] = changes(session)
    assert created["event_id"] == str(derived_id(event.event_id, "dsr.entry_created", str(entry.id)))
    assert (created["event_type"], created["status"]) == ("dsr.entry_created", status)
    assert created["key"] == str(event.child_id)
    assert "Sam" not in json.dumps(created)  # ids and states only on the changes topic


@pytest.mark.parametrize(("first", "second", "escalated", "suggested", "note"), [
    ("amber", "red", True, "red", "suggested rating red; escalation suggested"),
    ("red", "amber", False, "red", "suggested rating amber"),
    ("amber", None, False, "amber", "no rating suggested"),
])
def test_a_second_candidate_is_noted_and_a_higher_one_escalates(session: Session, first: str, second: str | None,
                                                                 escalated: bool, suggested: str, note: str) -> None:
    entry = new_entry(session, rating=first)
    again = decision(entry.child_id, second)
    assert applied(session, again).id == entry.id
    reload(session, entry)
    assert (entry.escalation_suggested, entry.suggested_rating) == (escalated, suggested)
    assert entry.next_review_due == (date(2026, 3, 5) if escalated else None)  # the next working day
    routed = "Routed (Mental health (SEMH), community (urgent))"
    assert summaries(session, entry)[-1] == f"New referral; triage decided: {routed}; {note}"
    noted = changes(session)[-1]
    assert noted["event_type"] == "dsr.candidate_noted"
    assert noted["event_id"] == str(derived_id(again.event_id, "dsr.candidate_noted", str(entry.id)))


def test_escalation_keeps_an_earlier_review_date_and_compares_a_rated_entry_on_its_rating(session: Session) -> None:
    entry = new_entry(session, rating="amber")
    handlers.record_review(session, entry.id, review("amber", next_review_due=date(2026, 3, 4)), by=CHAIR, clock=CLOCK)
    applied(session, decision(entry.child_id, "red"))
    reload(session, entry)
    assert (entry.escalation_suggested, entry.next_review_due) == (True, date(2026, 3, 4))
    handlers.record_review(session, entry.id, review("red"), by=CHAIR, clock=CLOCK)
    assert session.get_one(DsrEntry, entry.id).escalation_suggested is False  # a review answers it
    blue = new_entry(session, rating="amber")
    handlers.record_review(session, blue.id, review("blue"), by=CHAIR, clock=CLOCK)
    applied(session, decision(blue.child_id, "red"))  # blue (an inpatient) is above red
    reload(session, blue)
    assert (blue.escalation_suggested, blue.suggested_rating) == (False, "red")


@pytest.mark.parametrize(("event", "outcomes", "entries"), [
    (decision(uuid.uuid4(), None, consent=None, candidate=False), ["ignored", "ignored"], 0),
    (decision(uuid.uuid4(), "red", redirect_of=uuid.uuid4()), ["ignored", "ignored"], 0),  # not a new referral
    (decision(uuid.uuid4(), "red"), ["applied", "duplicate", "duplicate"], 1),
], ids=["not a candidate", "a redirect", "a candidate"])
def test_through_the_kit_only_a_candidate_is_applied_and_only_once(engine: Engine, session: Session,
                                                                   event: TriageDecided, outcomes: list[str],
                                                                   entries: int) -> None:
    assert [deliver(engine, event) for _ in outcomes] == outcomes
    assert len(session.exec(select(DsrEntry)).all()) == len(session.exec(select(ProcessedEvent)).all()) == entries
    assert kinds(session) == ["dsr.entry_created"] * entries
    assert handlers.apply_decision(session, event, NOW) is bool(entries)  # directly: False writes nothing at all


@pytest.mark.parametrize(("kind", "redirect_to", "summary"), [
    ("service_request.accepted", None, "Mental health (SEMH): accepted"),
    ("service_request.redirected", "salt", "Mental health (SEMH): redirected to Speech and language therapy"),
    ("service_request.declined", None, "Mental health (SEMH): declined"),
])
def test_an_outcome_goes_on_the_open_entrys_timeline(session: Session, kind: str, redirect_to: str | None,
                                                     summary: str) -> None:
    entry = new_entry(session)
    event = outcome(entry.child_id, kind, redirect_to)
    assert handlers.apply_outcome(session, event, NOW)
    [item] = [t for t in rows(session, DsrTimelineItem, entry) if t.kind == "service_outcome"]
    assert item.summary == summary
    assert item.detail == {"service_request_id": str(event.service_request_id), "referral_id": str(event.referral_id)}
    assert kinds(session) == ["dsr.entry_created"]  # an outcome announces nothing


def test_an_outcome_for_a_child_with_no_open_entry_is_ignored(session: Session) -> None:
    assert handlers.apply_outcome(session, outcome(uuid.uuid4()), NOW) is False
    closed = new_entry(session)
    handlers.close_entry(session, closed.id, reason="other", by=CHAIR, clock=CLOCK)
    session.commit()
    assert handlers.apply_outcome(session, outcome(closed.child_id), NOW) is False
    assert not session.new


def test_a_first_review_rates_the_entry_raises_its_tasks_and_announces_the_rating(session: Session) -> None:
    entry = new_entry(session)
    actions = [ActionIn("Arrange a multi-agency meeting", "ICB", date(2026, 3, 20))]
    record = handlers.record_review(session, entry.id, review("red", actions=actions), by=CHAIR, clock=CLOCK)
    reload(session, entry)
    assert (entry.status, entry.rating, entry.rating_since) == ("active", "red", NOW)
    assert (entry.next_review_due, entry.escalation_suggested) == (date(2026, 3, 11), False)
    [held] = rows(session, DsrReview, entry)
    assert (held.id, held.held_on, held.rating, held.by) == (record.id, date(2026, 3, 4), "red", CHAIR)
    assert [(a.what, a.review_id) for a in rows(session, DsrAction, entry)] == [(actions[0].what, record.id)]
    assert [(c.from_rating, c.to_rating, c.by) for c in rows(session, DsrRatingChange, entry)] == [(None, "red", CHAIR)]
    assert sorted(t.kind for t in rows(session, DsrTask, entry)) == ["cetr_required", "keyworker_referral"]
    assert summaries(session, entry)[-1] == "DSR review: rated red; next review 11 March 2026"
    assert kinds(session) == ["dsr.entry_created", "dsr.rating_changed", "dsr.review_recorded"]
    rated = [c for c in changes(session) if c["event_type"] == "dsr.rating_changed"][0]
    assert rated["event_id"] == str(derived_id(record.id, "dsr.rating_changed", str(entry.id)))
    assert (rated["rating"], rated["by"], rated["status"]) == ("red", CHAIR, "active")


@pytest.mark.parametrize(("second", "fields", "summary", "tasks", "events"), [
    ("red", {}, "DSR review: rated red; next review 11 March 2026", [], ["dsr.review_recorded"]),
    ("amber", {"keyworker": "Keyworker service"}, "DSR review: rated amber (was red); next review 18 March 2026",
     ["mdt_or_cetr"], ["dsr.rating_changed", "dsr.review_recorded"]),
    ("green", {"held_on": date(2026, 3, 2), "next_review_due": date(2026, 4, 1)},
     "DSR review: rated green (was red); next review 1 April 2026", [], ["dsr.rating_changed", "dsr.review_recorded"]),
], ids=["same rating", "new rating, keyworker given", "dates given"])
def test_a_later_review_changes_the_rating_only_when_it_differs(session: Session, second: str, fields: dict[str, Any],
                                                                summary: str, tasks: list[str],
                                                                events: list[str]) -> None:
    entry = new_entry(session)
    handlers.record_review(session, entry.id, review("red"), by=CHAIR, clock=CLOCK)
    before = {t.id for t in rows(session, DsrTask, entry)}
    seen = len(changes(session))
    handlers.record_review(session, entry.id, review(second, **fields), by=CHAIR, clock=CLOCK)
    assert summaries(session, entry)[-1] == summary
    assert sorted(t.kind for t in rows(session, DsrTask, entry) if t.id not in before) == tasks
    assert sorted(c["event_type"] for c in changes(session)[seen:]) == events
    assert len(rows(session, DsrRatingChange, entry)) == (1 if second == "red" else 2)


USE_CASES: dict[str, Callable[[Session, uuid.UUID], Any]] = {
    "review": lambda s, i: handlers.record_review(s, i, review(), by=CHAIR, clock=CLOCK),
    "consent": lambda s, i: handlers.record_consent(s, i, basis="person", given_by="Sam", by=CHAIR, clock=CLOCK),
    "close": lambda s, i: handlers.close_entry(s, i, reason="other", by=CHAIR, clock=CLOCK),
    "withdraw": lambda s, i: handlers.withdraw_consent(s, i, by=CHAIR, clock=CLOCK),
    "entry view": lambda s, i: views.entry_view(s, i, CLOCK),
}


@pytest.mark.parametrize(("name", "message"), [
    ("review", "the entry is closed"), ("consent", "the entry is closed"), ("close", "the entry is already closed"),
])
def test_a_closed_entry_refuses_reviews_consent_and_a_second_close(session: Session, name: str, message: str) -> None:
    entry = new_entry(session)
    handlers.close_entry(session, entry.id, reason="moved_out_of_area", by=CHAIR, clock=CLOCK)
    assert summaries(session, entry)[-1] == "Entry closed (moved out of the area)"
    assert kinds(session) == ["dsr.entry_closed", "dsr.entry_created"]
    assert refusal(lambda: USE_CASES[name](session, entry.id)) == (409, message)


@pytest.mark.parametrize("name", USE_CASES)
def test_an_unknown_entry_is_a_404(session: Session, name: str) -> None:
    assert refusal(lambda: USE_CASES[name](session, uuid.uuid4())) == (404, "No register entry has this id")


def test_review_is_refused_before_consent_and_consent_opens_it(session: Session) -> None:
    entry = new_entry(session, consent="needed")
    assert refusal(lambda: handlers.record_review(session, entry.id, review(), by=CHAIR, clock=CLOCK)) == (
        409, "record consent (or a best-interests decision) before the first review")
    assert handlers.record_consent(session, entry.id, basis="parent_with_pr", given_by="Parent", by=CHAIR,
                                   clock=CLOCK).status == "pending_review"
    assert [(c.basis, c.given_by, c.reconfirm_due) for c in rows(session, DsrConsent, entry)] == [
        ("parent_with_pr", "Parent", date(2027, 3, 4))]
    assert summaries(session, entry)[-1] == "Consent recorded (a parent with parental responsibility)"
    assert [(c["event_type"], c["by"]) for c in changes(session)][-1] == ("dsr.consent_changed", CHAIR)
    handlers.record_review(session, entry.id, review(), by=CHAIR, clock=CLOCK)
    assert handlers.record_consent(session, entry.id, basis="person", given_by="Sam", by=CHAIR,
                                   clock=CLOCK).status == "active"  # a later consent leaves the status alone


def test_withdrawing_consent_closes_the_entry_and_suppresses_the_details(session: Session) -> None:
    entry = new_entry(session, consent="given")
    handlers.withdraw_consent(session, entry.id, by=CHAIR, clock=CLOCK)
    reload(session, entry)
    assert (entry.status, entry.suppressed, entry.closed_reason) == ("closed", True, "consent_withdrawn")
    assert (entry.given_name, entry.family_name, entry.nhs_number) == (None, None, None)
    assert [c.withdrawn_at for c in rows(session, DsrConsent, entry)] == [NOW]
    assert summaries(session, entry)[-1] == "Consent withdrawn: entry closed and details suppressed"
    withdrawn = sorted((c["event_type"], c["status"]) for c in changes(session)[1:])
    assert withdrawn == [("dsr.consent_changed", "closed"), ("dsr.entry_closed", "closed")]
    assert views.entry_view(session, entry.id, CLOCK)["name"] == "(suppressed: consent withdrawn)"


def test_a_meeting_use_case_is_audited_with_the_panel_role_done_or_refused(engine: Engine, session: Session) -> None:
    entry = new_entry(session)
    close = partial(run_audited, engine, lambda s: USE_CASES["close"](s, entry.id),
                    by=principal(CHAIR, "dsr_panel"), action="dsr.close", about=Subject(record_id=entry.id))
    assert close().status == "closed"
    assert refusal(close) == (409, "the entry is already closed")  # refused: rolled back, its audit row kept
    audit = session.exec(select(AuditEntry)).all()
    assert [(a.actor, a.role, a.action, a.record_id, a.outcome, a.status) for a in audit] == [
        (CHAIR, "dsr_panel", "dsr.close", entry.id, "allowed", None),
        (CHAIR, "dsr_panel", "dsr.close", entry.id, "refused", 409)]

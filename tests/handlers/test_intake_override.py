"""A person's decision on the front door, intake's side, on SQLite: the refusals (404, 409, 422), the
`referral.override_requested` sent to triage, the person's decision kept once triage applied it (the one
it replaced kept too), a withdrawn request, the emergency clock and the referrer's view of it all."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import TOPIC_SUBMITTED, ServiceOutcome, TriageDecided
from schemas.events import EmergencyUnanswered, OverrideRequested, RouteChange, TriageOverridden
from services.common.consuming import apply_record, event_adapter
from services.common.errors import ConflictError, DomainError, NotFoundError
from services.common.tables import OutboxMessage
from services.intake.front_door import domain as overrides
from services.intake.front_door.domain import PersonsDecision, UnprocessableError
from services.intake.main import CONSUMES
from services.intake.referrals import handlers, views
from services.intake.tables import FrontDoorDecision, ReferralRecord, ServiceRequestRecord
from tests.cases import reference_ruleset
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import BY, DAY, decided, outcome, requests_of, route, submit, timeline

PERSON = principal("fd-jones", "front_door")
WHY = "Stammering is described at length; SALT should see the child."
LATER = NOW + 2 * DAY  # after the outcomes (a day after NOW)


def decision(*changes: dict[str, Any], rationale: str = WHY, disagreed_with: tuple[str, ...] = ()) -> PersonsDecision:
    return PersonsDecision(rationale=rationale, disagreed_with=list(disagreed_with),
                           changes=[RouteChange.model_validate(c) for c in changes])


def add(service: str = "salt", priority: str = "urgent") -> dict[str, Any]:
    return {"kind": "add_route", "service": service, "pathway": "community", "priority": priority}


def withdraw(request_id: uuid.UUID) -> dict[str, Any]:
    return {"kind": "withdraw_route", "service_request_id": str(request_id)}


def requested(session: Session) -> list[OverrideRequested]:
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.payload).contains("override_requested"))).all()
    assert all((r.topic, r.key) == (TOPIC_SUBMITTED, r.payload.split('"child_id":"')[1][:36]) for r in rows)
    return [OverrideRequested.model_validate_json(r.payload) for r in rows]


def triaged(session: Session, *routes: dict[str, Any], outcome: str = "routed") -> ReferralRecord:
    """A referral with triage's decision applied."""
    record = submit(session)
    handlers.apply_decision(session, decided(record, *routes, outcome=outcome), NOW)
    session.commit()
    return record


def overridden(sent: OverrideRequested, *routes: dict[str, Any], outcome: str = "routed") -> TriageOverridden:
    """What triage publishes for `sent` (built by hand: triage's own rules are tested on its side)."""
    return TriageOverridden(
        event_id=uuid.uuid4(), occurred_at=LATER, referral_id=sent.referral_id, child_id=sent.child_id,
        decided_at=LATER, ruleset_version="test-1", outcome=outcome, routes=list(routes), missing=[],
        dsr=sent.current.dsr, explanation=[*sent.current.explanation, {"rule_id": "front_door.decision",
                                                                       "because": f"A person decided: {WHY}"}],
        decided_by=sent.decided_by, decided_by_name=sent.decided_by_name, supersedes=sent.supersedes,
        rationale=sent.rationale, disagreed_with=sent.disagreed_with, changes=sent.changes,
    )


# decide

def test_a_persons_decision_is_kept_as_requested_and_sent_to_triage_with_the_decision_in_force(
        session: Session) -> None:
    salt, semh = route("salt"), route("semh", priority="urgent", held=True)
    record = triaged(session, salt, semh)
    declined = session.get(ServiceRequestRecord, semh["service_request_id"])
    assert declined is not None
    handlers.apply_outcome(session, outcome(declined, "declined", reason="r", signpost="Elsewhere"), NOW)
    triage_event = record.decision_event_id
    row = handlers.decide(session, record.id, decision(add("counselling", "soon"), disagreed_with=("route.test",)),
                          by=PERSON, now=LATER)
    session.commit()
    [sent] = requested(session)
    assert (row.id, row.referral_id, row.child_id, row.decided_by, row.decided_at) == (
        sent.event_id, record.id, record.child_id, "fd-jones", LATER)
    assert (row.rationale, row.supersedes, row.disagreed_with, row.fired, row.applied_event_id) == (
        WHY, triage_event, ["route.test"], ["route.test"], None)
    assert row.changes == [{"kind": "add_route", "service": "counselling", "pathway": "community", "priority": "soon"}]
    assert (sent.referral_id, sent.child_id, sent.correlation_id, sent.supersedes, sent.decided_by) == (
        record.id, record.child_id, record.id, triage_event, "fd-jones")
    assert (sent.submitted_at, sent.occurred_at, sent.rationale, sent.disagreed_with) == (NOW, LATER, WHY,
                                                                                          ["route.test"])
    assert sent.referral.model_dump(mode="json") == record.referral
    current = sent.current  # the decision in force, its routes being only the requests still open
    assert [(r.service_request_id, r.reasons, r.due_by) for r in current.routes] == [
        (salt["service_request_id"], ["route.test"], salt["due_by"])]
    assert (current.outcome, current.ruleset_version, current.dsr.person) == ("routed", "test-1", None)
    assert timeline(session, record)[-1] == (
        "front_door_requested",
        "A person on the front door is changing the decision: add Counselling, community (soon)")


def test_each_kind_of_change_is_said_in_words(session: Session) -> None:
    salt = route("salt")
    record = triaged(session, salt)
    request_id = salt["service_request_id"]
    handlers.decide(session, record.id, decision(
        withdraw(request_id), {"kind": "change_priority", "service_request_id": str(request_id), "priority": "soon"},
        {"kind": "close", "signpost": "Local parenting group"}), by=PERSON, now=LATER)
    assert timeline(session, record)[-1][1] == (
        "A person on the front door is changing the decision: withdraw Speech and language therapy, community; change "
        "Speech and language therapy, community to soon; close the referral; signposted to Local parenting group")


def test_no_such_referral_is_404_and_one_not_decided_yet_is_409(session: Session) -> None:
    with pytest.raises(NotFoundError, match="No referral has this id"):
        handlers.decide(session, uuid.uuid4(), decision(add()), by=PERSON, now=LATER)
    record = submit(session)
    with pytest.raises(ConflictError, match="^This referral has no decision yet$"):
        handlers.decide(session, record.id, decision(add()), by=PERSON, now=LATER)
    assert requested(session) == []


def test_a_second_decision_waits_until_the_first_is_applied(session: Session) -> None:
    record = triaged(session, outcome="manual_review")
    handlers.decide(session, record.id, decision(add()), by=PERSON, now=LATER)
    with pytest.raises(ConflictError, match="^A person's decision on this referral is still being applied$"):
        handlers.decide(session, record.id, decision(add("semh")), by=PERSON, now=LATER)
    [sent] = requested(session)
    handlers.apply_override(session, overridden(sent, route("salt", priority="urgent")), LATER)
    handlers.decide(session, record.id, decision(add("semh")), by=PERSON, now=LATER + DAY)
    assert len(requested(session)) == 2


@pytest.mark.parametrize("change", ["withdraw", "change_priority", "close"])
def test_a_request_a_service_accepted_cannot_be_withdrawn(session: Session, change: str) -> None:
    salt = route("salt")
    record = triaged(session, salt)
    [request] = requests_of(session, record)
    handlers.apply_outcome(session, outcome(request, "accepted"), NOW)
    body = {"withdraw": withdraw(request.id), "close": {"kind": "close", "signpost": "Local parenting group"},
            "change_priority": {"kind": "change_priority", "service_request_id": str(request.id),
                                "priority": "urgent"}}[change]
    accepted = "^Speech and language therapy has already accepted this request; it cannot be withdrawn$"
    with pytest.raises(ConflictError, match=accepted):
        handlers.decide(session, record.id, decision(body), by=PERSON, now=LATER)
    assert requested(session) == []


def test_a_request_no_longer_open_cannot_be_withdrawn_but_a_close_passes_it_by(session: Session) -> None:
    salt, semh = route("salt"), route("semh")
    record = triaged(session, salt, semh)
    declined = session.get(ServiceRequestRecord, salt["service_request_id"])
    assert declined is not None
    handlers.apply_outcome(session, outcome(declined, "declined", reason="r", signpost="Elsewhere"), NOW)
    with pytest.raises(ConflictError, match="^This request is no longer open$") as refused:
        handlers.decide(session, record.id, decision(withdraw(declined.id)), by=PERSON, now=LATER)
    assert refused.value.status == 409
    handlers.decide(session, record.id, decision({"kind": "close", "signpost": "Local parenting group"}), by=PERSON,
                    now=LATER)
    assert len(requested(session)) == 1


def test_a_route_already_open_a_request_of_another_referral_and_a_rule_that_did_not_fire_are_422(
        session: Session) -> None:
    record = triaged(session, route("salt"))
    other = triaged(session, route("semh"))
    [elsewhere] = requests_of(session, other)
    refusals = [
        (decision(add("salt")), "Speech and language therapy already has an open request for this referral"),
        (decision(add("semh"), add("semh", "soon")),
         "Mental health (SEMH) already has an open request for this referral"),
        (decision(withdraw(elsewhere.id)), "This request is not one of this referral's"),
        (decision(add("semh"), disagreed_with=("route.test", "route.made_up")),
         "These rules did not fire in the decision being changed: route.made_up"),
    ]
    for body, message in refusals:
        with pytest.raises(UnprocessableError) as refused:
            handlers.decide(session, record.id, body, by=PERSON, now=LATER)
        assert (refused.value.status, str(refused.value)) == (422, message)
    assert requested(session) == []


def test_a_short_rationale_an_unknown_kind_and_no_change_are_refused_by_the_body() -> None:
    with pytest.raises(ValueError, match="at least 10 characters"):
        decision(add(), rationale="too short")
    with pytest.raises(ValueError, match="at least 1 item"):
        PersonsDecision(rationale=WHY, changes=[])
    with pytest.raises(ValueError, match="add_route needs pathway, priority"):
        decision({"kind": "add_route", "service": "salt"})
    assert issubclass(UnprocessableError, DomainError)


# apply_decision: the decision's event and the emergency clock

def test_triages_decision_is_recorded_with_its_event_and_an_emergency_starts_a_four_hour_clock(
        session: Session) -> None:
    record = submit(session)
    event = decided(record, route("safeguarding", priority="emergency"), outcome="emergency")
    handlers.apply_decision(session, event, NOW)
    assert (record.decision_event_id, record.emergency_due_at) == (event.event_id, NOW + timedelta(hours=4))
    routed = submit(session, client_reference="second")
    handlers.apply_decision(session, decided(routed, route()), NOW)
    assert routed.emergency_due_at is None and routed.decision_event_id is not None


# apply_override

def test_a_persons_decision_applied_replaces_the_decision_and_keeps_the_one_it_replaced(session: Session) -> None:
    semh = route("semh")
    record = triaged(session, semh)
    original = record.decision
    handlers.decide(session, record.id, decision(add(), withdraw(semh["service_request_id"])), by=PERSON, now=LATER)
    [sent] = requested(session)
    salt = route("salt", priority="urgent")
    event = overridden(sent, salt)
    assert handlers.apply_override(session, event, LATER + DAY) is True
    assert (record.status, record.outcome, record.decided_at, record.decision_event_id) == (
        "decided", "routed", LATER, event.event_id)
    assert record.decision is not None and record.decision["previous"] == original
    assert (record.decision["decided_by"], record.decision["rationale"], record.decision["supersedes"]) == (
        "fd-jones", WHY, str(sent.supersedes))
    assert "event_id" not in record.decision and "person" not in record.decision["dsr"]
    added = session.get(ServiceRequestRecord, salt["service_request_id"])
    assert added is not None and (added.service, added.priority, added.status, added.referral_id) == (
        "salt", "urgent", "created", record.id)
    row = session.get(FrontDoorDecision, sent.event_id)
    assert row is not None and row.applied_event_id == event.event_id
    assert timeline(session, record)[-1] == (
        "front_door_decision", "Front door decision: added Speech and language therapy, community "
                               f"(urgent); withdrew Mental health (SEMH), community; reason: {WHY}")
    assert overrides.original_decision(record.decision) == original


def test_a_second_override_keeps_the_original_decision_at_the_end_of_the_chain(session: Session) -> None:
    record = triaged(session, outcome="manual_review")
    original = record.decision
    for service in ("salt", "semh"):
        handlers.decide(session, record.id, decision(add(service)), by=PERSON, now=LATER)
        handlers.apply_override(session, overridden(requested(session)[-1], route(service)), LATER)
    assert record.decision is not None and record.decision["previous"]["previous"] == original
    assert overrides.original_decision(record.decision) == original
    assert overrides.original_decision(original) is None
    assert requested(session)[-1].supersedes != requested(session)[0].supersedes


def test_a_person_deciding_an_emergency_starts_its_clock(session: Session) -> None:
    record = triaged(session, outcome="manual_review")
    handlers.decide(session, record.id, decision(add("safeguarding", "emergency")), by=PERSON, now=LATER)
    handlers.apply_override(session, overridden(requested(session)[0], route("safeguarding", priority="emergency"),
                                                outcome="emergency"), LATER)
    assert record.emergency_due_at == LATER + timedelta(hours=4)


def test_an_override_of_a_referral_from_elsewhere_shows_nothing_but_counts_as_handled(session: Session) -> None:
    record = triaged(session, outcome="manual_review")
    handlers.decide(session, record.id, decision(add()), by=PERSON, now=LATER)
    event = overridden(requested(session)[0], route()).model_copy(update={"referral_id": uuid.uuid4()})
    assert handlers.apply_override(session, event, LATER) is True
    assert record.outcome == "manual_review" and len(requests_of(session, record)) == 0


# apply_outcome: service_request.withdrawn

def test_a_withdrawn_request_is_closed_and_noted_with_the_reason(session: Session) -> None:
    record = triaged(session, route("salt"))
    [request] = requests_of(session, record)
    assert handlers.apply_outcome(session, outcome(request, "withdrawn", reason=WHY), NOW) is True
    assert request.status == "withdrawn"
    withdrawn_text = "Speech and language therapy, community: withdrawn by the front door: " + WHY
    assert timeline(session, record)[-1] == ("withdrawn", withdrawn_text)


def test_a_withdrawal_of_a_request_accepted_meanwhile_changes_nothing(session: Session) -> None:
    record = triaged(session, route("salt"))
    [request] = requests_of(session, record)
    handlers.apply_outcome(session, outcome(request, "accepted"), NOW)
    assert handlers.apply_outcome(session, outcome(request, "withdrawn", reason=WHY), NOW) is False
    assert request.status == "accepted"


# through the kit (main.CONSUMES)

def test_through_the_kit_an_override_is_applied_once_and_an_unanswered_emergency_is_ignored(
        engine: Engine, session: Session) -> None:
    record = triaged(session, outcome="manual_review")
    handlers.decide(session, record.id, decision(add()), by=PERSON, now=LATER)
    session.commit()
    adapter = event_adapter(TriageDecided, TriageOverridden, EmergencyUnanswered, ServiceOutcome)
    event = overridden(requested(session)[0], route())
    unanswered = EmergencyUnanswered(event_id=uuid.uuid4(), occurred_at=LATER, referral_id=record.id,
                                     child_id=record.child_id, due_by=LATER)

    def apply(e: TriageOverridden | EmergencyUnanswered) -> str:
        return apply_record(engine, adapter, CONSUMES, e.model_dump_json().encode(), consumer="intake",
                            service="intake")

    assert [apply(event), apply(event), apply(unanswered)] == ["applied", "duplicate", "ignored"]
    with Session(engine) as s:
        assert len(s.exec(select(ServiceRequestRecord)).all()) == 1
        assert s.exec(select(FrontDoorDecision)).one().applied_event_id == event.event_id


# the referrer's view

def test_the_referrer_sees_who_changed_the_decision_when_why_what_and_the_original_with_its_explanation(
        session: Session, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"  # a policy that knows the test's rule (one it does not know is never shown)
    data = reference_ruleset()
    data["stages"].append({"id": "s", "mode": "all", "rules": [{"id": "route.test", "because": "a test"}]})
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    record = triaged(session, outcome="manual_review")
    handlers.decide(session, record.id, decision(add(), disagreed_with=("route.test",)), by=PERSON, now=LATER)
    pending = views.referral_view(session, record.id, by=BY, ruleset_path=str(policy))
    assert pending["decision"]["outcome"] == "manual_review" and pending["original_decision"] is None
    assert [(d["status"], d["summary"]) for d in pending["front_door_decisions"]] == [
        ("requested", "add Speech and language therapy, community (urgent)")]
    handlers.apply_override(session, overridden(requested(session)[0], route("salt", priority="urgent")), LATER)
    view = views.referral_view(session, record.id, by=BY, ruleset_path=str(policy))
    assert view["decision"]["outcome"] == "routed" and "previous" not in view["decision"]
    assert view["decision"]["decided_by"] == "fd-jones" and view["decision"]["rationale"] == WHY
    assert view["original_decision"]["outcome"] == "manual_review"
    assert view["original_decision"]["explanation"] == [{"rule_id": "route.test", "because": "a test"}]
    [shown] = view["front_door_decisions"]
    assert (shown["decided_by"], shown["decided_at"], shown["rationale"], shown["disagreed_with"], shown["status"],
            shown["summary"]) == ("fd-jones", LATER.isoformat(), WHY, ["route.test"], "applied",
                                  "added Speech and language therapy, community (urgent)")
    assert shown["changes"] == [add()]
    assert [r["service"] for r in view["service_requests"]] == ["salt"]
    assert view["timeline"][-1]["summary"].startswith("Front door decision: added Speech")
    assert view["timeline"][-1]["by"] == "the front door"  # a referrer sees the team, not who (issue 22, item 7)

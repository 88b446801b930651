"""apply_override (pure): a person's decision applied to the decision in force, with the ruleset's clock
and sharing rules, every id derived from the request's event id."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from schemas import OverrideRequested, ReferralSubmitted, RouteChange, TriageDecided, TriageDecision
from schemas.enums import Outcome, OutcomeEventType, Priority, Service
from services.common.ids import derived_id
from services.policy.engine import due_by
from services.policy.golden import GOLDEN_CASES
from services.policy.ruleset import load_ruleset
from services.triage.outputs import service_details, triage
from services.triage.overrides import apply_override

RULESET = load_ruleset()
DECIDED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)  # two days later: the new clocks start now
RATIONALE = "Spoke to the school: the speech concern is the main one."


def decided(case: str) -> tuple[ReferralSubmitted, TriageDecided]:
    event = ReferralSubmitted.model_validate(json.loads((GOLDEN_CASES / f"{case}.json").read_text())["event"])
    return event, triage(event, RULESET, now=DECIDED)[0]


def override(case: str, *changes: dict[str, Any], current: TriageDecided | None = None,
             **fields: Any) -> OverrideRequested:
    submitted, decision = decided(case)
    decision = current or decision
    return OverrideRequested(
        event_id=uuid.uuid4(), occurred_at=NOW, referral_id=submitted.referral_id, child_id=submitted.child_id,
        submitted_at=submitted.submitted_at, referral=submitted.referral,
        current=TriageDecision.model_validate(decision.model_dump(include=set(TriageDecision.model_fields))),
        supersedes=decision.event_id, decided_by="fd-practitioner", disagreed_with=["semh.early_support"],
        changes=[RouteChange(**c) for c in changes], **{"rationale": RATIONALE, **fields},
    )


def open_request(event: OverrideRequested, service: str) -> uuid.UUID:
    request_id = next(r.service_request_id for r in event.current.routes if r.service.value == service)
    assert request_id is not None
    return request_id


def test_an_added_route_makes_a_request_on_the_clock_from_now_with_the_persons_reason() -> None:
    event = override("manual-review", {"kind": "add_route", "service": "salt", "pathway": "community",
                                       "priority": "routine"})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert withdrawn == []
    assert decision.event_id == derived_id(event.event_id, "triage.overridden")
    assert (decision.outcome, decision.missing, decision.decided_at, decision.occurred_at) == (
        Outcome.routed, [], NOW, NOW)
    assert (decision.correlation_id, decision.referral_id, decision.child_id) == (
        event.referral_id, event.referral_id, event.child_id)
    assert (decision.decided_by, decision.supersedes, decision.rationale, decision.disagreed_with,
            decision.changes, decision.signpost) == (
        "fd-practitioner", event.supersedes, RATIONALE, ["semh.early_support"], event.changes, None)
    assert decision.explanation[:-1] == event.current.explanation
    assert decision.explanation[-1].rule_id == "front_door.decision"
    assert decision.explanation[-1].because == f"A person on the front door decided: {RATIONALE}"
    [route] = decision.routes
    [request] = created
    want_due = due_by(NOW, "salt", "routine", RULESET)
    assert want_due > NOW + timedelta(days=90)  # salt routine: 90 working days, counted from now
    assert (route.service, route.pathway, route.priority, route.held, route.due_by, route.reasons) == (
        Service.salt, "community", Priority.routine, False, want_due, ["front_door.decision"])
    assert route.service_request_id == request.service_request_id == derived_id(
        event.event_id, "request", "salt", "community", "routine")
    assert request.event_id == derived_id(event.event_id, "service_request.created", "salt", "community", "routine")
    assert (request.service, request.pathway, request.priority, request.due_by, request.held) == (
        Service.salt, "community", Priority.routine, want_due, False)
    assert request.reasons == [decision.explanation[-1]]
    assert request.details == service_details(event.referral, RULESET.sharing["salt"])
    assert (request.referral_id, request.child_id, request.correlation_id, request.occurred_at) == (
        event.referral_id, event.child_id, event.referral_id, NOW)


def test_a_withdrawn_route_leaves_the_decision_and_closes_its_request() -> None:
    base = override("multi-route", {"kind": "close", "signpost": "unused"})
    semh = open_request(base, "semh")
    event = override("multi-route", {"kind": "withdraw_route", "service_request_id": str(semh)})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert created == []
    assert [r.service.value for r in decision.routes] == ["salt", "early_help"]
    assert decision.routes == event.current.routes[1:]  # the others untouched: same ids, same clocks
    assert decision.outcome == Outcome.routed
    [outcome] = withdrawn
    old = event.current.routes[0]
    assert outcome.event_id == derived_id(event.event_id, "service_request.withdrawn", str(semh))
    assert (outcome.event_type, outcome.service_request_id, outcome.service, outcome.pathway, outcome.due_by) == (
        OutcomeEventType.withdrawn, semh, Service.semh, "early_support", old.due_by)
    assert (outcome.by, outcome.reason, outcome.referral_id, outcome.child_id, outcome.occurred_at) == (
        "fd-practitioner", RATIONALE, event.referral_id, event.child_id, NOW)
    assert outcome.correlation_id == event.referral_id


def test_a_change_of_priority_withdraws_the_request_and_makes_one_at_the_new_priority() -> None:
    salt = open_request(override("multi-route", {"kind": "close", "signpost": "unused"}), "salt")
    event = override("multi-route", {"kind": "change_priority", "service_request_id": str(salt), "priority": "urgent"})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert [w.service_request_id for w in withdrawn] == [salt]
    [request] = created
    assert (request.service, request.pathway, request.priority) == (Service.salt, "community", Priority.urgent)
    assert request.due_by == due_by(NOW, "salt", "urgent", RULESET)
    assert request.service_request_id != salt
    assert [r.rule_id for r in request.reasons] == ["front_door.decision", "salt.community"]
    assert [(r.service.value, r.priority.value) for r in decision.routes] == [
        ("semh", "routine"), ("early_help", "routine"), ("salt", "urgent")]


@pytest.mark.parametrize(("priority", "held"), [("soon", True), ("emergency", False)])
def test_a_held_request_stays_held_at_a_new_priority_unless_it_becomes_an_emergency(priority: str, held: bool) -> None:
    semh = open_request(override("safeguarding-disclosure-holds", {"kind": "close", "signpost": "unused"}), "semh")
    event = override("safeguarding-disclosure-holds",
                     {"kind": "change_priority", "service_request_id": str(semh), "priority": priority})
    decision, [request], _ = apply_override(event, RULESET, now=NOW)
    assert request.held is held
    assert decision.outcome == (Outcome.emergency if priority == "emergency" else Outcome.routed)


def test_close_withdraws_every_open_request_and_keeps_the_signpost() -> None:
    event = override("multi-route", {"kind": "close", "signpost": "The school nurse drop-in"})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert (decision.outcome, decision.routes, decision.signpost, created) == (
        Outcome.out_of_scope, [], "The school nurse drop-in", [])
    assert [w.service_request_id for w in withdrawn] == [r.service_request_id for r in event.current.routes]
    assert {w.event_type for w in withdrawn} == {OutcomeEventType.withdrawn}


def test_a_route_added_then_closed_in_the_same_decision_is_never_published() -> None:
    event = override("manual-review", {"kind": "add_route", "service": "salt", "pathway": "community",
                                       "priority": "routine"}, {"kind": "close", "signpost": "Library"})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert (decision.outcome, decision.routes, created, withdrawn) == (Outcome.out_of_scope, [], [], [])


def test_an_emergency_route_makes_an_emergency_on_a_four_hour_clock() -> None:
    event = override("multi-route", {"kind": "add_route", "service": "semh", "pathway": "crisis",
                                     "priority": "emergency"})
    decision, [request], _ = apply_override(event, RULESET, now=NOW)
    assert decision.outcome == Outcome.emergency
    assert request.due_by == NOW + timedelta(hours=4)
    assert len(decision.routes) == 4


@pytest.mark.parametrize("kind", ["withdraw_route", "change_priority"])
def test_a_request_that_is_not_open_is_skipped_not_a_crash(kind: str) -> None:
    stale = {"kind": kind, "service_request_id": str(uuid.uuid4()), "priority": "urgent"}
    event = override("multi-route", stale, {"kind": "add_route", "service": "counselling", "pathway": "individual",
                                            "priority": "routine"})
    decision, created, withdrawn = apply_override(event, RULESET, now=NOW)
    assert withdrawn == []
    assert [r.service for r in created] == [Service.counselling]  # the rest of the decision still applies
    assert decision.routes[:3] == event.current.routes


def test_a_register_candidate_carries_the_person_from_the_referral() -> None:
    _, with_person = decided("dsr-red")
    assert with_person.dsr.person is not None
    bare = with_person.model_copy(update={"dsr": with_person.dsr.model_copy(update={"person": None})})
    event = override("dsr-red", {"kind": "close", "signpost": "Their GP"}, current=bare)
    decision, _, _ = apply_override(event, RULESET, now=NOW)
    assert decision.dsr == with_person.dsr
    plain = override("multi-route", {"kind": "close", "signpost": "Their GP"})
    not_candidate, _, _ = apply_override(plain, RULESET, now=NOW)
    assert not_candidate.dsr.person is None


def test_a_long_rationale_is_cut_to_what_each_event_allows() -> None:
    event = override("multi-route", {"kind": "close", "signpost": "Their GP"}, rationale="x" * 4000)
    decision, _, withdrawn = apply_override(event, RULESET, now=NOW)
    assert len(decision.explanation[-1].because) == 500
    assert {len(w.reason or "") for w in withdrawn} == {2000}
    assert decision.rationale == "x" * 4000


def test_the_same_request_applied_again_yields_the_very_same_events() -> None:
    salt = open_request(override("multi-route", {"kind": "close", "signpost": "unused"}), "salt")
    event = override("multi-route", {"kind": "change_priority", "service_request_id": str(salt), "priority": "soon"})
    assert apply_override(event, RULESET, now=NOW) == apply_override(event, RULESET, now=NOW)
    other = event.model_copy(update={"event_id": uuid.uuid4()})
    first, second = apply_override(event, RULESET, now=NOW), apply_override(other, RULESET, now=NOW)
    assert first[0].event_id != second[0].event_id
    assert first[1][0].service_request_id != second[1][0].service_request_id
    assert first[2][0].event_id != second[2][0].event_id


def test_the_asyncapi_documents_what_triage_takes_and_publishes_for_a_persons_decision() -> None:
    from services.contracts import ASYNCAPI

    doc = json.loads(ASYNCAPI.read_text())
    operations = doc["operations"]

    def messages_of(operation: str) -> set[str]:
        return {m["$ref"].rsplit("/", 1)[-1] for m in operations[operation]["messages"]}

    assert "triage.overridden" in messages_of("triage.send.frontdoor.triage.decisions")
    assert "service_request.outcome" in messages_of("triage.send.frontdoor.service.outcomes")
    assert {"referral.submitted", "referral.override_requested"} <= messages_of(
        "triage.receive.frontdoor.referrals.submitted")
    messages = doc["components"]["messages"]
    assert messages["triage.overridden"]["payload"]["$ref"].endswith("/TriageOverridden")
    assert messages["service_request.outcome"]["payload"]["$ref"].endswith("/ServiceOutcome")
    # a withdrawal travels as a ServiceOutcome whose event-type header says so
    outcome_types = messages["service_request.outcome"]["headers"]["allOf"][1]["properties"]["event-type"]["enum"]
    assert "service_request.withdrawn" in outcome_types
    assert messages["referral.override_requested"]["payload"]["$ref"].endswith("/OverrideRequested")


# Issue 20, item 1: every route a person adds (or re-prioritises) while MASH has yet to decide about the child
# waits for MASH exactly as triage holds a route: bar the ruleset's exemptions (MASH itself, an emergency).
@pytest.mark.parametrize(("pending", "service", "priority", "held"), [
    (True, "counselling", "routine", True),  # the disclosure case: counselling must not read it before MASH
    (True, "salt", "urgent", True),
    (True, "semh", "emergency", False),  # an emergency goes at once
    (True, "safeguarding", "urgent", False),  # MASH's own request
    (False, "counselling", "routine", False),  # MASH has decided (or was never asked)
])
def test_a_route_a_person_adds_waits_for_mash_as_triage_would_hold_it(pending: bool, service: str, priority: str,
                                                                      held: bool) -> None:
    pathway = {"counselling": "school_counselling", "salt": "community", "semh": "specialist",
               "safeguarding": "mash"}[service]
    event = override("safeguarding-disclosure-holds",
                     {"kind": "add_route", "service": service, "pathway": pathway, "priority": priority},
                     history={"safeguarding_pending": pending})
    decision, created, _ = apply_override(event, RULESET, now=NOW)
    [request] = created
    assert request.held is held
    assert next(r for r in decision.routes if r.service_request_id == request.service_request_id).held is held


@pytest.mark.parametrize(("pending", "from_priority", "to_priority", "held"), [
    (True, "emergency", "urgent", True),  # an emergency made urgent while MASH decides now waits
    (True, "urgent", "emergency", False),
    (False, "emergency", "urgent", False),
])
def test_a_new_priority_waits_for_mash_as_triage_would_hold_it(pending: bool, from_priority: str, to_priority: str,
                                                               held: bool) -> None:
    base = override("safeguarding-disclosure-holds", {"kind": "add_route", "service": "salt", "pathway": "community",
                                                      "priority": from_priority},
                    history={"safeguarding_pending": pending})
    after, [added], _ = apply_override(base, RULESET, now=NOW)
    event = override("safeguarding-disclosure-holds",
                     {"kind": "change_priority", "service_request_id": str(added.service_request_id),
                      "priority": to_priority},
                     current=after, history={"safeguarding_pending": pending})
    _, [request], [withdrawn] = apply_override(event, RULESET, now=NOW)
    assert withdrawn.service_request_id == added.service_request_id
    assert request.held is held

"""Worklist handlers and views on SQLite: receiving a request (once), acting on it under the lifecycle
table, MASH's decision on held requests, the breach job, and what the workers see."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import TOPIC_OUTCOMES, ServiceOutcome, ServiceRequestCreated
from services.common.consuming import apply_record, event_adapter
from services.common.ids import derived_id
from services.common.tables import OutboxMessage, ProcessedEvent
from services.worklists import handlers, views
from services.worklists.domain import MASH_SIGNPOST
from services.worklists.handlers import RequestNotFoundError, act, decide_held, mark_breaches, receive
from services.worklists.rules import ActionRefusedError
from services.worklists.tables import WorklistItem
from tests.handlers.conftest import NOW

DAY = timedelta(days=1)
REASON = {"rule_id": "route.salt", "because": "speech concern"}
DETAILS = {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01", "postcode": "AB1 2DD"}


def created(service: str = "salt", *, priority: str = "routine", due_by: datetime = NOW + 3 * DAY, held: bool = False,
            referral_id: uuid.UUID | None = None, pathway: str = "community") -> ServiceRequestCreated:
    return ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW - DAY, service_request_id=uuid.uuid4(),
        referral_id=referral_id or uuid.uuid4(), child_id=uuid.uuid4(), service=service, pathway=pathway,
        priority=priority, due_by=due_by, held=held, reasons=[REASON], details=DETAILS,
    )


def put(session: Session, service: str = "salt", *, status: str = "created", **changes: Any) -> WorklistItem:
    """A request on `service`'s worklist, in `status`."""
    event = created(service, **changes)
    assert receive(session, event, NOW)
    item = session.get(WorklistItem, event.service_request_id)
    assert item is not None
    item.status = status
    session.commit()
    return item


def outcomes(session: Session) -> list[ServiceOutcome]:
    rows = session.exec(select(OutboxMessage)).all()
    assert all(r.topic == TOPIC_OUTCOMES for r in rows)
    events = [ServiceOutcome.model_validate_json(r.payload) for r in rows]
    assert all(r.key == str(e.child_id) and r.id == e.event_id for r, e in zip(rows, events, strict=True))
    return events


# receive


def test_a_created_request_lands_on_its_services_worklist_with_what_it_carries(session: Session) -> None:
    event = created("semh", priority="urgent", held=True, pathway="early_support")
    assert receive(session, event, NOW) is True
    item = session.get(WorklistItem, event.service_request_id)
    assert item is not None
    assert (item.service, item.referral_id, item.child_id, item.pathway, item.priority, item.held, item.status) == (
        "semh", event.referral_id, event.child_id, "early_support", "urgent", True, "created")
    assert item.due_by == event.due_by and item.received_at == item.updated_at == event.occurred_at
    assert item.reasons == [REASON] and item.details == DETAILS


def test_receiving_the_same_request_again_changes_nothing(session: Session) -> None:
    event = created()
    assert receive(session, event, NOW) is True
    session.commit()
    again = event.model_copy(update={"event_id": uuid.uuid4(), "priority": "emergency"})
    assert receive(session, event, NOW) is False
    assert receive(session, again, NOW) is False
    rows = session.exec(select(WorklistItem)).all()
    assert [(i.id, i.priority) for i in rows] == [(event.service_request_id, "routine")]


def test_through_the_kit_a_redelivery_is_a_duplicate_and_a_repeat_writes_nothing(engine: Engine) -> None:
    adapter, handlers = event_adapter(ServiceRequestCreated), {"service_request.created": receive}
    event = created()
    repeat = event.model_copy(update={"event_id": uuid.uuid4()})

    def apply(e: ServiceRequestCreated) -> str:
        body = e.model_dump_json().encode()
        return apply_record(engine, adapter, handlers, body, consumer="worklists.salt", service="worklists")

    assert [apply(event), apply(event), apply(repeat)] == ["applied", "duplicate", "ignored"]
    with Session(engine) as s:
        processed = s.exec(select(ProcessedEvent)).all()
        assert [(p.consumer, p.event_id) for p in processed] == [("worklists.salt", event.event_id)]
        assert len(s.exec(select(WorklistItem)).all()) == 1


# act


@pytest.mark.parametrize(
    ("start", "action", "fields", "status"),
    [
        ("created", "accept", {"reason": "Seen at clinic"}, "accepted"),
        ("created", "accept", {}, "accepted"),
        ("created", "decline", {"reason": "Already supported", "signpost": "Housing advice"}, "declined"),
        ("created", "redirect", {"reason": "Counselling fits", "redirect_to": "counselling"}, "redirected"),
        ("accepted", "redirect", {"reason": "Counselling fits", "redirect_to": "counselling"}, "redirected"),
        ("accepted", "complete", {"reason": "Discharged"}, "completed"),
    ],
)
def test_an_allowed_action_changes_the_status_and_announces_it(session: Session, start: str, action: str,
                                                              fields: dict[str, str], status: str) -> None:
    item = put(session, status=start)
    done = act(session, "salt", item.id, action, by="worker-1", now=NOW, **fields)
    session.commit()
    assert (done.status, done.actor, done.updated_at) == (status, "worker-1", NOW)
    assert done.accepted_at == (NOW if action == "accept" else None)
    assert (done.outcome_reason, done.signpost, done.redirect_to) == (
        fields.get("reason"), fields.get("signpost"), fields.get("redirect_to"))
    [event] = outcomes(session)
    assert event.event_type.value == f"service_request.{status}"
    assert (event.service_request_id, event.referral_id, event.child_id, event.correlation_id) == (
        item.id, item.referral_id, item.child_id, item.referral_id)
    assert (event.service.value, event.by, event.pathway, event.due_by, event.occurred_at) == (
        "salt", "worker-1", "community", item.due_by, NOW)
    assert (event.reason, event.signpost) == (fields.get("reason"), fields.get("signpost"))
    assert event.redirect_to == fields.get("redirect_to")


@pytest.mark.parametrize(
    ("start", "held", "action", "fields", "why"),
    [
        ("created", True, "accept", {}, "held under a safeguarding route until MASH releases it"),
        ("accepted", True, "complete", {}, "held under a safeguarding route until MASH releases it"),
        ("created", False, "complete", {}, "cannot complete a request that is created"),
        ("accepted", False, "accept", {}, "cannot accept a request that is accepted"),
        ("accepted", False, "decline", {"reason": "r", "signpost": "s"}, "cannot decline a request that is accepted"),
        ("completed", False, "decline", {"reason": "r", "signpost": "s"}, "cannot decline a request that is completed"),
        ("redirected", False, "accept", {}, "cannot accept a request that is redirected"),
        ("declined", False, "redirect", {"redirect_to": "semh"}, "cannot redirect a request that is declined"),
        ("created", False, "redirect", {"redirect_to": "salt"}, "redirect to another service, not this one"),
    ],
)
def test_a_refused_action_is_a_conflict_and_changes_nothing(session: Session, start: str, held: bool, action: str,
                                                           fields: dict[str, str], why: str) -> None:
    item = put(session, status=start, held=held)
    with pytest.raises(ActionRefusedError) as refused:
        act(session, "salt", item.id, action, by="worker-1", now=NOW, **fields)
    session.rollback()
    assert (refused.value.status, str(refused.value)) == (409, why)
    assert session.get(WorklistItem, item.id).status == start  # type: ignore[union-attr]
    assert outcomes(session) == []


def test_a_held_request_may_still_be_declined_or_redirected(session: Session) -> None:
    first, second = put(session, held=True), put(session, held=True)
    act(session, "salt", first.id, "decline", by="w", now=NOW, reason="Not for us", signpost="GP")
    act(session, "salt", second.id, "redirect", by="w", now=NOW, reason="Better fit", redirect_to="semh")
    assert [e.event_type.value for e in outcomes(session)] == ["service_request.declined", "service_request.redirected"]


@pytest.mark.parametrize("asked_as", ["semh", "salt"])
def test_another_services_request_is_as_good_as_missing(session: Session, asked_as: str) -> None:
    item = put(session, "counselling")
    request_id = item.id if asked_as == "semh" else uuid.uuid4()
    with pytest.raises(RequestNotFoundError) as missing:
        act(session, asked_as, request_id, "accept", by="w", now=NOW)
    assert (missing.value.status, str(missing.value)) == (404, "No request of this service has this id")
    with pytest.raises(RequestNotFoundError):
        views.view(session, asked_as, request_id, NOW)
    with pytest.raises(RequestNotFoundError):
        handlers.item_of(session, asked_as, request_id)
    assert handlers.item_of(session, "counselling", item.id) is item


# decide_held


@pytest.mark.parametrize("decision", ["release", "decline"])
def test_mash_decides_on_every_request_the_referral_still_has_held(session: Session, decision: str) -> None:
    referral = uuid.uuid4()
    held = [put(session, s, held=True, referral_id=referral) for s in ("salt", "semh")]
    already = put(session, "counselling", held=True, referral_id=referral, status="declined")
    free, elsewhere = put(session, "early_help", referral_id=referral), put(session, held=True)
    assert decide_held(session, referral, decision, by="mash-1", now=NOW, reason="No ongoing risk") == 2
    session.commit()
    for item in held:
        assert (item.held, item.actor, item.updated_at) == (decision == "decline", "mash-1", NOW)
        declined = ("declined", "No ongoing risk")
        assert (item.status, item.outcome_reason) == (("created", None) if decision == "release" else declined)
    assert (already.status, already.held, free.held, elsewhere.held) == ("declined", True, False, True)
    events = outcomes(session)
    assert sorted(e.service.value for e in events) == ["salt", "semh"]
    kind, signpost = ("released", None) if decision == "release" else ("declined", MASH_SIGNPOST)
    assert {(e.event_type.value, e.by, e.reason, e.signpost, e.referral_id) for e in events} == {
        (f"service_request.{kind}", "mash-1", "No ongoing risk", signpost, referral)}
    assert decide_held(session, referral, decision, by="mash-1", now=NOW, reason="again") == 0


# mark_breaches


def test_a_request_not_accepted_by_its_due_date_is_breached_once_with_a_derived_event_id(session: Session) -> None:
    late = [put(session, due_by=NOW - timedelta(minutes=1)), put(session, "semh", held=True, due_by=NOW - DAY)]
    spared = [put(session, due_by=NOW), put(session, due_by=NOW + DAY)]  # due now is not yet late
    spared += [put(session, due_by=NOW - DAY, status=s) for s in ("accepted", "declined", "redirected", "completed")]
    assert mark_breaches(session, NOW) == 2
    session.commit()
    assert [i.breached_at for i in late] == [NOW, NOW] and all(i.breached_at is None for i in spared)
    events = outcomes(session)
    assert {e.event_id for e in events} == {derived_id(i.id, "service_request.breached") for i in late}
    assert {(e.event_type.value, e.by, e.occurred_at, e.reason) for e in events} == {
        ("service_request.breached", "breach-job", NOW, None)}
    assert mark_breaches(session, NOW) == 0  # already breached: never again
    assert len(outcomes(session)) == 2
    assert views.breach_counts(session) == {"safeguarding": 0, "semh": 1, "counselling": 0, "salt": 1, "early_help": 0}


def test_the_breach_job_takes_at_most_its_limit_a_round(session: Session) -> None:
    for _ in range(3):
        put(session, due_by=NOW - DAY)
    assert [mark_breaches(session, NOW, limit=2), mark_breaches(session, NOW, limit=2)] == [2, 1]


# views


def test_the_worklist_is_open_requests_most_urgent_first(session: Session) -> None:
    a = put(session, priority="routine", due_by=NOW + DAY)
    b = put(session, priority="urgent", due_by=NOW + 2 * DAY)
    c = put(session, priority="urgent", due_by=NOW + DAY)
    d = put(session, priority="emergency", due_by=NOW + 9 * DAY, status="accepted")
    put(session, priority="emergency", status="completed")
    put(session, "semh", priority="emergency")
    listed = views.worklist(session, "salt", NOW)
    assert [i["service_request_id"] for i in listed] == [str(x.id) for x in (d, c, b, a)]
    assert listed[-1] | {"service_request_id": None} == {
        "service_request_id": None, "service": "salt", "referral_id": str(a.referral_id), "pathway": "community",
        "priority": "routine",
        "due_by": a.due_by.isoformat(), "time_left": "24 hours left", "overdue": False, "held": False,
        "status": "created", "breached": False, "received_at": a.received_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
        "child": {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01"}, "age": "11 years",
    }


def test_the_worklist_filters_by_status_pathway_and_held(session: Session) -> None:
    done = put(session, status="completed")
    held = put(session, held=True, pathway="clinic")
    put(session)

    def ids(**filters: Any) -> list[str]:
        return [i["service_request_id"] for i in views.worklist(session, "salt", NOW, **filters)]

    released = put(session, pathway="clinic")
    assert ids(status="completed") == [str(done.id)]
    assert ids(held=True) == [str(held.id)]
    assert ids(pathway="clinic") == [str(released.id)]  # a held request's pathway is not shown, nor searchable
    assert len(ids(held=False)) == 2 and len(ids()) == 3


def test_one_request_shows_its_reasons_details_and_outcome(session: Session) -> None:
    item = put(session, status="accepted", due_by=NOW - 3 * DAY)
    act(session, "salt", item.id, "redirect", by="w", now=NOW, reason="Better fit", redirect_to="semh")
    shown = views.view(session, "salt", item.id, NOW)
    assert (shown["status"], shown["time_left"], shown["overdue"]) == ("redirected", "overdue by 3 days", True)
    assert shown["reasons"] == item.reasons and shown["details"] == DETAILS
    assert (shown["outcome_reason"], shown["signpost"], shown["redirect_to"]) == ("Better fit", None, "semh")


def test_mash_sees_the_referrals_held_requests_with_their_service(session: Session) -> None:
    referral = uuid.uuid4()
    semh = put(session, "semh", held=True, referral_id=referral)
    put(session, "salt", held=True, referral_id=referral, status="declined")
    put(session, "early_help", referral_id=referral)
    assert handlers.held_items(session, referral) == [semh]
    assert [(h["service"], h["held"]) for h in views.held_for_referral(session, referral, NOW)] == [("semh", True)]


# need to know: a request held for MASH

DISCLOSURE = {"rule_id": "safeguarding.mash", "because": "A disclosure of harm or abuse goes to MASH first."}
HELD_SHOWS = {"service_request_id", "service", "priority", "due_by", "time_left", "overdue", "held", "status",
              "breached", "mash_decides_first", "notice", "received_at", "updated_at"}


def held_for_mash(session: Session, **changes: Any) -> WorklistItem:
    base = created("semh", held=True, pathway="camhs", **changes).model_dump()
    event = ServiceRequestCreated.model_validate(base | {
        "reasons": [DISCLOSURE], "details": DETAILS | {"reason": "Canary: she told her teacher what happens at home"}})
    assert receive(session, event, NOW)
    session.commit()
    item = session.get(WorklistItem, event.service_request_id)
    assert item is not None
    return item


def test_until_mash_releases_it_a_held_request_shows_only_that_it_exists_its_service_and_priority(
    session: Session,
) -> None:
    item = held_for_mash(session, priority="urgent")
    for shown in (views.view(session, "semh", item.id, NOW), *views.worklist(session, "semh", NOW)):
        assert set(shown) == HELD_SHOWS
        assert (shown["service_request_id"], shown["service"], shown["priority"], shown["held"]) == (
            str(item.id), "semh", "urgent", True)
        assert "MASH" in shown["notice"] and shown["mash_decides_first"] is True
        text = json.dumps(shown)
        for secret in ("Sam", "Lee", "2014-05-01", "AB1 2DD", "told her teacher", "disclosure", "camhs",
                       str(item.referral_id), str(item.child_id)):
            assert secret not in text


def test_mash_sees_held_requests_in_full_and_once_released_the_service_does_too(session: Session) -> None:
    item = held_for_mash(session)
    [for_mash] = views.held_for_referral(session, item.referral_id, NOW)
    assert for_mash["child"] == {"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-05-01"}
    assert (for_mash["referral_id"], for_mash["pathway"]) == (str(item.referral_id), "camhs")
    assert decide_held(session, item.referral_id, "release", by="mash-1", now=NOW, reason="Safe to proceed") == 1
    session.commit()
    shown = views.view(session, "semh", item.id, NOW)
    assert shown["held"] is False and "mash_decides_first" not in shown
    assert shown["details"]["given_name"] == "Sam" and shown["reasons"] == [DISCLOSURE]


def test_a_held_request_mash_declined_stays_need_to_know(session: Session) -> None:
    item = held_for_mash(session)
    decide_held(session, item.referral_id, "decline", by="mash-1", now=NOW, reason="Being handled by police")
    session.commit()
    shown = views.view(session, "semh", item.id, NOW)
    assert set(shown) == HELD_SHOWS and shown["status"] == "declined"
    assert "police" not in json.dumps(shown)

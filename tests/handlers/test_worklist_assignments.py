"""Who in a service holds a request (the worklists) on SQLite: pick up, take over only when confirmed, give to a
colleague of the same service, release, hand over; each change on the worklist item, in work_assignments and as one
`service_request.assigned` on the outcomes topic, in one commit; the worklist shows and filters by who holds each
request; a colleague of another service is not one of the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import TOPIC_OUTCOMES
from schemas.events import ServiceRequestAssigned
from services.common.assignment import HeldByAnotherError, NotAColleagueError
from services.common.auth import Principal
from services.common.tables import OutboxMessage, WorkAssignment
from services.common.teams import remember
from services.worklists import views
from services.worklists.assignments import handlers
from tests.handlers.conftest import NOW
from tests.handlers.test_worklists import put

AISHA = Principal("worker-semh", frozenset({"worker:semh"}), name="Aisha Khan")
BEN = Principal("worker-semh-2", frozenset({"worker:semh"}), name="Ben Carter")
KIM = Principal("worker-salt", frozenset({"worker:salt"}), name="Kim Evans")


@pytest.fixture
def team(engine: Engine) -> None:
    for person, service in ((AISHA, "semh"), (BEN, "semh"), (KIM, "salt")):
        remember(engine, person, service, NOW)


def announced(session: Session) -> list[ServiceRequestAssigned]:
    rows = session.exec(select(OutboxMessage)).all()
    assert all(r.topic == TOPIC_OUTCOMES for r in rows)
    events = [ServiceRequestAssigned.model_validate_json(r.payload) for r in rows]
    assert all(r.key == str(e.child_id) and r.id == e.event_id for r, e in zip(rows, events, strict=True))
    return sorted(events, key=lambda e: e.occurred_at)


def test_pick_up_take_over_give_release(session: Session, team: None) -> None:
    item = put(session, "semh")
    handlers.assign(session, "semh", item.id, "pick_up", by=AISHA, now=NOW)
    session.commit()
    assert (item.assigned_to, item.assigned_to_name) == ("worker-semh", "Aisha Khan")
    with pytest.raises(HeldByAnotherError) as refused:
        handlers.assign(session, "semh", item.id, "pick_up", by=BEN, now=NOW)
    session.rollback()
    assert refused.value.extra["held_by_name"] == "Aisha Khan"
    handlers.assign(session, "semh", item.id, "pick_up", by=BEN, now=NOW + timedelta(minutes=1), confirm=True,
                    expected="worker-semh")
    handlers.assign(session, "semh", item.id, "give", by=BEN, now=NOW + timedelta(minutes=2), to="worker-semh")
    handlers.assign(session, "semh", item.id, "release", by=AISHA, now=NOW + timedelta(minutes=3))
    session.commit()
    events = announced(session)
    assert [e.change for e in events] == ["picked_up", "taken_over", "given", "unassigned"]
    assert {(e.team, e.service.value, e.service_request_id, e.referral_id) for e in events} == {
        ("semh", "semh", item.id, item.referral_id)}
    assert [r.id for r in session.exec(select(WorkAssignment).order_by(WorkAssignment.at)).all()] == [
        e.event_id for e in events]


def test_a_colleague_is_of_the_same_service(session: Session, team: None) -> None:
    item = put(session, "semh")
    with pytest.raises(NotAColleagueError):
        handlers.assign(session, "semh", item.id, "give", by=AISHA, now=NOW, to="worker-salt")


def test_a_handover_gives_each_request_with_its_own_event(session: Session, team: None) -> None:
    first, second = put(session, "semh"), put(session, "semh")
    for item in (first, second):
        handlers.assign(session, "semh", item.id, "pick_up", by=AISHA, now=NOW)
    session.commit()
    handlers.hand_over(session, "semh", [first.id, second.id], holder=AISHA.subject, to=BEN.subject, by=AISHA,
                       now=NOW + timedelta(hours=1))
    session.commit()
    handed = [e for e in announced(session) if e.change == "handed_over"]
    assert sorted(e.service_request_id for e in handed) == sorted([first.id, second.id])
    assert {e.assigned_to_name for e in handed} == {"Ben Carter"}


def test_the_worklist_shows_who_holds_each_and_filters_mine_and_unassigned(session: Session, team: None) -> None:
    mine, free = put(session, "semh"), put(session, "semh")
    handlers.assign(session, "semh", mine.id, "pick_up", by=AISHA, now=NOW)
    session.commit()
    listed = {i["service_request_id"]: i.get("assigned") for i in views.worklist(session, "semh", NOW)}
    assert listed[str(mine.id)] == {"subject": "worker-semh", "name": "Aisha Khan", "since": NOW.isoformat()}
    assert listed[str(free.id)] is None
    assert [i["service_request_id"] for i in views.worklist(session, "semh", NOW, held_by="worker-semh")] == [
        str(mine.id)]
    assert [i["service_request_id"] for i in views.worklist(session, "semh", NOW, unassigned=True)] == [str(free.id)]

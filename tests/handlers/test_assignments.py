"""Who holds a referral on the front door's queue (intake) on SQLite: pick up, take over only when confirmed, give to
a colleague the service knows, release, hand over; each change on the referral, in work_assignments and as one
`referral.assigned` in the outbox, in one commit; the queue shows and filters by who holds each item; intake keeps
who holds each service request from `service_request.assigned`, the latest change winning."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from schemas import TOPIC_DECISIONS
from schemas.enums import Service
from schemas.events import ReferralAssigned, ServiceRequestAssigned
from services.common.assignment import HeldByAnotherError, HolderChangedError, NotAColleagueError, NotHolderError
from services.common.auth import Principal
from services.common.tables import OutboxMessage, TeamMember, WorkAssignment
from services.common.teams import colleagues, remember
from services.intake.assignments import handlers
from services.intake.tables import ReferralRecord, ServiceRequestHolder
from tests.handlers.conftest import NOW
from tests.handlers.test_front_door_queue import decide, listed

DANA = Principal("front-door-hub", frozenset({"front_door"}), name="Dana Wright")
SOL = Principal("front-door-sol", frozenset({"front_door"}), name="Sol Ahmed")
JORDAN = Principal("front-door-manager", frozenset({"front_door_manager"}), name="Jordan Price")


@pytest.fixture
def team(engine: Engine) -> None:
    for person in (DANA, SOL, JORDAN):
        remember(engine, person, "front_door", NOW)


def announced(session: Session) -> list[ReferralAssigned]:
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_DECISIONS)).all()
    events = [json.loads(r.payload) for r in rows]
    return sorted((ReferralAssigned.model_validate(e) for e in events if e["event_type"] == "referral.assigned"),
                  key=lambda e: e.occurred_at)


def changes(session: Session) -> list[tuple[str, str | None, str | None]]:
    rows = session.exec(select(WorkAssignment).order_by(WorkAssignment.at)).all()
    return [(r.change, r.assigned_to, r.previously_assigned_to) for r in rows]


def test_picking_up_writes_the_holder_the_change_and_its_event_in_one_go(session: Session, team: None) -> None:
    record = decide(session, "manual_review")
    handlers.assign(session, record.id, "pick_up", by=DANA, now=NOW)
    session.commit()
    assert (record.assigned_to, record.assigned_to_name, record.assigned_at) == ("front-door-hub", "Dana Wright", NOW)
    [event] = announced(session)
    [row] = session.exec(select(WorkAssignment)).all()
    assert event.event_id == row.id and event.referral_id == record.id and event.child_id == record.child_id
    assert (event.team, event.change, event.assigned_to, event.assigned_to_name, event.by) == (
        "front_door", "picked_up", "front-door-hub", "Dana Wright", "front-door-hub")
    outbox = session.exec(select(OutboxMessage).where(OutboxMessage.id == row.id)).one()
    assert outbox.key == str(record.child_id)


def test_a_second_person_is_told_who_holds_it_and_must_confirm(session: Session, team: None) -> None:
    record = decide(session, "manual_review")
    handlers.assign(session, record.id, "pick_up", by=DANA, now=NOW)
    session.commit()
    with pytest.raises(HeldByAnotherError) as refused:
        handlers.assign(session, record.id, "pick_up", by=SOL, now=NOW + timedelta(minutes=1))
    session.rollback()
    assert refused.value.extra == {"held_by": "front-door-hub", "held_by_name": "Dana Wright"}
    with pytest.raises(HolderChangedError):  # confirmed for someone who does not hold it
        handlers.assign(session, record.id, "pick_up", by=SOL, now=NOW, confirm=True, expected="someone-else")
    session.rollback()
    handlers.assign(session, record.id, "pick_up", by=SOL, now=NOW + timedelta(minutes=2), confirm=True,
                    expected="front-door-hub")
    session.commit()
    assert changes(session) == [("picked_up", "front-door-hub", None),
                                ("taken_over", "front-door-sol", "front-door-hub")]
    assert [e.change for e in announced(session)] == ["picked_up", "taken_over"]


def test_give_to_a_known_colleague_release_and_asking_twice_changes_nothing(session: Session, team: None) -> None:
    record = decide(session, "out_of_scope")
    with pytest.raises(NotAColleagueError):
        handlers.assign(session, record.id, "give", by=DANA, now=NOW, to="never-signed-in")
    session.rollback()
    handlers.assign(session, record.id, "give", by=DANA, now=NOW, to="front-door-sol")
    handlers.assign(session, record.id, "give", by=DANA, now=NOW, to="front-door-sol", confirm=True,
                    expected="front-door-sol")  # a retried give: it is so already
    session.commit()
    assert record.assigned_to_name == "Sol Ahmed"
    handlers.assign(session, record.id, "release", by=SOL, now=NOW + timedelta(minutes=1))
    handlers.assign(session, record.id, "release", by=SOL, now=NOW + timedelta(minutes=2))
    session.commit()
    assert record.assigned_to is None and record.assigned_to_name is None
    assert [e.change for e in announced(session)] == ["given", "unassigned"]
    assert [e.assigned_to for e in announced(session)] == ["front-door-sol", None]


def test_a_handover_gives_each_item_with_its_own_event_or_nothing_at_all(session: Session, team: None) -> None:
    first, second, third = (decide(session, "manual_review", child__nhs_number=..., child__given_name=n)
                            for n in ("Alex", "Blake", "Casey"))
    for record in (first, second):
        handlers.assign(session, record.id, "pick_up", by=DANA, now=NOW)
    handlers.assign(session, third.id, "pick_up", by=SOL, now=NOW)
    session.commit()
    with pytest.raises(NotHolderError):  # one of them is Sol's: nothing is handed over
        handlers.hand_over(session, [first.id, third.id], holder=DANA.subject, to=SOL.subject, by=DANA, now=NOW)
    session.rollback()
    assert len(announced(session)) == 3
    later = NOW + timedelta(hours=1)
    handed = handlers.hand_over(session, [first.id, second.id], holder=DANA.subject, to=SOL.subject, by=DANA,
                                now=later)
    session.commit()
    assert len(handed) == 2
    events = [e for e in announced(session) if e.change == "handed_over"]
    assert sorted(e.referral_id for e in events) == sorted([first.id, second.id])
    assert {(e.assigned_to, e.previously_assigned_to, e.by) for e in events} == {
        ("front-door-sol", "front-door-hub", "front-door-hub")}
    # a manager covering Sol's absence hands Sol's work to Dana: a confirmed take-over of each
    handlers.hand_over(session, [first.id], holder=SOL.subject, to=DANA.subject, by=JORDAN, now=later)
    session.commit()
    assert session.get(ReferralRecord, first.id).assigned_to == DANA.subject  # type: ignore[union-attr]


def test_the_queue_says_who_holds_each_item_and_filters_mine_and_unassigned(session: Session, team: None) -> None:
    mine = decide(session, "manual_review", child__nhs_number=..., child__given_name="Alex")
    free = decide(session, "out_of_scope", child__nhs_number=..., child__given_name="Blake")
    theirs = decide(session, "manual_review", child__nhs_number=..., child__given_name="Casey")
    handlers.assign(session, mine.id, "pick_up", by=DANA, now=NOW)
    handlers.assign(session, theirs.id, "pick_up", by=SOL, now=NOW)
    session.commit()
    everything = {i["referral_id"]: i.get("assigned") for i in listed(session)["items"]}
    assert everything[str(mine.id)] == {"subject": "front-door-hub", "name": "Dana Wright", "since": NOW.isoformat()}
    assert everything[str(free.id)] is None
    assert [i["referral_id"] for i in listed(session, held_by=DANA.subject)["items"]] == [str(mine.id)]
    assert [i["referral_id"] for i in listed(session, unassigned=True)["items"]] == [str(free.id)]


def test_the_team_is_who_the_service_has_seen(engine: Engine, session: Session, team: None) -> None:
    remember(engine, Principal("front-door-hub", frozenset({"front_door"}), name="Dana Wright-Jones"), "front_door",
             NOW + timedelta(hours=1))
    people = colleagues(session, "front_door", NOW + timedelta(hours=1))
    assert [(p["subject"], p.get("name")) for p in people] == [
        ("front-door-hub", "Dana Wright-Jones"), ("front-door-manager", "Jordan Price"),
        ("front-door-sol", "Sol Ahmed")]
    assert colleagues(session, "front_door", NOW + timedelta(days=91)) == []  # not seen for 90 days: not offered
    assert session.get(TeamMember, ("semh", "front-door-hub")) is None


def request_assigned(request_id: uuid.UUID, referral: ReferralRecord, at_minutes: int, **fields: Any
                     ) -> ServiceRequestAssigned:
    return ServiceRequestAssigned(
        event_id=uuid.uuid4(), occurred_at=NOW + timedelta(minutes=at_minutes), correlation_id=referral.id,
        service_request_id=request_id, referral_id=referral.id, child_id=referral.child_id, service=Service.semh,
        team="semh", by="worker-semh", **fields)


def test_intake_keeps_who_holds_each_request_the_latest_change_winning(session: Session) -> None:
    record = decide(session, "routed")
    request_id = uuid.uuid4()
    later = request_assigned(request_id, record, 5, change="given", assigned_to="worker-semh-2",
                             assigned_to_name="Ben Carter")
    earlier = request_assigned(request_id, record, 1, change="picked_up", assigned_to="worker-semh",
                               assigned_to_name="Aisha Khan")
    assert handlers.apply_request_assignment(session, later, NOW) is True
    session.commit()
    assert handlers.apply_request_assignment(session, earlier, NOW) is False  # arrived late: passed by
    session.rollback()
    kept = session.get(ServiceRequestHolder, request_id)
    assert kept is not None and (kept.assigned_to_name, kept.event_id) == ("Ben Carter", later.event_id)
    released = request_assigned(request_id, record, 9, change="unassigned")
    assert handlers.apply_request_assignment(session, released, NOW) is True
    session.commit()
    assert session.get(ServiceRequestHolder, request_id).assigned_to is None  # type: ignore[union-attr]

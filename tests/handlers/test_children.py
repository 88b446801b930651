"""Duplicate children on SQLite: "same child" (a merge and its exact undo), "different children" (never
flagged again), what identity matching makes of both for later referrals. The pure parts (pairs, survivors, settling a
resolution, what two records have in common): tests/unit/test_duplicate_children.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_CHILDREN, ChildMerged, ChildUnmerged
from services.common.errors import ConflictError, NotFoundError
from services.common.ids import derived_id
from services.common.tables import AuditEntry, OutboxMessage
from services.demo import sample_nhs_number
from services.intake.children import domain, views
from services.intake.children import handlers as children
from services.intake.referrals import handlers
from services.intake.tables import (
    Child,
    DistinctChildren,
    FrontDoorDecision,
    ReferralRecord,
    ServiceRequestRecord,
    TimelineItem,
)
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import DAY, decided, outcome, requests_of, route, submit

FRONT_DOOR = principal("fd-1", "front_door")
TABLES = (Child, ReferralRecord, ServiceRequestRecord, TimelineItem, FrontDoorDecision)
NHS = sample_nhs_number(77)


def robin(session: Session, given: str = "Robin", **changes: Any) -> ReferralRecord:
    """A referral about a child with no NHS number (unless given) born 2014-02-27 in SS7 3QZ."""
    changes.setdefault("child__nhs_number", ...)
    return submit(session, child__given_name=given, child__family_name="Historytest", **changes)


def rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a merge touches, as stored."""
    session.expire_all()
    return {t.__tablename__: sorted((r.model_dump() for r in session.exec(select(t)).all()), key=lambda d: str(d["id"]))
            for t in TABLES}


class Ref:
    """A referral's ids as submitted (the stored row's child_id changes with a merge)."""

    def __init__(self, record: ReferralRecord):
        self.id, self.child_id = record.id, record.child_id


def with_flags_and_requests(session: Session) -> tuple[Ref, Ref, Ref]:
    """S (no NHS number, two requests, one accepted), M (a typo of S, with an NHS number, flagged with S,
    one request and a person's decision) and C, an unrelated child with a request of its own."""
    s = robin(session)
    handlers.apply_decision(session, decided(s, route("salt"), route("early_help", due_days=20)), NOW)
    handlers.apply_outcome(session, outcome(requests_of(session, s)[0], "accepted"), NOW + DAY)
    m = robin(session, "Robni", child__nhs_number=NHS)
    assert m.possible_duplicates == [str(s.child_id)] and m.child_id != s.child_id
    handlers.apply_decision(session, decided(m, route("semh")), NOW)
    session.add(FrontDoorDecision(id=uuid.uuid4(), referral_id=m.id, child_id=m.child_id, decided_by="fd-2",
                                  decided_at=NOW, rationale="Seen by the duty worker", supersedes=uuid.uuid4()))
    c = submit(session, child__given_name="Ashley", child__family_name="Other", child__nhs_number=...)
    handlers.apply_decision(session, decided(c, route("salt")), NOW)
    session.commit()
    return Ref(s), Ref(m), Ref(c)


def test_a_merge_moves_every_link_of_the_merged_child_and_an_undo_restores_every_row_exactly(session: Session) -> None:
    s, m, c = with_flags_and_requests(session)
    before = rows(session)
    moved = {t: [r["id"] for r in before[t] if r.get("child_id") == m.child_id] for t in before if t != "children"}
    assert all(moved.values())

    merge = children.merge(session, s.child_id, m.child_id, reason="Same child: a typo in the name", by=FRONT_DOOR,
                           now=NOW + 2 * DAY)
    session.commit()
    after = rows(session)
    for table, ids in moved.items():
        assert {r["id"] for r in after[table] if r["child_id"] == s.child_id} >= set(ids), table
        assert [r for r in after[table] if r["child_id"] == m.child_id] == [], table
        unchanged = [r for r in after[table] if r["id"] not in ids and table != "referrals"]
        assert unchanged == [r for r in before[table] if r["id"] not in ids and table != "referrals"], table
    assert {r["id"]: r["child_id"] for r in after["referrals"]} == {
        s.id: s.child_id, m.id: s.child_id, c.id: c.child_id}
    assert [r["possible_duplicates"] for r in after["referrals"] if r["id"] == m.id] == [[]]  # the flag cleared
    survivor, merged = session.get(Child, s.child_id), session.get(Child, m.child_id)
    assert survivor is not None and merged is not None and (survivor.nhs_number, merged.nhs_number) == (NHS, None)
    assert merge.links == {
        "referrals": [str(m.id)],
        "service_requests": sorted(str(i) for i in moved["service_requests"]),
        "child_timeline": sorted(moved["child_timeline"]),
        "front_door_decisions": [str(i) for i in moved["front_door_decisions"]],
        "nhs_number_moved": True,
        "flags_cleared": {str(m.id): {"before": [str(s.child_id)], "cleared": [str(s.child_id)]}},
        "held": [],  # nothing waits for MASH here (test_safeguarding_holds: a merge that holds)
    }
    assert (merge.survivor_id, merge.merged_id, merge.by, merge.undone_at) == (s.child_id, m.child_id, "fd-1", None)
    [message] = session.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_CHILDREN)).all()
    event = ChildMerged.model_validate_json(message.payload)
    assert (message.key, event.merge_id, event.survivor_id, event.merged_id) == (
        str(m.child_id), merge.id, s.child_id, m.child_id)
    assert (event.referral_ids, sorted(event.service_request_ids)) == ([m.id], sorted(moved["service_requests"]))
    assert audits(session, "front_door.merge") == [("fd-1", "front_door", s.child_id, merge.id),
                                                   ("fd-1", "front_door", m.child_id, merge.id)]

    undone = children.undo(session, merge.id, by=principal("fd-2", "front_door"), now=NOW + 3 * DAY)
    session.commit()
    assert rows(session) == before  # every link, the NHS number and the flag exactly as they were
    assert (undone.undone_at, undone.undone_by) == (NOW + 3 * DAY, "fd-2")
    unmerged = [ChildUnmerged.model_validate_json(r.payload) for r in session.exec(
        select(OutboxMessage).where(OutboxMessage.topic == TOPIC_CHILDREN)).all() if "child.unmerged" in r.payload]
    assert [(e.merge_id, e.referral_ids, sorted(e.service_request_ids), e.event_id) for e in unmerged] == [
        (merge.id, [m.id], sorted(moved["service_requests"]), derived_id(merge.id, "child.unmerged"))]
    assert [a[2] for a in audits(session, "front_door.unmerge")] == [s.child_id, m.child_id]
    with pytest.raises(ConflictError, match="already undone"):
        children.undo(session, merge.id, by=FRONT_DOOR, now=NOW + 4 * DAY)


def audits(session: Session, action: str) -> list[tuple[str, str, uuid.UUID | None, uuid.UUID | None]]:
    session.commit()  # audit rows join the chain as their transaction commits
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))).all()
    return [(a.actor, a.role, a.child_id, a.record_id) for a in entries]


def test_a_merge_keeps_the_survivors_own_nhs_number_and_undo_leaves_both_numbers_where_they_were(
        session: Session) -> None:
    s = Ref(robin(session, child__nhs_number=sample_nhs_number(78)))
    m = Ref(robin(session, "Robni", child__nhs_number=NHS))
    session.commit()
    before = rows(session)
    merge = children.merge(session, s.child_id, m.child_id, reason="Same child, two numbers", by=FRONT_DOOR, now=NOW)
    assert merge.links["nhs_number_moved"] is False
    assert [session.get(Child, c).nhs_number for c in (s.child_id, m.child_id)] == [sample_nhs_number(78), NHS]
    children.undo(session, merge.id, by=FRONT_DOOR, now=NOW)
    session.commit()
    assert rows(session) == before


def test_refused_merges_and_undos(session: Session) -> None:
    s, m, c = with_flags_and_requests(session)
    with pytest.raises(ConflictError, match="cannot be merged with itself"):
        children.merge(session, s.child_id, s.child_id, reason="the same record", by=FRONT_DOOR, now=NOW)
    with pytest.raises(NotFoundError, match="No such child record"):
        children.merge(session, s.child_id, uuid.uuid4(), reason="an unknown record", by=FRONT_DOOR, now=NOW)
    first = children.merge(session, s.child_id, m.child_id, reason="Same child, a typo", by=FRONT_DOOR, now=NOW)
    for survivor, merged in ((s.child_id, m.child_id), (c.child_id, m.child_id), (m.child_id, c.child_id)):
        with pytest.raises(ConflictError, match="already merged into another"):
            children.merge(session, survivor, merged, reason="Same child again", by=FRONT_DOOR, now=NOW)
    later = children.merge(session, c.child_id, s.child_id, reason="Same child after all", by=FRONT_DOOR, now=NOW)
    with pytest.raises(ConflictError, match="undo that merge first"):
        children.undo(session, first.id, by=FRONT_DOOR, now=NOW)
    children.undo(session, later.id, by=FRONT_DOOR, now=NOW)
    children.undo(session, first.id, by=FRONT_DOOR, now=NOW)
    with pytest.raises(NotFoundError, match="No such merge"):
        children.undo(session, uuid.uuid4(), by=FRONT_DOOR, now=NOW)


def test_later_referrals_about_a_merged_child_land_on_the_survivor(session: Session) -> None:
    s, m, _ = with_flags_and_requests(session)
    children.merge(session, s.child_id, m.child_id, reason="Same child: a typo", by=FRONT_DOOR, now=NOW)
    session.commit()
    by_names = robin(session, "Robni")  # exactly the merged record's names, no NHS number
    by_number = robin(session, "Robni", child__nhs_number=NHS)  # the merged record's number, now the survivor's
    near = robin(session, "Robinn")  # a near match of both records: flagged once, as the survivor
    assert [r.child_id for r in (by_names, by_number)] == [s.child_id, s.child_id]
    assert (by_names.possible_duplicates, by_number.possible_duplicates) == ([], [])
    assert near.child_id not in (s.child_id, m.child_id) and near.possible_duplicates == [str(s.child_id)]


def test_different_children_are_never_flagged_again(session: Session) -> None:
    a = robin(session)
    b = robin(session, "Robni")
    [shown] = views.flagged_pairs(session, FRONT_DOOR)
    assert {shown["child_a"]["child_id"], shown["child_b"]["child_id"]} == {str(a.child_id), str(b.child_id)}
    assert shown["matched"] == ["a similar name", "the same date of birth", "the same postcode"]
    assert shown["flagged_by"] == [str(b.id)] and shown["flagged_at"] == NOW.isoformat()
    assert {shown["child_a"]["given_name"], shown["child_b"]["given_name"]} == {"Robin", "Robni"}
    assert [a[2] for a in audits(session, "front_door.duplicates")] == sorted([a.child_id, b.child_id])

    decision = children.different(session, b.child_id, a.child_id, reason="Twins", by=FRONT_DOOR, now=NOW)
    session.commit()
    assert (decision.child_a, decision.child_b) == domain.pair(a.child_id, b.child_id)
    assert session.get(ReferralRecord, b.id).possible_duplicates == []
    assert views.flagged_pairs(session, FRONT_DOOR) == []
    third = robin(session, "Robni")  # the same child as b, referred again: a is not named
    fourth = robin(session)
    assert (third.child_id, fourth.child_id) == (b.child_id, a.child_id)
    assert (third.possible_duplicates, fourth.possible_duplicates) == ([], [])
    assert views.flagged_pairs(session, FRONT_DOOR) == []
    again = children.different(session, a.child_id, b.child_id, reason=None, by=FRONT_DOOR, now=NOW + DAY)
    assert (again.reason, len(session.exec(select(DistinctChildren)).all())) == ("Twins", 1)
    with pytest.raises(ConflictError, match="always the same child as itself"):
        children.different(session, a.child_id, a.child_id, reason=None, by=FRONT_DOOR, now=NOW)


def test_a_pair_flagged_before_a_merge_is_shown_by_its_survivor_and_a_merged_pair_not_at_all(session: Session) -> None:
    s, m = Ref(robin(session)), Ref(robin(session, "Robni"))
    other = robin(session, "Robinn")  # flagged with both
    children.merge(session, s.child_id, m.child_id, reason="Same child: a typo", by=FRONT_DOOR, now=NOW)
    shown = views.flagged_pairs(session, FRONT_DOOR)
    assert [{p["child_a"]["child_id"], p["child_b"]["child_id"]} for p in shown] == [
        {str(s.child_id), str(other.child_id)}]
    assert [r["referral_id"] for p in shown for r in (p["child_a"]["referrals"] + p["child_b"]["referrals"])
            if r["referral_id"] != str(other.id)] == [str(s.id), str(m.id)]


"""The worklists and the register follow a merge of two child records (child.merged) and its undo
(child.unmerged): exactly the rows the merge moved change child, an undo puts every row back exactly as
it was, a redelivery changes nothing, and an event that matches nothing writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import ChildMerged, ChildUnmerged
from services.common.consuming import apply_record, event_adapter
from services.common.tables import ProcessedEvent
from services.dsr import children, handlers
from services.dsr.main import CHILDREN_CONSUMER, CHILDREN_HANDLERS, CHILDREN_MODELS
from services.dsr.tables import DsrEntry, DsrTimelineItem
from services.worklists.handlers import follow_merge, follow_unmerge
from services.worklists.main import CHILDREN_HANDLERS as WORKLIST_HANDLERS
from services.worklists.tables import WorklistItem
from tests.handlers.conftest import NOW
from tests.handlers.test_dsr import CLOCK, decision, new_entry
from tests.handlers.test_worklists import put

Event = ChildMerged | ChildUnmerged
ADAPTER = event_adapter(*CHILDREN_MODELS)


def merged(survivor: uuid.UUID, merged_id: uuid.UUID, requests: list[uuid.UUID] | None = None,
           merge_id: uuid.UUID | None = None) -> ChildMerged:
    return ChildMerged(event_id=uuid.uuid4(), occurred_at=NOW + timedelta(hours=1), merge_id=merge_id or uuid.uuid4(),
                       survivor_id=survivor, merged_id=merged_id, referral_ids=[], service_request_ids=requests or [])


def unmerged(merge: ChildMerged) -> ChildUnmerged:
    fields = merge.model_dump(exclude={"event_id", "event_type", "occurred_at", "held_request_ids"})
    return ChildUnmerged(event_id=uuid.uuid4(), occurred_at=NOW + timedelta(hours=2), **fields)


def deliver(engine: Engine, event: Event, service: str) -> str:
    """Through the handling kit with the service's own children handlers and consumer name."""
    found = {"dsr": (CHILDREN_HANDLERS, CHILDREN_CONSUMER), "worklists": (WORKLIST_HANDLERS, "worklists.children")}
    chosen, consumer = found[service]
    return apply_record(engine, ADAPTER, chosen, event.model_dump_json().encode(), consumer=consumer, service=service)


def snapshot(session: Session, model: Any) -> list[dict[str, Any]]:
    """Every row of `model` as the database has it."""
    session.expire_all()
    return [r.model_dump() for r in session.exec(select(model).order_by(col(model.id))).all()]


def timeline(session: Session, entry_id: uuid.UUID) -> list[tuple[str, str, dict[str, Any]]]:
    session.expire_all()
    query = select(DsrTimelineItem).where(DsrTimelineItem.entry_id == entry_id).order_by(col(DsrTimelineItem.id))
    return [(t.kind, t.summary, t.detail) for t in session.exec(query).all()]


def entry_of(session: Session, child: uuid.UUID) -> DsrEntry:
    entry = new_entry(session)
    entry.child_id = child
    session.add(entry)
    session.commit()
    return entry


# --- worklists -------------------------------------------------------------------------------------

def test_worklists_move_exactly_the_merges_requests_and_an_undo_restores_every_row(engine: Engine,
                                                                                   session: Session) -> None:
    survivor, other = uuid.uuid4(), uuid.uuid4()
    moved = [put(session, "salt"), put(session, "semh", status="accepted")]
    left = put(session, "early_help")  # the merged child's, but not in the event (intake did not move it)
    for item in [*moved, left]:
        item.child_id = other
        session.add(item)
    unrelated = put(session, "salt")
    session.commit()
    before = snapshot(session, WorklistItem)
    event = merged(survivor, other, [i.id for i in moved] + [uuid.uuid4()])  # one request never received here

    assert [deliver(engine, event, "worklists") for _ in range(2)] == ["applied", "duplicate"]
    during = {row["id"]: row["child_id"] for row in snapshot(session, WorklistItem)}
    assert during == {moved[0].id: survivor, moved[1].id: survivor, left.id: other, unrelated.id: unrelated.child_id}
    assert [r | {"child_id": None} for r in snapshot(session, WorklistItem)] == [
        r | {"child_id": None} for r in before]  # nothing else of any row changed
    assert follow_merge(session, event, NOW) is False  # a redelivery past the kit finds nothing to move

    undo = unmerged(event)
    assert [deliver(engine, undo, "worklists") for _ in range(2)] == ["applied", "duplicate"]
    assert snapshot(session, WorklistItem) == before
    assert follow_unmerge(session, undo, NOW) is False
    assert deliver(engine, merged(survivor, other, [uuid.uuid4()]), "worklists") == "ignored"
    assert len(session.exec(select(ProcessedEvent)).all()) == 2  # the ignored event wrote nothing
    assert snapshot(session, WorklistItem) == before


def test_a_worklist_event_with_no_requests_or_none_on_the_expected_child_is_ignored(session: Session) -> None:
    item = put(session)
    assert follow_merge(session, merged(uuid.uuid4(), item.child_id), NOW) is False
    assert follow_merge(session, merged(uuid.uuid4(), uuid.uuid4(), [item.id]), NOW) is False  # not the merged child
    assert follow_unmerge(session, unmerged(merged(uuid.uuid4(), item.child_id, [item.id])), NOW) is False


# --- the register ----------------------------------------------------------------------------------

def test_the_merged_childs_entry_moves_with_the_merge_on_its_timeline_and_the_undo_restores_it(
        engine: Engine, session: Session) -> None:
    survivor, other = uuid.uuid4(), uuid.uuid4()
    moved, unrelated = entry_of(session, other), new_entry(session)
    closed = entry_of(session, other)
    handlers.close_entry(session, closed.id, reason="no_longer_meets_criteria", by="chair", clock=CLOCK)
    session.commit()
    before = snapshot(session, DsrEntry)
    event = merged(survivor, other)

    assert [deliver(engine, event, "dsr") for _ in range(2)] == ["applied", "duplicate"]
    during = {row["id"]: row["child_id"] for row in snapshot(session, DsrEntry)}
    assert during == {moved.id: survivor, closed.id: survivor, unrelated.id: unrelated.child_id}
    detail = {"merge_id": str(event.merge_id), "from_child": str(other), "to_child": str(survivor)}
    line = ("merged", "The front door found two records to be the same child and merged them: "
                      "this entry moved to the surviving record", detail)
    assert timeline(session, moved.id)[1:] == [line] and timeline(session, closed.id)[-1] == line
    assert handlers.open_entry(session, survivor) is not None and handlers.open_entry(session, other) is None
    assert children.follow_merge(session, event, NOW) is False  # a redelivery past the kit finds nothing to move

    undo = unmerged(event)
    assert [deliver(engine, undo, "dsr") for _ in range(2)] == ["applied", "duplicate"]
    assert snapshot(session, DsrEntry) == before
    undone = ("merge_undone", "Merge undone: the front door separated the two child records again and this entry "
              "is back on its own child's record", detail | {"from_child": str(survivor), "to_child": str(other)})
    assert timeline(session, moved.id)[1:] == [line, undone] and timeline(session, closed.id)[-2:] == [line, undone]
    assert children.follow_unmerge(session, undo, NOW) is False
    assert len(timeline(session, unrelated.id)) == 1


def test_when_both_children_had_an_open_entry_both_stay_open_and_both_timelines_say_so(session: Session) -> None:
    kept = new_entry(session)
    survivor, other = kept.child_id, uuid.uuid4()
    moved = entry_of(session, other)
    before = snapshot(session, DsrEntry)
    event = merged(survivor, other)
    assert children.follow_merge(session, event, NOW) is True
    session.commit()
    entries = {e["id"]: (e["child_id"], e["status"]) for e in snapshot(session, DsrEntry)}
    assert entries == {kept.id: (survivor, "pending_review"), moved.id: (survivor, "pending_review")}
    assert timeline(session, moved.id)[-1][1].endswith(
        "this entry moved to the surviving record; this child now has two open register entries and both stay "
        "open until the DSR meeting decides which one to close")
    assert timeline(session, kept.id)[-1] == (
        "merge_note", "The front door merged another record of this child into this one, with its own open register "
        "entry: both stay open until the DSR meeting decides which one to close",
        {"merge_id": str(event.merge_id), "moved_entries": [str(moved.id)]})
    open_now = handlers.open_entry(session, survivor)
    assert open_now is not None and open_now.id == min([kept, moved], key=lambda e: (e.created_at, e.id)).id
    # a later decision is noted on one entry only, never a third entry
    assert handlers.apply_decision(session, decision(survivor), NOW) is True
    session.commit()
    assert len(snapshot(session, DsrEntry)) == 2

    assert children.follow_unmerge(session, unmerged(event), NOW) is True
    session.commit()
    assert {e["id"]: e["child_id"] for e in snapshot(session, DsrEntry)} == {e["id"]: e["child_id"] for e in before}
    assert timeline(session, kept.id)[-1][:2] == (
        "merge_undone", "Merge undone: the other register entry is back on its own child's record")


def test_an_undo_moves_only_the_entries_its_own_merge_moved(session: Session) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    of_a, of_b = entry_of(session, a), entry_of(session, b)
    before = snapshot(session, DsrEntry)
    a_into_b, b_into_c = merged(b, a), merged(c, b)
    assert children.follow_merge(session, a_into_b, NOW) and children.follow_merge(session, b_into_c, NOW)
    session.commit()
    assert {e["child_id"] for e in snapshot(session, DsrEntry)} == {c}
    assert children.follow_unmerge(session, unmerged(a_into_b), NOW) is False  # its entry is on c now, not on b
    assert children.follow_unmerge(session, unmerged(b_into_c), NOW) is True
    session.commit()
    assert {e["id"]: e["child_id"] for e in snapshot(session, DsrEntry)} == {of_a.id: b, of_b.id: b}
    assert children.follow_unmerge(session, unmerged(a_into_b), NOW) is True
    session.commit()
    assert snapshot(session, DsrEntry) == before


def test_a_register_event_that_matches_nothing_writes_nothing(engine: Engine, session: Session) -> None:
    survivor = new_entry(session).child_id
    assert deliver(engine, merged(survivor, uuid.uuid4()), "dsr") == "ignored"  # the merged child has no entry
    assert deliver(engine, unmerged(merged(survivor, uuid.uuid4())), "dsr") == "ignored"  # it moved nothing
    assert session.exec(select(ProcessedEvent)).all() == []

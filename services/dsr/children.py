"""The register follows a merge of two child records (child.merged) and its undo (child.unmerged).
A merge moves every entry of the merged child to the survivor; each moved entry's timeline says so,
with the merge id and both children (kind "merged"): that line is what an undo reads to move exactly
those entries back, so the register needs no table of its own for merges. When both children had an
open entry, both stay open (the DSR meeting decides which to close) and both timelines say so."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from schemas import ChildMerged, ChildUnmerged
from services.dsr import domain
from services.dsr.domain import OPEN
from services.dsr.handlers import add_to_timeline
from services.dsr.tables import DsrEntry, DsrTimelineItem

MERGED, OTHER_MERGED_IN, MERGE_UNDONE = "merged", "merge_note", "merge_undone"


def _entries(session: Session, child_id: uuid.UUID) -> list[DsrEntry]:
    query = select(DsrEntry).where(DsrEntry.child_id == child_id).order_by(col(DsrEntry.created_at), col(DsrEntry.id))
    return list(session.exec(query).all())


def follow_merge(session: Session, event: ChildMerged, now: datetime) -> bool:
    """Every entry of the merged child moves to the survivor (only child_id changes). False when the
    merged child has no entry (or a redelivery finds them moved already)."""
    moved = _entries(session, event.merged_id)
    if not moved:
        return False
    staying_open = [e for e in _entries(session, event.survivor_id) if e.status in OPEN]
    both_open = bool(staying_open) and any(e.status in OPEN for e in moved)
    detail = {"merge_id": str(event.merge_id), "from_child": str(event.merged_id), "to_child": str(event.survivor_id)}
    for entry in moved:
        entry.child_id = event.survivor_id
        session.add(entry)
        add_to_timeline(session, entry, event.occurred_at, MERGED,
                        domain.merged_summary(both_open=both_open and entry.status in OPEN), **detail)
    if both_open:
        for entry in staying_open:
            add_to_timeline(session, entry, event.occurred_at, OTHER_MERGED_IN, domain.OTHER_MERGED_IN_SUMMARY,
                            merge_id=str(event.merge_id), moved_entries=[str(e.id) for e in moved if e.status in OPEN])
    return True


def follow_unmerge(session: Session, event: ChildUnmerged, now: datetime) -> bool:
    """Exactly the entries this merge moved (their "merged" line names it) go back to the child they came
    from, each with a "merge undone" line; an entry that stayed open beside them is told too. False when
    none is still on the survivor (the merge moved none, or a redelivery finds them back already)."""
    merge_id = str(event.merge_id)
    on_survivor = {e.id: e for e in _entries(session, event.survivor_id)}
    if not on_survivor:
        return False
    lines = session.exec(select(DsrTimelineItem).where(
        col(DsrTimelineItem.entry_id).in_(list(on_survivor)),
        col(DsrTimelineItem.kind).in_([MERGED, OTHER_MERGED_IN])).order_by(col(DsrTimelineItem.id))).all()
    ours = [line for line in lines if line.detail.get("merge_id") == merge_id]
    back = {line.entry_id: uuid.UUID(line.detail["from_child"]) for line in ours if line.kind == MERGED}
    if not back:
        return False
    for entry_id, child_id in back.items():
        entry = on_survivor[entry_id]
        entry.child_id = child_id
        session.add(entry)
        add_to_timeline(session, entry, event.occurred_at, MERGE_UNDONE, domain.MERGE_UNDONE_SUMMARY, merge_id=merge_id,
                        from_child=str(event.survivor_id), to_child=str(child_id))
    for line in ours:
        if line.kind == OTHER_MERGED_IN and line.entry_id not in back:
            add_to_timeline(session, on_survivor[line.entry_id], event.occurred_at, MERGE_UNDONE,
                            domain.OTHER_MERGE_UNDONE_SUMMARY, merge_id=merge_id)
    return True

"""Duplicate children, the use cases: a person's decision on a pair intake flagged as possibly one child.
"Same child" moves every referral, request, timeline item and front-door decision of the merged child to
the survivor and keeps exactly what moved (`links`), so an undo puts it all back. "Different children"
records the pair: identity matching never flags it again. They run in the caller's transaction and write their
own audit rows (one per child); the pure parts are in `domain`, the review list in `views`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from schemas import TOPIC_CHILDREN, ChildMerged, ChildUnmerged
from schemas.lifecycle import RequestStatus, Waiting, safeguarding_pending
from services.common.auth import Principal
from services.common.errors import ConflictError, NotFoundError
from services.common.ids import derived_id
from services.common.outbox import enqueue
from services.common.transactions import Subject, audit
from services.intake import tables
from services.intake.children.domain import (
    UNDO_REFUSALS,
    Pair,
    check_merge,
    pair,
    restored,
    settle,
    survivor_of,
    undo_state,
    without,
)
from services.intake.children.identity import Resolution
from services.intake.tables import Child, ChildMerge, DistinctChildren, ReferralRecord
from services.policy.ruleset.in_force import in_force

# The tables whose rows follow a child, by the name a merge's `links` gives each, with their id's type.
LINKED: dict[str, tuple[Any, Any]] = {
    "referrals": (ReferralRecord, uuid.UUID), "service_requests": (tables.ServiceRequestRecord, uuid.UUID),
    "child_timeline": (tables.TimelineItem, int), "front_door_decisions": (tables.FrontDoorDecision, uuid.UUID),
}


class ChildNotFoundError(NotFoundError):
    message = "No such child record"


# --- what the store says about merges and decisions -------------------------------------------------

def merged_into(session: Session) -> dict[uuid.UUID, uuid.UUID]:
    """merged child id -> survivor id, for every merge not undone."""
    merges = session.exec(select(ChildMerge).where(col(ChildMerge.undone_at).is_(None))).all()
    return {m.merged_id: m.survivor_id for m in merges}


def distinct_pairs(session: Session, child_ids: Iterable[uuid.UUID]) -> set[Pair]:
    ids = list(set(child_ids))
    if not ids:
        return set()
    rows = session.exec(select(DistinctChildren).where(
        or_(col(DistinctChildren.child_a).in_(ids), col(DistinctChildren.child_b).in_(ids)))).all()
    return {(r.child_a, r.child_b) for r in rows}


def settled(session: Session, resolution: Resolution) -> Resolution:
    """For identity matching (handlers.submit): the resolution with merges and "different" decisions applied."""
    if resolution.child_id is None and not resolution.possible_duplicates:
        return resolution
    merges = merged_into(session)
    known = [] if resolution.child_id is None else [resolution.child_id, survivor_of(resolution.child_id, merges)]
    return settle(resolution, merges, distinct_pairs(session, known))


# --- use cases --------------------------------------------------------------------------------------

def merge(session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID, *, reason: str, by: Principal,
          now: datetime) -> ChildMerge:
    """"Same child": move everything of `merged_id` to `survivor_id` and keep exactly what moved."""
    survivor, merged = _child(session, survivor_id), _child(session, merged_id)
    merges = merged_into(session)
    check_merge(survivor_id, merged_id, merges)
    links: dict[str, Any] = {}
    for name, (table, _) in LINKED.items():
        rows = session.exec(select(table).where(table.child_id == merged_id).order_by(col(table.id))).all()
        links[name] = [r.id if isinstance(r.id, int) else str(r.id) for r in rows]
        for row in rows:
            row.child_id = survivor_id
            session.add(row)
    links["nhs_number_moved"] = merged.nhs_number is not None and survivor.nhs_number is None
    if links["nhs_number_moved"]:
        _move_nhs_number(session, merged, survivor)
    merges[merged_id] = survivor_id
    links["flags_cleared"] = _clear_flags(session, [survivor_id], {survivor_id, merged_id}, merges)
    links["held"] = [str(r.id) for r in _hold_for_mash(session, survivor_id)]
    record = ChildMerge(id=uuid.uuid4(), survivor_id=survivor_id, merged_id=merged_id, by=by.subject,
                        by_name=by.name, reason=reason, at=now, links=links)
    session.add(record)
    enqueue(session, ChildMerged(event_id=derived_id(record.id, "child.merged"), occurred_at=now, **_moved(record),
                                 held_request_ids=links["held"]),
            topic=TOPIC_CHILDREN, key=str(merged_id))
    _audit(session, by, "front_door.merge", record)
    return record


def undo(session: Session, merge_id: uuid.UUID, *, by: Principal, now: datetime) -> ChildMerge:
    """Put back exactly what a merge moved, and the possible-duplicate flags it cleared."""
    record = session.get(ChildMerge, merge_id)
    if record is None:
        raise NotFoundError("No such merge")
    state = undo_state(undone_at=record.undone_at, undone_by_name=record.undone_by_name,
                       survivor_merged_into="another" if record.survivor_id in merged_into(session) else None)
    if state.blocked is not None:
        raise ConflictError(UNDO_REFUSALS[state.blocked])
    for name, (table, id_type) in LINKED.items():
        ids = [id_type(i) for i in record.links.get(name, [])]
        for row in session.exec(select(table).where(col(table.id).in_(ids))).all() if ids else []:
            row.child_id = record.merged_id
            session.add(row)
    if record.links.get("nhs_number_moved"):
        _move_nhs_number(session, _child(session, record.survivor_id), _child(session, record.merged_id))
    for referral_id, flags in record.links.get("flags_cleared", {}).items():
        referral = session.get(ReferralRecord, uuid.UUID(referral_id))
        if referral is not None:
            referral.possible_duplicates = restored(flags["before"], flags["cleared"], referral.possible_duplicates)
            session.add(referral)
    released = _release_merge_holds(session, record)
    record.undone_at, record.undone_by, record.undone_by_name = now, by.subject, by.name
    session.add(record)
    enqueue(session, ChildUnmerged(event_id=derived_id(record.id, "child.unmerged"), occurred_at=now,
                                   **_moved(record), released_request_ids=released),
            topic=TOPIC_CHILDREN, key=str(record.merged_id))
    _audit(session, by, "front_door.unmerge", record)
    return record


def different(session: Session, child_a: uuid.UUID, child_b: uuid.UUID, *, reason: str | None, by: Principal,
              now: datetime) -> DistinctChildren:
    """"Different children": the pair is recorded (asked twice, the first answer stands) and its flags cleared."""
    a, b = pair(child_a, child_b)
    if a == b:
        raise ConflictError("A child record is always the same child as itself")
    _child(session, a) and _child(session, b)  # both exist (or 404)
    merges = merged_into(session)
    if {a, b} & set(merges):
        raise ConflictError("One of these child records was already merged into another")
    existing = session.get(DistinctChildren, (a, b))
    if existing is not None:
        return existing
    _clear_flags(session, [a], {b}, merges)
    _clear_flags(session, [b], {a}, merges)
    record = DistinctChildren(child_a=a, child_b=b, by=by.subject, by_name=by.name, reason=reason, at=now)
    session.add(record)
    for child_id in (a, b):
        audit(session, by, "front_door.different", Subject(child_id=child_id))
    return record


def _child(session: Session, child_id: uuid.UUID) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise ChildNotFoundError
    return child


def _move_nhs_number(session: Session, source: Child, target: Child) -> None:
    """The number moves in two steps: it is unique, and one UPDATE cannot be ordered before the other."""
    number, source.nhs_number = source.nhs_number, None
    session.add(source)
    session.flush()
    target.nhs_number = number
    session.add(target)
    session.flush()


def _clear_flags(session: Session, on: list[uuid.UUID], drop: set[uuid.UUID],
                 merges: Mapping[uuid.UUID, uuid.UUID]) -> dict[str, dict[str, list[str]]]:
    """Remove `drop` from the flags of the referrals of `on`; per referral, its flags before and those cleared."""
    changed: dict[str, dict[str, list[str]]] = {}
    referrals = session.exec(select(ReferralRecord).where(
        col(ReferralRecord.child_id).in_(on), cast(ReferralRecord.possible_duplicates, Text) != "[]")).all()
    for referral in referrals:
        before = referral.possible_duplicates
        kept = without(before, drop, merges)
        if kept != before:
            changed[str(referral.id)] = {"before": before, "cleared": [f for f in before if f not in kept]}
            referral.possible_duplicates = kept
            session.add(referral)
    return changed


def _requests_of_child(session: Session, child_id: uuid.UUID) -> list[tables.ServiceRequestRecord]:
    return list(session.exec(select(tables.ServiceRequestRecord)
                             .where(tables.ServiceRequestRecord.child_id == child_id)).all())


def waiting(requests: Iterable[tables.ServiceRequestRecord]) -> list[Waiting]:
    """A child's requests as `safeguarding_pending` reads them, with the hold rule of the ruleset in force."""
    policy = in_force()
    return [Waiting(r.referral_id, r.service, r.status, r.held, policy.holds(r.service, r.priority)) for r in requests]


def _hold_for_mash(session: Session, child_id: uuid.UUID) -> list[tables.ServiceRequestRecord]:
    """After a merge: while MASH has yet to decide about the child, every request of it that no service has
    taken on yet waits for MASH as triage would have held it, had it known the records were one child."""
    requests = _requests_of_child(session, child_id)
    if not safeguarding_pending(waiting(requests)):
        return []
    policy = in_force()
    held = [r for r in requests
            if r.status == RequestStatus.created and not r.held and policy.holds(r.service, r.priority)]
    for request in held:
        request.held = True
        session.add(request)
    return held


def _release_merge_holds(session: Session, record: ChildMerge) -> list[str]:
    """After the undo (rows already back): the requests the merge held that still wait, on a child of their own
    with nothing for MASH to decide, wait no longer; MASH's own decisions since then stand."""
    ids = {uuid.UUID(i) for i in record.links.get("held", [])}
    released = []
    for child_id in (record.survivor_id, record.merged_id):
        requests = _requests_of_child(session, child_id)
        if safeguarding_pending(waiting(r for r in requests if r.id not in ids)):
            continue
        for request in requests:
            if request.id in ids and request.held and request.status == RequestStatus.created:
                request.held = False
                session.add(request)
                released.append(str(request.id))
    return sorted(released)


def _moved(record: ChildMerge) -> dict[str, Any]:
    return {"merge_id": record.id, "survivor_id": record.survivor_id, "merged_id": record.merged_id,
            "referral_ids": record.links["referrals"], "service_request_ids": record.links["service_requests"]}


def _audit(session: Session, by: Principal, action: str, record: ChildMerge) -> None:
    for child_id in (record.survivor_id, record.merged_id):
        audit(session, by, action, Subject(child_id=child_id, record_id=record.id))

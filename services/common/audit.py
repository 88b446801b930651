"""The access audit's core: append a row to the hash chain, check the chain, and answer "who saw this child".

Every row carries `prev_hash` (the hash of the row before it) and `hash` = sha256 over a canonical
encoding of the row, its child ids and `prev_hash`. Writers serialise on the chain: on PostgreSQL a
transaction-level advisory lock, on SQLite the database's write lock, each held until the writer's
transaction ends; row ids are given in chain order (the head's id + 1), so a deleted row also leaves a
gap. The HTTP side (which rows are written, and when) is `transactions.py`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Uuid, column, inspect, table
from sqlmodel import Session, col, select

from services.common.db import hold_lock
from services.common.tables import AuditChild, AuditEntry, utcnow

GENESIS = "0" * 64  # the prev_hash of the first row
CHAIN_LOCK = 0x66726F6E74646F6F  # pg_advisory_xact_lock key ("frontdoo")
ENCODING_VERSION = 1

ALLOWED, REFUSED, NOT_FOUND, FAILED = "allowed", "refused", "not_found", "failed"


def outcome_of(status: int | None) -> str:
    """allowed (2xx/3xx), not_found (404), refused (any other 4xx: 401, 403, 409, 422...), failed (else)."""
    if status is None or status >= 500:
        return FAILED
    if status == 404:
        return NOT_FOUND
    return REFUSED if status >= 400 else ALLOWED


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def canonical(row: AuditEntry, child_ids: Iterable[uuid.UUID]) -> bytes:
    """The row as hashed: sorted-key JSON of every column but the hashes, child ids sorted."""
    fields = {
        "v": ENCODING_VERSION, "id": row.id, "at": _iso(row.at), "actor": row.actor, "role": row.role,
        "action": row.action, "outcome": row.outcome, "status": row.status, "client": row.client_address,
        "referral_id": _id(row.referral_id), "child_id": _id(row.child_id), "record_id": _id(row.record_id),
        "child_ids": sorted(str(c) for c in set(child_ids)),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(row: AuditEntry, child_ids: Iterable[uuid.UUID], prev_hash: str) -> str:
    return hashlib.sha256(canonical(row, child_ids) + b"\n" + prev_hash.encode()).hexdigest()


def lock_chain(session: Session) -> None:
    """Hold the chain until this transaction ends, so the head read next stays the head."""
    hold_lock(session, CHAIN_LOCK, sqlite_table="audit_log_children")


def append(session: Session, *, actor: str, role: str, action: str, outcome: str, status: int | None = None,
           client: str | None = None, referral_id: uuid.UUID | None = None, child_id: uuid.UUID | None = None,
           record_id: uuid.UUID | None = None, child_ids: Iterable[uuid.UUID] = ()) -> AuditEntry:
    """Append one row to the chain in the caller's transaction (flushed, not committed)."""
    return append_many(session, [dict(actor=actor, role=role, action=action, outcome=outcome, status=status,
                                      client=client, referral_id=referral_id, child_id=child_id,
                                      record_id=record_id, child_ids=child_ids)])[0]


def append_many(session: Session, entries: Sequence[dict[str, Any]]) -> list[AuditEntry]:
    """Append rows (each as `append`'s keywords) to the chain in the caller's transaction: one lock, one read of
    the head, one flush (a bulk import's thousands of rows hold the chain for milliseconds, not the import)."""
    lock_chain(session)
    head = session.exec(select(AuditEntry.id, AuditEntry.hash).order_by(col(AuditEntry.id).desc()).limit(1)).first()
    after, prev_hash = ((head[0] or 0), head[1]) if head else (0, GENESIS)
    rows: list[AuditEntry] = []
    children: list[AuditChild] = []
    for entry in entries:
        after += 1
        shown = sorted(set(entry.get("child_ids") or ()), key=str)
        client = entry.get("client")
        row = AuditEntry(id=after, at=utcnow(), actor=str(entry["actor"])[:200], role=str(entry["role"])[:100],
                         action=str(entry["action"])[:200], outcome=entry["outcome"], status=entry.get("status"),
                         client_address=(client or "")[:100] or None, referral_id=entry.get("referral_id"),
                         child_id=entry.get("child_id"), record_id=entry.get("record_id"), prev_hash=prev_hash,
                         hash="")
        row.hash = prev_hash = chain_hash(row, shown, row.prev_hash)
        rows.append(row)
        children += [AuditChild(audit_id=after, child_id=c) for c in shown]
    session.add_all(rows)
    session.flush()
    if children:
        session.add_all(children)
        session.flush()
    return rows


# --- verify ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verified:
    rows: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _batches(session: Session, size: int, after: int = 0) -> Iterator[tuple[Sequence[AuditEntry],
                                                                         dict[int, list[uuid.UUID]]]]:
    while True:
        rows = session.exec(select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id))
                            .limit(size)).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        children: dict[int, list[uuid.UUID]] = {}
        for audit_id, child in session.exec(select(AuditChild.audit_id, AuditChild.child_id)
                                            .where(col(AuditChild.audit_id).in_(ids))).all():
            children.setdefault(audit_id, []).append(child)
        yield rows, children
        after = rows[-1].id or after


def head(session: Session) -> AuditEntry | None:
    """The chain's last row (None while the audit is empty)."""
    return session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1)).first()


def verify(session: Session, *, batch: int = 2000, start: tuple[int, str] | None = None) -> Verified:
    """Walk the chain in id order: each row must link to the row before it and hash to its stored hash.
    The first row that does not is named (a row deleted before it, or it or its child ids edited).
    `start` (id, hash): walk only the rows after that row, which must still be there with that hash."""
    prev_id: int | None = None
    prev_hash, count = GENESIS, 0
    if start is not None:
        prev_id, prev_hash = start
        there = session.exec(select(AuditEntry.hash).where(AuditEntry.id == prev_id)).first()
        if there != prev_hash:
            return Verified(0, prev_id, prev_hash, prev_id, "it is missing" if there is None else
                            "its hash is not the one it had: it or a row before it was changed")
    for rows, children in _batches(session, batch, prev_id or 0):
        for row in rows:
            assert row.id is not None
            if row.prev_hash != prev_hash:
                gap = f" (ids {prev_id} to {row.id}: row(s) missing)" if prev_id is not None and row.id != prev_id + 1 \
                    else ""
                return Verified(count, prev_id, prev_hash, row.id,
                                f"its link to the row before it is broken: a row before it was deleted or changed{gap}")
            if chain_hash(row, children.get(row.id, ()), row.prev_hash) != row.hash:
                return Verified(count, prev_id, prev_hash, row.id, "its content or child ids were changed")
            prev_id, prev_hash, count = row.id, row.hash, count + 1
    return Verified(count, prev_id, prev_hash)


# --- who saw this child ----------------------------------------------------------------------------

# Tables whose rows name a child: an audit row about one of their ids is about that child.
RECORDS_OF_A_CHILD = {"referrals": "referral", "service_requests": "service request",
                      "worklist_items": "service request", "dsr_entries": "register entry",
                      "front_door_decisions": "front-door decision"}


def who_saw(session: Session, child_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every audit row about this child, oldest first: rows naming it, list reads that showed it, and
    rows about one of its referrals, service requests or register entries (refused attempts included)."""
    present = set(inspect(session.get_bind()).get_table_names())
    records = [select(column("id", Uuid())).select_from(table(name)).where(column("child_id", Uuid()) == child_id)
               for name in RECORDS_OF_A_CHILD if name in present]
    found = set(session.exec(select(AuditEntry.id).where(AuditEntry.child_id == child_id)).all())
    found |= (in_lists := set(session.exec(select(AuditChild.audit_id).where(AuditChild.child_id == child_id)).all()))
    ids_of_records = [i for query in records for i in session.execute(query).scalars()]
    for chunk in _chunks(ids_of_records):  # each an indexed lookup of its own (an OR of them may use no index)
        found |= set(session.exec(select(AuditEntry.id).where(col(AuditEntry.referral_id).in_(chunk))).all())
        found |= set(session.exec(select(AuditEntry.id).where(col(AuditEntry.record_id).in_(chunk))).all())
    rows = [r for chunk in _chunks(sorted(i for i in found if i is not None))
            for r in session.exec(select(AuditEntry).where(col(AuditEntry.id).in_(chunk))).all()]
    return [_seen(r, child_id, r.id in in_lists) for r in sorted(rows, key=lambda r: r.id or 0)]


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _seen(row: AuditEntry, child_id: uuid.UUID, in_list: bool) -> dict[str, Any]:
    how = "named" if row.child_id == child_id else "in a list" if in_list else "through a record of the child"
    return {"audit_id": row.id, "at": _iso(row.at), "actor": row.actor, "role": row.role, "action": row.action,
            "outcome": row.outcome, "status": row.status, "client_address": row.client_address, "how": how,
            "referral_id": _id(row.referral_id), "record_id": _id(row.record_id)}

"""Duplicate children as the front door reviews them: every flagged pair not yet decided, each child with its
details as last referred and what a person needs to decide (school, postcode district, referrers, concerns,
referrals, requests with their state); and the merge history: every merge with who, why, when and whether it can
still be undone (and why not). Audited per child shown."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, cast
from sqlmodel import Session, col, select

from schemas.views import shown
from schemas.views.children import FlaggedPair, MergeHistoryItem
from services.common.auth import Principal
from services.common.transactions import Subject, audit
from services.intake.children.domain import Pair, matched_words, pair, survivor_of, undo_state
from services.intake.children.handlers import distinct_pairs, merged_into
from services.intake.children.identity import Identity
from services.intake.tables import Child, ChildMerge, ReferralRecord, ServiceRequestRecord

SOMEONE = "a member of the front-door team"  # who did it, when the record has no name
UNKNOWN = "Name not known"


def flagged_pairs(session: Session, by: Principal) -> list[dict[str, Any]]:
    """Every flagged pair not yet decided (each child as its survivor), oldest flag first, with each
    child's details as last referred and referrals, and what matched in words. Audited per child shown."""
    merges = merged_into(session)
    flagged: dict[Pair, list[ReferralRecord]] = {}
    for referral in session.exec(select(ReferralRecord).where(cast(ReferralRecord.possible_duplicates, Text) != "[]")
                                 .order_by(col(ReferralRecord.submitted_at))).all():
        for other in referral.possible_duplicates:
            a, b = survivor_of(referral.child_id, merges), survivor_of(uuid.UUID(other), merges)
            if a != b:
                flagged.setdefault(pair(a, b), []).append(referral)
    if not flagged:
        return []
    ids = list({c for p in flagged for c in p})
    decided = distinct_pairs(session, ids)
    known = {c.id: Identity(c.given_key, c.family_key, c.date_of_birth, c.postcode_key, c.nhs_number)
             for c in session.exec(select(Child).where(col(Child.id).in_(ids))).all()}
    referrals: dict[uuid.UUID, list[ReferralRecord]] = {}
    for referral in session.exec(select(ReferralRecord).where(col(ReferralRecord.child_id).in_(ids))
                                 .order_by(col(ReferralRecord.submitted_at))).all():
        referrals.setdefault(referral.child_id, []).append(referral)
    requests: dict[uuid.UUID, list[ServiceRequestRecord]] = {}
    for request in session.exec(select(ServiceRequestRecord).where(col(ServiceRequestRecord.child_id).in_(ids))
                                .order_by(col(ServiceRequestRecord.due_by))).all():
        requests.setdefault(request.child_id, []).append(request)
    pairs = []
    for (a, b), by_referrals in flagged.items():
        if (a, b) in decided or a not in known or b not in known:
            continue
        pairs.append(shown(FlaggedPair, {"child_a": _shown(a, known[a], referrals.get(a, []), requests.get(a, [])),
                                         "child_b": _shown(b, known[b], referrals.get(b, []), requests.get(b, [])),
                                         "matched": matched_words(known[a], known[b]),
                                         "flagged_by": sorted({str(r.id) for r in by_referrals}),
                                         "flagged_at": by_referrals[0].submitted_at.isoformat()}))
        for child_id in (a, b):
            audit(session, by, "front_door.duplicates", Subject(child_id=child_id))
    return pairs


def _shown(child_id: uuid.UUID, identity: Identity, referrals: list[ReferralRecord],
           requests: list[ServiceRequestRecord]) -> dict[str, Any]:
    latest = referrals[-1].referral.get("child", {}) if referrals else {}
    details = {k: latest.get(k) for k in ("given_name", "family_name", "date_of_birth", "postcode")}
    referrers: list[dict[str, Any]] = []
    for r in referrals:
        who = r.referral.get("referrer") or {}
        named = {"name": who.get("name"), "role": who.get("role"), "organisation": who.get("organisation")}
        if named["name"] and named not in referrers:
            referrers.append(named)
    return {"child_id": str(child_id), "nhs_number": identity.nhs_number, **details,
            "postcode_district": postcode_district(details["postcode"]),
            "school": (latest.get("education_setting") or {}).get("name"), "referrers": referrers,
            "concerns": list(dict.fromkeys(c for r in referrals for c in r.referral.get("concerns", ()))),
            "referrals": [{"referral_id": str(r.id), "submitted_at": r.submitted_at.isoformat(), "status": r.status,
                           "outcome": r.outcome} for r in referrals],
            "requests": [{"service": r.service, "pathway": r.pathway, "status": r.status, "held": r.held}
                         for r in requests]}


def postcode_district(postcode: str | None) -> str | None:
    """A postcode's outward code ("SS2 6HX" -> "SS2"): where a child lives, no closer than a district."""
    if not postcode:
        return None
    compact = "".join(postcode.split()).upper()
    return compact[:-3] or None


# --- the merge history ------------------------------------------------------------------------------

def merge_history(session: Session, by: Principal) -> list[dict[str, Any]]:
    """Every merge, newest first, named as people know each record; audited per child shown."""
    merges = list(session.exec(select(ChildMerge).order_by(col(ChildMerge.at).desc())).all())
    return _history(session, merges, merges, by)


def merge_record(session: Session, merge_id: uuid.UUID | str, by: Principal) -> dict[str, Any] | None:
    """One merge as the history shows it (for its undo's confirmation), or None."""
    record = session.get(ChildMerge, uuid.UUID(str(merge_id)))
    if record is None:
        return None
    every = list(session.exec(select(ChildMerge)).all())
    [item] = _history(session, [record], every, by)
    return item


def _history(session: Session, shown_merges: list[ChildMerge], every: list[ChildMerge],
             by: Principal) -> list[dict[str, Any]]:
    in_force = {m.merged_id: m.survivor_id for m in every if m.undone_at is None}
    named = _names(session, every)
    items = []
    for m in shown_merges:
        target = in_force.get(m.survivor_id)
        state = undo_state(undone_at=m.undone_at, undone_by_name=m.undone_by_name,
                           survivor_merged_into=named.get(target, (UNKNOWN, None))[0] if target else None)
        items.append(shown(MergeHistoryItem, {
            "merge_id": str(m.id), "at": m.at.isoformat(), "by_name": m.by_name or SOMEONE, "reason": m.reason,
            "survivor": _side(m.survivor_id, named), "merged": _side(m.merged_id, named),
            "moved": {k: len(m.links.get(k, [])) for k in ("referrals", "service_requests")},
            "undone_at": m.undone_at.isoformat() if m.undone_at else None, "undone_by_name": m.undone_by_name,
            "undo": {"possible": state.possible, "why_not": state.why_not}}))
    for child_id in sorted({c for m in shown_merges for c in (m.survivor_id, m.merged_id)}):
        audit(session, by, "front_door.merges", Subject(child_id=child_id))
    return items


def _side(child_id: uuid.UUID, named: dict[uuid.UUID, tuple[str, str | None]]) -> dict[str, Any]:
    name, born = named.get(child_id, (UNKNOWN, None))
    return {"child_id": str(child_id), "name": name, "date_of_birth": born}


def _names(session: Session, merges: list[ChildMerge]) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Each merged record's child as its own referrals name it (name, date of birth): a referral belongs to the
    record it was made about, the first merge that moved it says which; one never moved, to where it is now."""
    origin: dict[str, uuid.UUID] = {}
    for m in sorted(merges, key=lambda m: m.at):
        for referral_id in m.links.get("referrals", []):
            origin.setdefault(str(referral_id), m.merged_id)
    ids = {c for m in merges for c in (m.survivor_id, m.merged_id)}
    wanted = [uuid.UUID(r) for r in origin]
    if not ids:
        return {}
    rows = session.exec(select(ReferralRecord).where(
        col(ReferralRecord.child_id).in_(ids) | col(ReferralRecord.id).in_(wanted))
        .order_by(col(ReferralRecord.submitted_at))).all()
    named: dict[uuid.UUID, tuple[str, str | None]] = {}
    for r in rows:  # oldest first: the latest referral of each record names it
        child = r.referral.get("child") or {}
        name = " ".join(p for p in (child.get("given_name"), child.get("family_name")) if p) or UNKNOWN
        named[origin.get(str(r.id), r.child_id)] = (name, child.get("date_of_birth"))
    return named

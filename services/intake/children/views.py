"""Duplicate children as the front door reviews them: every flagged pair not yet decided, each child with its
details as last referred and its referrals. Audited per child shown."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, cast
from sqlmodel import Session, col, select

from schemas.views import shown
from schemas.views.children import FlaggedPair
from services.common.auth import Principal
from services.common.transactions import Subject, audit
from services.intake.children.domain import Pair, matched_words, pair, survivor_of
from services.intake.children.handlers import distinct_pairs, merged_into
from services.intake.children.identity import Identity
from services.intake.tables import Child, ReferralRecord


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
    pairs = []
    for (a, b), by_referrals in flagged.items():
        if (a, b) in decided or a not in known or b not in known:
            continue
        pairs.append(shown(FlaggedPair, {"child_a": _shown(a, known[a], referrals.get(a, [])),
                                         "child_b": _shown(b, known[b], referrals.get(b, [])),
                                         "matched": matched_words(known[a], known[b]),
                                         "flagged_by": sorted({str(r.id) for r in by_referrals}),
                                         "flagged_at": by_referrals[0].submitted_at.isoformat()}))
        for child_id in (a, b):
            audit(session, by, "front_door.duplicates", Subject(child_id=child_id))
    return pairs


def _shown(child_id: uuid.UUID, identity: Identity, referrals: list[ReferralRecord]) -> dict[str, Any]:
    latest = referrals[-1].referral.get("child", {}) if referrals else {}
    details = {k: latest.get(k) for k in ("given_name", "family_name", "date_of_birth", "postcode")}
    return {"child_id": str(child_id), "nhs_number": identity.nhs_number, **details,
            "referrals": [{"referral_id": str(r.id), "submitted_at": r.submitted_at.isoformat(), "status": r.status,
                           "outcome": r.outcome} for r in referrals]}

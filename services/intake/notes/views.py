"""The front door's notes on a referral, and on every referral about one child (for the child's page), newest first."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, select

from services.common import notes
from services.intake.notes.handlers import referral_of
from services.intake.tables import ReferralNote, ReferralRecord


def referral_notes(session: Session, referral_id: uuid.UUID) -> list[dict[str, Any]]:
    return notes.listed(session, ReferralNote, "referral_id", [referral_of(session, referral_id).id])


def child_notes(session: Session, child_id: uuid.UUID) -> list[dict[str, Any]]:
    """The notes on the child's referrals (a merge moved the merged record's referrals, so their notes follow)."""
    referrals = session.exec(select(ReferralRecord.id).where(ReferralRecord.child_id == child_id)).all()
    return notes.listed(session, ReferralNote, "referral_id", referrals)

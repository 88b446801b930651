"""Intake's safety net: a referral whose event went out long ago and still has no decision is sent to
triage again (the same event, so it is decided once in effect). It should find nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from services.common.tables import OutboxMessage
from services.intake.referrals.domain import ReferralStatus
from services.intake.tables import ReferralRecord


def redrive_undecided(session: Session, *, now: datetime, after: timedelta, limit: int = 100) -> list[uuid.UUID]:
    """Referrals whose event was published more than `after` ago and still have no decision: put
    that same event back in the outbox (the same id, so triage decides it once in effect and every
    consumer deduplicates). A safety net that should find nothing: a referral about a child must
    not wait silently because a message went missing anywhere between the outbox and the
    decision. Returns the referral ids sent again."""
    stale = session.exec(
        select(OutboxMessage, ReferralRecord.id)
        .join(ReferralRecord, col(ReferralRecord.event_id) == col(OutboxMessage.id))
        .where(ReferralRecord.status == ReferralStatus.submitted, col(OutboxMessage.published_at) < now - after)
        .order_by(col(OutboxMessage.published_at))
        .limit(limit)
    ).all()
    for row, _ in stale:
        row.published_at, row.claimed_by, row.claimed_until = None, None, None
        session.add(row)
    return [referral_id for _, referral_id in stale]

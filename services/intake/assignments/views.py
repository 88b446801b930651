"""Who holds a referral on the front door's queue, as the team reads it (reads only: the caller writes the audit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from schemas.lifecycle import FRONT_DOOR_TEAM
from schemas.views import shown
from schemas.views.assignments import Colleague, Holding
from services.common import teams
from services.intake.front_door.domain import NoSuchReferralError
from services.intake.tables import ReferralRecord


def holding(session: Session, referral_id: uuid.UUID, *, caller: str, now: datetime) -> dict[str, Any]:
    record = session.get(ReferralRecord, referral_id)
    if record is None:
        raise NoSuchReferralError
    return shown(Holding, teams.holding(session, record, team=FRONT_DOOR_TEAM, caller=caller, now=now))


def colleagues(session: Session, *, caller: str, now: datetime) -> list[dict[str, Any]]:
    return [shown(Colleague, c) for c in teams.colleagues(session, FRONT_DOOR_TEAM, now) if c["subject"] != caller]

"""Who in a service holds one of its requests, as its workers read it (reads only: the caller writes the audit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from schemas.views import shown
from schemas.views.assignments import Colleague, Holding
from services.common import teams
from services.worklists.handlers import item_of


def holding(session: Session, service: str, request_id: uuid.UUID, *, caller: str, now: datetime) -> dict[str, Any]:
    item = item_of(session, service, request_id)
    return shown(Holding, teams.holding(session, item, team=service, caller=caller, now=now))


def colleagues(session: Session, service: str, *, caller: str, now: datetime) -> list[dict[str, Any]]:
    return [shown(Colleague, c) for c in teams.colleagues(session, service, now) if c["subject"] != caller]

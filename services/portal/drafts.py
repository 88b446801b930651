"""Referral drafts, saved on every page so a timeout never loses work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from services.common.tables import Timestamp, utcnow


class Draft(SQLModel, table=True):
    __tablename__ = "portal_drafts"
    owner: str = Field(primary_key=True, max_length=200)
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Timestamp()


def load(session: Session, owner: str) -> dict[str, Any]:
    draft = session.get(Draft, owner)
    return dict(draft.answers) if draft else {}


def draft_id(session: Session, owner: str) -> str:
    draft = session.get(Draft, owner)
    return str(draft.id) if draft else str(uuid.uuid4())


def save(session: Session, owner: str, answers: dict[str, Any]) -> dict[str, Any]:
    draft = session.get(Draft, owner) or Draft(owner=owner)
    draft.answers = {**draft.answers, **answers}
    draft.updated_at = utcnow()
    session.add(draft)
    return dict(draft.answers)


def discard(session: Session, owner: str) -> None:
    draft = session.get(Draft, owner)
    if draft is not None:
        session.delete(draft)

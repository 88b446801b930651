"""What intake stores about advice without a formal referral: each request, and its answer once given."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from services.common.tables import Timestamp


class AdviceRequest(SQLModel, table=True):
    """A referrer's question about a situation (no child's name, date of birth or NHS number), for the front
    door and, when its concerns point to one service, that service's advice list. `question` and `answer`
    are free text: never logged."""

    __tablename__ = "advice_requests"
    id: uuid.UUID = Field(primary_key=True)
    asked_by: str = Field(max_length=200, index=True)  # the referrer's subject
    asked_at: datetime = Timestamp(index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    concerns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    year_group: int | None = None
    age: int
    school: str | None = Field(default=None, max_length=200)  # the education setting's name
    school_urn: str | None = Field(default=None, max_length=6)
    service: str | None = Field(default=None, max_length=30, index=True)  # the advice list it went to, if any
    answer_due: date
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_step: str | None = Field(default=None, max_length=30)  # make_referral | try_strategies | no_referral_needed
    refer_to: str | None = Field(default=None, max_length=30)  # with make_referral: the service suggested
    answered_by: str | None = Field(default=None, max_length=200)
    answered_by_name: str | None = Field(default=None, max_length=200)  # the answerer's display name
    answered_by_team: str | None = Field(default=None, max_length=30)  # their team: a service, or "front_door"
    answered_at: datetime | None = Timestamp(nullable=True)

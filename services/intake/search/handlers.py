"""Finding a child, the write side: a referral's search row, written whenever intake stores the referral's child
details (submitted, or completed with missing information), in the caller's transaction."""

from __future__ import annotations

from sqlmodel import Session

from services.intake.search.domain import row_values
from services.intake.search.tables import ChildSearch
from services.intake.tables import ReferralRecord


def index(session: Session, record: ReferralRecord) -> None:
    """The referral's row as its stored details say now (written, or rewritten)."""
    values = row_values(record.id, record.referral)
    row = session.get(ChildSearch, record.id)
    if row is None:
        session.add(ChildSearch(**values))
        return
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)

"""Find a person on the register (the DSR panel; adults too): by name, date of birth, NHS number or the entry's
reference, over every entry but those whose consent was withdrawn (their details are hidden). The shared ranking
decides (`services.common.search`); each result names its register entry."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from services.common import search
from services.dsr.tables import DsrEntry


def record_of(entry: DsrEntry) -> search.Record:
    return search.Record(
        child_id=str(entry.child_id), given_name=entry.given_name, family_name=entry.family_name,
        date_of_birth=entry.date_of_birth, at=entry.created_at, nhs_number=entry.nhs_number,
        references=(entry.id.hex.upper(),), link=str(entry.id))


def search_register(session: Session, query: search.Query) -> dict[str, Any]:
    if not query.kinds:
        return search.answer(query, [])
    entries = session.exec(select(DsrEntry).where(col(DsrEntry.suppressed).is_(False))).all()
    return search.answer(query, [record_of(e) for e in entries])

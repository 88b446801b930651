"""Finding a child, the read side: pre-select the referrals that may answer a query, then let the shared ranking
(`services.common.search.rank`) decide, over every referral of each child pre-selected, so both databases give
the same answer. Identifiers are exact lookups on indexed columns everywhere. A name: on PostgreSQL, pg_trgm's
similarity operator on three trigram indexes (given name, family name, both), a little below the ranking's
threshold so it finds a superset of what the ranking keeps; on SQLite, the name columns of every row, compared in
Python (an embedded database's size)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Engine, or_, text
from sqlmodel import Session, col, select

from services.common import search
from services.intake.search.domain import record_of
from services.intake.search.tables import ChildSearch
from services.intake.tables import ReferralRecord

MARGIN = 0.01  # PostgreSQL's float4 similarity against ours: pre-select a little more, never less
CHUNK = 500


def search_children(session: Session, query: search.Query, *, limit: int = search.LIMIT) -> dict[str, Any]:
    """The children that answer `query`, best first, each as its latest referral shows it (at most `limit`; `more`
    when there were more)."""
    children = _pre_selected(session, query)
    records = [record_of(row, child_id, at) for row, child_id, at in _rows_of(session, sorted(children))]
    return search.answer(query, records, limit=limit)


def find(session: Session, typed: str) -> dict[str, Any]:
    """`search_children` for a query as typed."""
    return search_children(session, search.parse(typed))


def _pre_selected(session: Session, query: search.Query) -> set[uuid.UUID]:
    exact: list[ColumnElement[bool]] = []
    if query.nhs_number:
        exact.append(col(ChildSearch.nhs_number) == query.nhs_number)
    if query.upn:
        exact.append(col(ChildSearch.upn) == query.upn)
    if query.dates:
        exact.append(col(ChildSearch.date_of_birth).in_(query.dates))
    if query.district:
        exact.append(col(ChildSearch.postcode_district) == query.district)
    if query.reference:
        exact.append(col(ChildSearch.reference) == query.reference[:8])
    if query.name_words and trigram_schema(session) is not None:
        exact.append(_similar_names(session, query))
    found: set[uuid.UUID] = set()
    if exact:
        found |= set(session.exec(select(ReferralRecord.child_id).join(
            ChildSearch, col(ChildSearch.referral_id) == col(ReferralRecord.id)).where(or_(*exact))).all())
    if query.name_words and trigram_schema(session) is None:
        found |= _names_scanned(session, query)
    return found


def _similar_names(session: Session, query: search.Query) -> ColumnElement[bool]:
    """pg_trgm's `%` (similar above the threshold set for this transaction) on each trigram-indexed column."""
    session.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                    {"t": str(search.NAME_THRESHOLD - MARGIN)})
    operator = f"OPERATOR({trigram_schema(session)}.%)"
    return or_(*(col(column).op(operator, is_comparison=True)(variant) for variant in query.name_variants
                 for column in (ChildSearch.names, ChildSearch.given_key, ChildSearch.family_key)))


def _names_scanned(session: Session, query: search.Query) -> set[uuid.UUID]:
    """Without pg_trgm: every row's name keys, compared here."""
    rows = session.exec(select(ReferralRecord.child_id, ChildSearch.given_key, ChildSearch.family_key).join(
        ChildSearch, col(ChildSearch.referral_id) == col(ReferralRecord.id))).all()
    return {child_id for child_id, given, family in rows
            if search.name_similarity(query, given, family) >= search.NAME_THRESHOLD}


def _rows_of(session: Session, children: list[uuid.UUID]) -> Iterator[tuple[ChildSearch, uuid.UUID, Any]]:
    for start in range(0, len(children), CHUNK):
        yield from session.exec(select(ChildSearch, ReferralRecord.child_id, ReferralRecord.submitted_at).join(
            ReferralRecord, col(ReferralRecord.id) == col(ChildSearch.referral_id)).where(
            col(ReferralRecord.child_id).in_(children[start:start + CHUNK]))).all()


def trigram_schema(session: Session) -> str | None:
    """The schema pg_trgm is installed in (None: not PostgreSQL, or no pg_trgm)."""
    bind = session.get_bind()
    return _installed_in(bind.engine)


@lru_cache(maxsize=64)
def _installed_in(bind: Engine) -> str | None:
    if bind.dialect.name != "postgresql":
        return None
    with bind.connect() as conn:
        schema = conn.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                   "WHERE e.extname = 'pg_trgm'")).scalar()
    return f'"{schema}"' if schema else None

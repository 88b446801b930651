"""Finding a child: what each referral can be found by, one row per referral (its child is the referral's, so a
merge and its undo, which move referrals, move their rows with them). Written when a referral is stored or
completed; the rows of referrals stored before it were written by migration 0013."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

TRIGRAM_OPS = "public.gin_trgm_ops"  # pg_trgm lives in the public schema (migration 0013); not in SQLite
KEY_LENGTH = 600  # a 100-character name's key, with letters outside ASCII written in hex (search.ascii_key)


def _trigram_index(column: str) -> Index:
    """A GIN trigram index on PostgreSQL (an ordinary one on SQLite, where nothing uses it)."""
    return Index(f"ix_child_search_{column}_trgm", column, postgresql_using="gin",
                 postgresql_ops={column: TRIGRAM_OPS})


class ChildSearch(SQLModel, table=True):
    __tablename__ = "child_search"
    __table_args__ = (_trigram_index("names"), _trigram_index("given_key"), _trigram_index("family_key"))
    referral_id: uuid.UUID = Field(primary_key=True, foreign_key="referrals.id")
    given_name: str = Field(max_length=100)  # as the referral gives them, to show
    family_name: str = Field(max_length=100)
    given_key: str = Field(max_length=KEY_LENGTH)  # search.ascii_key of each
    family_key: str = Field(max_length=KEY_LENGTH)
    names: str = Field(max_length=2 * KEY_LENGTH + 1)  # search.names_text: "zoe smithjones"
    date_of_birth: date = Field(index=True)
    nhs_number: str | None = Field(default=None, max_length=10, index=True)
    upn: str | None = Field(default=None, max_length=13, index=True)
    postcode: str | None = Field(default=None, max_length=8)
    postcode_district: str | None = Field(default=None, max_length=4, index=True)
    school: str | None = Field(default=None, max_length=200)
    reference: str = Field(max_length=8, index=True)  # search.reference_of the referral, as pages show it

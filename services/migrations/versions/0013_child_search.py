"""finding a child: a searchable index of names and identifiers (issue 23, item 1)

One row per referral (`child_search`): its names as shown and as matching keys, date of birth, NHS number, UPN,
postcode and district, school, and the reference pages show. On PostgreSQL, pg_trgm (created in the public schema
when missing, so dropping any other schema never drops it) and a GIN trigram index on each name column; SQLite
gets ordinary indexes instead. The referrals already stored are indexed here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from services.intake.search.domain import row_values

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

EXTENSION_LOCK = 0x7067747267  # pg_advisory_xact_lock key: two migrations at once create pg_trgm once
NAME_COLUMNS = ('names', 'given_key', 'family_key')
INDEXED = ('date_of_birth', 'nhs_number', 'upn', 'postcode_district', 'reference')
BATCH = 1000


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _trigram_schema(bind: sa.engine.Connection) -> str:
    """pg_trgm's schema: where it is already, else public, where it is created now."""
    bind.execute(sa.text('SELECT pg_advisory_xact_lock(:key)'), {'key': EXTENSION_LOCK})
    found = bind.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_trgm'")).scalar()
    if found is None:
        bind.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public'))
        return 'public'
    return str(found)


def upgrade() -> None:
    op.create_table(
        'child_search',
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('given_name', _text(100), nullable=False),
        sa.Column('family_name', _text(100), nullable=False),
        sa.Column('given_key', _text(600), nullable=False),
        sa.Column('family_key', _text(600), nullable=False),
        sa.Column('names', _text(1201), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=False),
        sa.Column('nhs_number', _text(10), nullable=True),
        sa.Column('upn', _text(13), nullable=True),
        sa.Column('postcode', _text(8), nullable=True),
        sa.Column('postcode_district', _text(4), nullable=True),
        sa.Column('school', _text(200), nullable=True),
        sa.Column('reference', _text(8), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id']),
        sa.PrimaryKeyConstraint('referral_id'),
    )
    with op.batch_alter_table('child_search', schema=None) as batch_op:
        for column in INDEXED:
            batch_op.create_index(batch_op.f(f'ix_child_search_{column}'), [column], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        schema = _trigram_schema(bind)
        for column in NAME_COLUMNS:
            op.execute(f'CREATE INDEX ix_child_search_{column}_trgm ON child_search '
                       f'USING gin ({column} "{schema}".gin_trgm_ops)')
    else:
        for column in NAME_COLUMNS:
            op.create_index(f'ix_child_search_{column}_trgm', 'child_search', [column], unique=False)
    _index_stored_referrals(bind)


def _index_stored_referrals(bind: sa.engine.Connection) -> None:
    referrals = sa.table('referrals', sa.column('id', sa.Uuid()), sa.column('referral', sa.JSON()))
    search = sa.table('child_search', *(sa.column(c) for c in (
        'referral_id', 'given_name', 'family_name', 'given_key', 'family_key', 'names', 'date_of_birth', 'nhs_number',
        'upn', 'postcode', 'postcode_district', 'school', 'reference')))
    search.c.referral_id.type, search.c.date_of_birth.type = sa.Uuid(), sa.Date()
    after = None
    while True:
        query = sa.select(referrals.c.id, referrals.c.referral).order_by(referrals.c.id).limit(BATCH)
        rows = bind.execute(query if after is None else query.where(referrals.c.id > after)).all()
        if not rows:
            return
        values = [row_values(r.id, r.referral if isinstance(r.referral, dict) else json.loads(r.referral))
                  for r in rows]
        bind.execute(search.insert(), values)
        after = rows[-1].id


def downgrade() -> None:
    for column in NAME_COLUMNS:
        op.drop_index(f'ix_child_search_{column}_trgm', table_name='child_search')
    with op.batch_alter_table('child_search', schema=None) as batch_op:
        for column in reversed(INDEXED):
            batch_op.drop_index(batch_op.f(f'ix_child_search_{column}'))
    op.drop_table('child_search')  # pg_trgm stays: other schemas on the server may use it

"""case notes on queue items, service requests and register entries (issue 23, item 4)

Each service keeps the notes on its own things, never changed or deleted: intake's on a referral (the front door's),
the worklists' on a service request (its service's), the register's on an entry (the DSR panel's). One note per
writer and form key (a double submit adds no second note).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOTES = {  # table -> (the column naming the thing a note is on, the table of that thing)
    'referral_notes': ('referral_id', 'referrals'),
    'service_request_notes': ('service_request_id', 'worklist_items'),
    'dsr_notes': ('entry_id', 'dsr_entries'),
}


def upgrade() -> None:
    for table, (column, thing) in NOTES.items():
        op.create_table(table,
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('client_key', sa.Uuid(), nullable=False),
        sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column(column, sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint([column], [f'{thing}.id'], name=f'fk_{table}_{column}'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('by', 'client_key', name=f'uq_{table}_by_client_key')
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_at'), ['at'], unique=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def downgrade() -> None:
    for table, (column, _) in reversed(NOTES.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
            batch_op.drop_index(batch_op.f(f'ix_{table}_at'))
        op.drop_table(table)

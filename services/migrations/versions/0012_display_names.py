"""people, not login ids: the display name of whoever did each thing, stored with it; what a service's outcome
said (signpost, reason, redirect) kept on intake's copy of the request for the referrer's statuses in words

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAMES = {  # table -> its new display-name columns (who did it, as people read it; nullable: older rows have none)
    'child_timeline': ('by_name',),
    'front_door_decisions': ('decided_by_name',),
    'emergency_contacts': ('recorded_by_name',),
    'information_chases': ('by_name',),
    'advice_requests': ('answered_by_name',),
    'worklist_items': ('actor_name',),
    'dsr_rating_history': ('by_name',),
    'dsr_reviews': ('by_name',),
    'child_merges': ('by_name', 'undone_by_name'),
    'distinct_children': ('by_name',),
}


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    for table, columns in NAMES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, _text(200), nullable=True))
    for table in ('child_timeline', 'advice_requests'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('answered_by_team' if table == 'advice_requests' else 'by_team', _text(30),
                                          nullable=True))
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_name', _text(200), nullable=True))
        batch_op.add_column(sa.Column('outcome_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('signpost', _text(500), nullable=True))
        batch_op.add_column(sa.Column('redirect_to', _text(30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        for column in ('redirect_to', 'signpost', 'outcome_reason', 'by_name'):
            batch_op.drop_column(column)
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.drop_column('answered_by_team')
    with op.batch_alter_table('child_timeline', schema=None) as batch_op:
        batch_op.drop_column('by_team')
    for table, columns in NAMES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(column)

"""who holds each piece of work: queue items and service requests picked up, given, released (issue 23, item 3)

The holder on the thing itself (a referral on the front door's queue, a worklist item), every change kept in
work_assignments (the id of the event that announced it), intake's copy of who holds each service request, and the
people of each team as the services learned them from their tokens (whom work can be given to).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

HELD = ('referrals', 'worklist_items')  # the things a person can hold: who, their name, since when


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    for table in HELD:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('assigned_to', _text(200), nullable=True))
            batch_op.add_column(sa.Column('assigned_to_name', _text(200), nullable=True))
            batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_assigned_to'), ['assigned_to'], unique=False)
    op.create_table(
        'work_assignments',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('item_id', sa.Uuid(), nullable=False),
        sa.Column('team', _text(40), nullable=False),
        sa.Column('change', _text(20), nullable=False),
        sa.Column('assigned_to', _text(200), nullable=True),
        sa.Column('assigned_to_name', _text(200), nullable=True),
        sa.Column('previously_assigned_to', _text(200), nullable=True),
        sa.Column('by', _text(200), nullable=False),
        sa.Column('by_name', _text(200), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_work_assignments_item_id'), 'work_assignments', ['item_id'], unique=False)
    op.create_index(op.f('ix_work_assignments_at'), 'work_assignments', ['at'], unique=False)
    op.create_table(
        'service_request_holders',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('service', _text(30), nullable=False),
        sa.Column('assigned_to', _text(200), nullable=True),
        sa.Column('assigned_to_name', _text(200), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_service_request_holders_referral_id'), 'service_request_holders', ['referral_id'],
                    unique=False)
    op.create_table(
        'team_members',
        sa.Column('team', _text(40), nullable=False),
        sa.Column('subject', _text(200), nullable=False),
        sa.Column('name', _text(200), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('team', 'subject'),
    )


def downgrade() -> None:
    op.drop_table('team_members')
    op.drop_index(op.f('ix_service_request_holders_referral_id'), table_name='service_request_holders')
    op.drop_table('service_request_holders')
    op.drop_index(op.f('ix_work_assignments_at'), table_name='work_assignments')
    op.drop_index(op.f('ix_work_assignments_item_id'), table_name='work_assignments')
    op.drop_table('work_assignments')
    for table in reversed(HELD):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_assigned_to'))
            batch_op.drop_column('assigned_at')
            batch_op.drop_column('assigned_to_name')
            batch_op.drop_column('assigned_to')

"""advice without a formal referral: requests, answers, and the referral that came from one

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('advice_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asked_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('concerns', sa.JSON(), nullable=False),
    sa.Column('year_group', sa.Integer(), nullable=True),
    sa.Column('age', sa.Integer(), nullable=False),
    sa.Column('school', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('school_urn', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('answer_due', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('next_step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('refer_to', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advice_requests_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_advice_requests_asked_by'), ['asked_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_advice_requests_service'), ['service'], unique=False)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advice_request_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_advice_request_id'), ['advice_request_id'], unique=False)
        batch_op.create_foreign_key('fk_referrals_advice_request_id', 'advice_requests', ['advice_request_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referrals_advice_request_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referrals_advice_request_id'))
        batch_op.drop_column('advice_request_id')

    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advice_requests_service'))
        batch_op.drop_index(batch_op.f('ix_advice_requests_asked_by'))
        batch_op.drop_index(batch_op.f('ix_advice_requests_asked_at'))

    op.drop_table('advice_requests')

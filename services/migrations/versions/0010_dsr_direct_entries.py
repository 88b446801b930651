"""all-age register: entries added directly (source, diagnoses, risks, consent, referring agency, setting, added by)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('dsr_entries', schema=None) as batch_op:
        # every entry before this revision came from a children's referral
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='triage'))
        batch_op.add_column(sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('referring_agency', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('referrer_contact', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('diagnoses', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('risks', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('current_setting', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_dsr_entries_date_of_birth'), ['date_of_birth'], unique=False)
        batch_op.create_index(batch_op.f('ix_dsr_entries_nhs_number'), ['nhs_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dsr_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dsr_entries_nhs_number'))
        batch_op.drop_index(batch_op.f('ix_dsr_entries_date_of_birth'))
        for column in ('current_setting', 'risks', 'diagnoses', 'reason', 'referrer_contact', 'referring_agency',
                       'added_by', 'source'):
            batch_op.drop_column(column)

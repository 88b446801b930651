"""dead letters discarded with a reason, and dead letters sent again (issue 23, item 10)

dead_letter_discards: an event an administrator discarded (who, when, why); dead_letter_replays: each event a
replay sent again (who, when, which copy; one replay_id per replay), so an event replayed with no failure since
reads as "sent again", not waiting.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'dead_letter_discards',
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('dlq_topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )
    op.create_table(
        'dead_letter_replays',
        sa.Column('replay_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('dlq_topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('sent', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('replay_id', 'event_id'),
    )
    op.create_index(op.f('ix_dead_letter_replays_event_id'), 'dead_letter_replays', ['event_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dead_letter_replays_event_id'), table_name='dead_letter_replays')
    op.drop_table('dead_letter_replays')
    op.drop_table('dead_letter_discards')

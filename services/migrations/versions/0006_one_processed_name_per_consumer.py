"""one processed-events name per consumer: intake's two names become 'intake'

Intake's consumer recorded decisions as 'intake.decisions' and outcomes as 'intake.outcomes'; the
handling kit records every event a consumer applies under one name. Event ids never repeat across
the two kinds, so the rename cannot collide.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("UPDATE processed_events SET consumer = 'intake' WHERE consumer IN ('intake.decisions', 'intake.outcomes')")


def downgrade() -> None:
    # Which of the two each id was is not kept; a downgraded intake re-reads nothing it has applied
    # only if it is given one name: decisions are the larger share, so they keep the old name.
    op.execute("UPDATE processed_events SET consumer = 'intake.decisions' WHERE consumer = 'intake'")

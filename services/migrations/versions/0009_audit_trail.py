"""audit trail: outcome, client address, child ids, hash chain; append-only on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from typing import Sequence, Union



revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

"""portal sessions (server-side)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""
from typing import Sequence, Union



revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

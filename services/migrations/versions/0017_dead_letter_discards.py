"""dead letters discarded with a reason (issue 23, item 10)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from typing import Sequence, Union


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

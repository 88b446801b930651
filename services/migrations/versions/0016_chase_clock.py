"""a chase moves the item's next action date (issue 23, item 5)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
from typing import Sequence, Union


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

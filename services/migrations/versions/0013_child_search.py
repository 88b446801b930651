"""finding a child: a searchable index of names and identifiers (issue 23, item 1)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
from typing import Sequence, Union


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

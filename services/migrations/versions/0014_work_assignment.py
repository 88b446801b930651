"""who holds each piece of work: queue items and service requests picked up, given, released (issue 23, item 3)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""
from typing import Sequence, Union


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

"""case notes on queue items, service requests and register entries (issue 23, item 4)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
from typing import Sequence, Union


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass  # placeholder: filled in by the change that needs it


def downgrade() -> None:
    pass

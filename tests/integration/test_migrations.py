"""Alembic is the only way tables are made: the migrations match the models on the test database."""

from __future__ import annotations

import pytest
from alembic import command

from services.common.db import alembic_config

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(database_url: str) -> None:
    command.check(alembic_config(database_url))  # raises when autogenerate would find a difference


def test_downgrade_and_upgrade_round_trip(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    command.upgrade(alembic_config(url), "head")

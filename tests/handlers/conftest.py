"""The middle tier: use cases and event handlers called directly on a real, migrated SQLite
database, without a broker or HTTP (cosmicpython's test_handlers.py is the model). Alembic runs
once per session; each test gets its own copy of that file, so tests never see each other's rows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth import Principal
from services.common.db import make_engine, migrate

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)  # a Wednesday in term time


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "frontdoor.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "frontdoor.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work the test commits (or not) itself."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def principal(subject: str, *roles: str) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles))

"""Test databases: a migrated PostgreSQL schema of its own per run (dropped afterwards, so runs never see each
other's rows), and two replicas of a periodic job racing on one database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from services.common.db import make_engine, migrate, normalise_url


@contextmanager
def temporary_schema(base: str, *, prefix: str = "frontdoor_test") -> Iterator[str]:
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{normalise_url(base)}{sep}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


POSTGRES = os.environ.get("TEST_DATABASE_URL", "")
# For a module whose tests only mean something on PostgreSQL (locks, triggers, its own query plans).
NEEDS_POSTGRES = pytest.mark.skipif(not POSTGRES.startswith("postgresql"),
                                    reason="needs PostgreSQL (TEST_DATABASE_URL)")


@contextmanager
def postgres_schema(prefix: str) -> Iterator[tuple[str, Engine]]:
    """A migrated schema of its own on TEST_DATABASE_URL's server, its URL and an engine on it (both gone after)."""
    with temporary_schema(POSTGRES, prefix=prefix) as url:
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


async def race_two_replicas(job: Callable[[Engine], int], url: str, *, ticks: int = 3) -> list[int]:
    """Run a periodic job as two replicas would, several ticks each, racing on the same database;
    returns what each replica's ticks reported in all. SQLite may refuse a racing writer: that tick
    is lost and the next goes on (PostgreSQL has no such refusals)."""

    async def replica() -> int:
        total = 0
        for _ in range(ticks):
            try:
                total += await asyncio.to_thread(job, make_engine(url))
            except Exception as exc:
                assert "locked" in str(exc) or "could not serialize" in str(exc), exc
        return total

    return list(await asyncio.gather(replica(), replica()))

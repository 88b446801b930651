"""Shared fixtures: the embedded broker on a free loopback port and a migrated database
(TEST_DATABASE_URL when set, e.g. PostgreSQL in CI; a temporary SQLite file otherwise)."""

from __future__ import annotations

import gc
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from services.common.db import migrate
from services.common.embedded_broker import EmbeddedBroker
from services.common.settings import Settings
from services.topics import all_topics, ensure_topics
from tests.databases import temporary_schema
from tests.idp import oidc, provider_key  # noqa: F401 - fixtures: a stand-in identity provider and its key

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cycle collector does less work in a test run: what importing and collecting made (modules, classes,
    the collected tests) is frozen out of its generations, and it runs after 10,000 new objects rather than 700, a
    full collection after 400 of those rather than 100. Its full collections were ~8 s of CPU in the fast tiers,
    ~2.5 s now, for the same peak memory; objects without cycles are freed at once either way, and pytest still
    collects everything at the end to report what a finaliser raised."""
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


@event.listens_for(Engine, "connect")
def sqlite_without_waiting_for_the_disk(dbapi_connection: Any, _: Any) -> None:
    """The tests' SQLite files are written without waiting for the disk at each commit (PRAGMA synchronous=OFF): a
    commit is then ~0.05 ms instead of ~4 ms on these machines' disks, and the handler tier commits thousands of
    times. The setting changes only what survives a crash of the machine, which no test database outlives: what
    a process reads, and what another process reading the file sees, is the same."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


@pytest.fixture(scope="session")
def broker_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_file = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_file=log_file) as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
async def topics(broker_bootstrap: str) -> dict[str, int]:
    wanted = all_topics(partitions=4)
    await ensure_topics(broker_bootstrap, wanted)
    return wanted


@pytest.fixture(scope="module")
def private_broker() -> Iterator[str]:
    """A broker of a module's own (topics created), for tests that replay or count whole topics."""
    import asyncio

    with EmbeddedBroker() as broker:
        asyncio.run(ensure_topics(broker.bootstrap, all_topics(partitions=4)))
        yield broker.bootstrap


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from migrated_database(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of a module's own, for tests whose data would disturb the shared one."""
    yield from migrated_database(tmp_path_factory)


def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'frontdoor.db'}"
        migrate(url)
        yield url
        return
    with temporary_schema(base) as url:  # a schema of its own per run, dropped afterwards
        yield url


@pytest.fixture(scope="session")
def settings(broker_bootstrap: str, database_url: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=broker_bootstrap,
        database_url=database_url,
        kafka_fast_rebalance=True,
        kafka_group_prefix=f"test-{uuid.uuid4().hex[:6]}",
        outbox_poll_seconds=0.1,
        graceful_timeout_seconds=5.0,
        startup_timeout_seconds=30.0,
        # the integration tests send many refused requests from one address on purpose (every role against every
        # endpoint); the limits themselves are tested in tests/handlers/test_http_security.py
        failed_auth_rate_limit="1000/minute",
    )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


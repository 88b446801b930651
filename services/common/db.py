"""Database engine, sessions, start-up wait and migrations (PostgreSQL in production, SQLite embedded)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from services.common.transient import TRANSIENT_DB_ERRORS

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **kwargs)


def private_file(path: Path) -> None:
    """A local database file readable and writable by its owner only (0600), created so before SQLite
    opens it; SQLite gives its -wal and -shm files the same mode. A file made earlier is tightened."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_CREAT | os.O_RDONLY, 0o600)
    try:
        if os.fstat(descriptor).st_uid == os.getuid():
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    # WAL lets the API read while a consumer writes; several processes share the dev file.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def wait_for_database(engine: Engine, *, timeout: float = 60.0) -> None:
    """Block until `SELECT 1` works, retrying connection errors with backoff (start-up only)."""
    for attempt in Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential_jitter(multiplier=0.2, max=5),
        retry=retry_if_exception_type((*TRANSIENT_DB_ERRORS, DBAPIError)),
        reraise=True,
    ):
        with attempt, engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini")) if (ROOT / "alembic.ini").exists() else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (the only way tables are created)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def hold_lock(session: Session, key: int, *, sqlite_table: str) -> None:
    """Serialise writers on `key` until this transaction ends: on PostgreSQL a transaction-level advisory lock;
    on SQLite a write statement matching nothing in `sqlite_table`, which takes the database's write lock now
    rather than at commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        session.execute(text(f"DELETE FROM {sqlite_table} WHERE 0"))  # noqa: S608  # a table name from code

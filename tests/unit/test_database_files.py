"""Local database files are for the service's own user only (issue 12, item 14)."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from services.common.db import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "frontdoor.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # WAL mode: SQLite makes -wal and -shm next to the file
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        wal = [p for p in path.parent.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert wal
        assert {p.name: mode(p) for p in wal} == {p.name: 0o600 for p in wal}
    assert mode(path) == 0o600
    engine.dispose()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600


def test_memory_databases_make_no_file() -> None:
    make_engine("sqlite://").dispose()
    make_engine("sqlite:///:memory:").dispose()
    assert not Path("sqlite:").exists() and not Path(":memory:").exists()

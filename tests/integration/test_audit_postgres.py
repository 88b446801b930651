"""The access audit on PostgreSQL (issue 12, item 13): the application can only add rows (a trigger refuses UPDATE,
DELETE and TRUNCATE on audit_log and its child ids), a refused use case's row survives its rollback, racing writers
keep one chain (the advisory lock), and `frontdoor audit verify` names the row a superuser tampered with (the only
way past the trigger: the test disables it as the superuser it connects as)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.audit import verify
from services.common.auth import Principal
from services.common.errors import NotFoundError
from services.common.settings import get_settings
from services.common.tables import AuditEntry
from services.common.transactions import Subject, audit, run_audited
from services.dsr.tables import DsrEntry
from tests.databases import NEEDS_POSTGRES, postgres_schema

pytestmark = [pytest.mark.integration, NEEDS_POSTGRES]
WORKER = Principal(subject="worker-1", roles=frozenset({"worker:salt"}))
CHILD = uuid.UUID("7a3f0c4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b")


@pytest.fixture
def database() -> Iterator[tuple[str, Engine]]:
    with postgres_schema("frontdoor_audit") as database:
        yield database


def write(engine: Engine, count: int) -> None:
    for _ in range(count):
        with Session(engine) as s:
            audit(s, WORKER, "worklist.list", Subject(child_ids=(CHILD,)), status=200, client="10.0.0.7")
            s.commit()


def refused(engine: Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as error, engine.begin() as conn:
        conn.execute(text(statement))
    return str(error.value)


def run_cli(url: str, *args: str) -> Any:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_audit_rows_cannot_be_updated_deleted_or_truncated(database: tuple[str, Engine]) -> None:
    _, engine = database
    write(engine, 2)
    for statement in ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 1", "DELETE FROM audit_log WHERE id = 2",
                      "TRUNCATE audit_log CASCADE", "DELETE FROM audit_log_children",
                      "UPDATE audit_log_children SET child_id = gen_random_uuid()", "TRUNCATE audit_log_children"):
        assert "append-only" in refused(engine, statement), statement
    with Session(engine) as s:
        assert [r.actor for r in s.exec(select(AuditEntry)).all()] == ["worker-1", "worker-1"]
        assert verify(s).ok


def test_a_refused_use_case_keeps_its_row_after_the_rollback(database: tuple[str, Engine]) -> None:
    _, engine = database
    asked = uuid.uuid4()

    def not_there(session: Session) -> None:
        audit(session, WORKER, "worklist.read", Subject(record_id=asked))  # written inside: rolled back with it
        raise NotFoundError()

    with pytest.raises(NotFoundError):
        run_audited(engine, not_there, by=WORKER, action="worklist.read", about=Subject(record_id=asked),
                    status=200, client="10.0.0.8")
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry)).all()
        assert [(r.id, r.action, r.outcome, r.status, r.client_address, r.record_id) for r in rows] == [
            (1, "worklist.read", "not_found", 404, "10.0.0.8", asked)]
        assert verify(s).ok


def test_racing_writers_keep_one_chain(database: tuple[str, Engine]) -> None:
    _, engine = database
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            write(engine, 15)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as s:
        result = verify(s)
        assert (result.ok, result.rows, result.head_id) == (True, 60, 60)
        assert s.exec(select(AuditEntry.id).order_by(col(AuditEntry.id))).all() == list(range(1, 61))


def test_verify_names_the_row_a_superuser_edited_or_deleted(database: tuple[str, Engine]) -> None:
    url, engine = database
    write(engine, 5)
    assert run_cli(url, "audit", "verify", "--no-witness").exit_code == 0
    with engine.begin() as conn:  # only a superuser (or the table's owner) gets past the trigger
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        conn.execute(text("UPDATE audit_log SET outcome = 'refused', status = 403 WHERE id = 2"))
    edited = run_cli(url, "audit", "verify")
    assert edited.exit_code == 1 and "broken at row 2: its content or child ids were changed" in edited.output
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log_children DISABLE TRIGGER audit_log_children_no_change"))
        conn.execute(text("DELETE FROM audit_log_children WHERE audit_id = 2"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    deleted = run_cli(url, "audit", "verify")
    assert deleted.exit_code == 1 and "broken at row 3" in deleted.output and "ids 1 to 3" in deleted.output


def test_who_saw_on_postgresql(database: tuple[str, Engine]) -> None:
    url, engine = database
    write(engine, 1)
    entry = uuid.uuid4()
    with Session(engine) as s:  # a register entry of the child, and a refused attempt at it
        s.add(DsrEntry(id=entry, child_id=CHILD, status="pending_review"))
        s.commit()
    with Session(engine) as s:
        audit(s, Principal(subject="school-a", roles=frozenset({"referrer"})), "GET /dsr/entries/{entry_id}",
              Subject(record_id=entry), outcome="refused", status=403, client="10.0.0.9")
        s.commit()
    done = run_cli(url, "audit", "who-saw", str(CHILD), "--format", "json")
    assert done.exit_code == 0, done.output
    assert [(r["actor"], r["outcome"], r["how"]) for r in json.loads(done.output)] == [
        ("worker-1", "allowed", "in a list"), ("school-a", "refused", "through a record of the child")]


def test_a_long_use_case_does_not_hold_the_chain_until_it_commits(database: tuple[str, Engine]) -> None:
    """A use case audits as it goes (a bulk import audits each referral it submits); its rows join the chain as it
    commits, so another request's row is written meanwhile instead of waiting for the whole import. The other
    writer runs with a lock timeout: were the chain held, it would fail with a lock-timeout error, not wait."""
    _, engine = database
    with Session(engine) as long_one:
        audit(long_one, WORKER, "submit", Subject(child_id=CHILD), status=201, client="10.0.0.8")
        long_one.exec(select(AuditEntry)).all()  # the use case goes on working (autoflush included)
        with Session(engine) as other:
            other.execute(text("SET LOCAL lock_timeout = '3s'"))
            audit(other, WORKER, "worklist.list", Subject(child_ids=(CHILD,)), status=200, client="10.0.0.9")
            other.commit()
        long_one.commit()
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        assert [r.action for r in rows] == ["worklist.list", "submit"]
        assert verify(s).ok

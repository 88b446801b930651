"""The audit chain's witness (issue 20, item 12) on the embedded broker: once a head of the chain was published on
the compacted topic `frontdoor.audit.heads`, `frontdoor audit verify` checks the stored rows against it by default,
so a cut tail and an edit with every later hash recomputed fail, which the chain alone lets pass (shown with
`--no-witness`). The heads are published raw, as the contract describes them, and by the services' job."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.audit import chain_hash
from services.common.auth import Principal
from services.common.db import make_engine, migrate
from services.common.settings import get_settings
from services.common.tables import AuditChild, AuditEntry
from services.common.transactions import Subject, audit
from services.topics import ensure_topics

pytestmark = pytest.mark.integration
HEADS = "frontdoor.audit.heads"  # the wire contract: the topic, keyed by the chain's name
WORKER = Principal(subject="worker-1", roles=frozenset({"worker:salt"}))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("witness") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def engine(template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own (SQLite: no append-only trigger, so the test can play the database's owner)."""
    shutil.copy(template, tmp_path / "audit.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
async def bootstrap(broker_bootstrap: str) -> str:
    await ensure_topics(broker_bootstrap, {HEADS: 1})
    return broker_bootstrap


@pytest.fixture
def chain() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"  # a chain of the test's own on the shared broker


def write(engine: Engine, count: int) -> None:
    for _ in range(count):
        with Session(engine) as s:
            audit(s, WORKER, "worklist.list", Subject(child_ids=(uuid.uuid4(),)), status=200, client="10.0.0.7")
            s.commit()


def stored(engine: Engine, row_id: int) -> AuditEntry:
    with Session(engine) as s:
        row = s.get(AuditEntry, row_id)
        assert row is not None
        return row


async def publish_head(bootstrap: str, chain: str, row: AuditEntry) -> None:
    """A head as the services publish it (schemas/json/audit.head_published.schema.json)."""
    event = {"event_id": str(uuid.uuid4()), "event_type": "audit.head_published", "schema_version": 1,
             "occurred_at": datetime.now(timezone.utc).isoformat(), "chain": chain, "head_id": row.id,
             "head_hash": row.hash, "head_at": row.at.replace(tzinfo=timezone.utc).isoformat()}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(HEADS, json.dumps(event).encode(), key=chain.encode())
    finally:
        await producer.stop()


def rewrite_from(engine: Engine, first: int) -> None:
    """What the database's owner can do past the chain: change a row and recompute every hash after it."""
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry).where(col(AuditEntry.id) >= first - 1).order_by(col(AuditEntry.id))).all()
        prev_hash = rows[0].hash if first > 1 else "0" * 64
        for row in rows[1:] if first > 1 else rows:
            if row.id == first:
                row.actor = "someone-else"
            children = s.exec(select(AuditChild.child_id).where(AuditChild.audit_id == row.id)).all()
            row.prev_hash = prev_hash
            row.hash = prev_hash = chain_hash(row, children, prev_hash)
            s.add(row)
        s.commit()


async def verify(engine: Engine, bootstrap: str, chain: str, *args: str) -> Any:
    """`frontdoor audit verify` as an operator runs it (in a thread: the command runs its own event loop)."""
    def run() -> Any:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, ["audit", "verify", *args], env={
                "DATABASE_URL": str(engine.url), "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "AUDIT_CHAIN": chain})
        finally:
            get_settings.cache_clear()

    return await asyncio.to_thread(run)


async def test_a_cut_tail_fails_verify_once_a_head_was_published(engine: Engine, bootstrap: str,
                                                                  chain: str) -> None:
    write(engine, 5)
    await publish_head(bootstrap, chain, stored(engine, 4))
    intact = await verify(engine, bootstrap, chain)
    assert intact.exit_code == 0, intact.output
    with engine.begin() as conn:  # the tail cut back to before the published head: the chain itself is still whole
        conn.execute(text("DELETE FROM audit_log_children WHERE audit_id >= 3"))
        conn.execute(text("DELETE FROM audit_log WHERE id >= 3"))
    cut = await verify(engine, bootstrap, chain)
    assert cut.exit_code == 1, cut.output
    assert "row 4" in cut.output and "missing" in cut.output
    assert (await verify(engine, bootstrap, chain, "--no-witness")).exit_code == 0  # what the chain alone cannot see


async def test_an_edit_with_every_later_hash_recomputed_fails_verify_once_a_head_was_published(
        engine: Engine, bootstrap: str, chain: str) -> None:
    write(engine, 5)
    await publish_head(bootstrap, chain, stored(engine, 5))
    assert (await verify(engine, bootstrap, chain)).exit_code == 0
    rewrite_from(engine, 2)
    rewritten = await verify(engine, bootstrap, chain)
    assert rewritten.exit_code == 1, rewritten.output
    assert "row 5" in rewritten.output and "rewritten" in rewritten.output
    assert (await verify(engine, bootstrap, chain, "--no-witness")).exit_code == 0  # what the chain alone cannot see


async def test_the_services_job_publishes_the_head_and_never_over_a_cut_tail(engine: Engine, bootstrap: str,
                                                                             chain: str) -> None:
    """The job as intake, DSR and worklists run it (with the service's broker): it publishes the head at start;
    after the tail is cut and the service restarts, it publishes nothing over the head the rows no longer hold."""
    from types import SimpleNamespace

    from services.common.audit_witness import read_heads, witness_job
    from services.common.broker import make_broker
    from services.common.settings import Settings

    write(engine, 3)
    settings = Settings(kafka_bootstrap_servers=bootstrap, database_url=str(engine.url), audit_chain=chain,
                        audit_witness_minutes=0.01)  # polls every 0.6 s
    broker = make_broker(settings, client_id="witness-test")
    await broker.start()
    app = SimpleNamespace(state=SimpleNamespace(broker=broker))
    try:
        job = asyncio.create_task(witness_job(app, settings, engine)())
        for _ in range(60):
            if heads := await read_heads(settings, chain):
                break
            await asyncio.sleep(0.25)
        job.cancel()
        first = stored(engine, 3)
        assert [(h.head_id, h.head_hash) for h in heads] == [(3, first.hash)]
        assert (await verify(engine, bootstrap, chain)).exit_code == 0

        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log_children WHERE audit_id = 3"))
            conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
        write(engine, 2)  # rows 3 and 4 again, new ones: the chain verifies on its own
        restarted = asyncio.create_task(witness_job(app, settings, engine)())
        await asyncio.sleep(2.5)
        restarted.cancel()
        assert [(h.head_id, h.head_hash) for h in await read_heads(settings, chain)] == [(3, first.hash)]
        caught = await verify(engine, bootstrap, chain)
        assert caught.exit_code == 1 and "row 3 does not have the hash published for it" in caught.output
    finally:
        await broker.stop()

"""A consumer killed with SIGKILL between its database commit and its offset commit: on restart the
redelivered event is a no-op (the register keeps exactly one entry and announces it once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS
from services.common.db import make_engine
from services.common.embedded_broker import free_port
from services.common.tables import OutboxMessage, ProcessedEvent
from services.dsr.tables import DsrEntry
from tests.cases import ROOT
from tests.integration.test_dsr import decision_bytes
from tests.kafka_tools import eventually, lag, produce_raw

pytestmark = pytest.mark.integration


def serve_dsr(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "services.cli", "serve", "dsr", "--port", str(free_port())]
    return subprocess.Popen(command, cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def state(url: str, child: uuid.UUID) -> tuple[int, int, int]:
    with Session(make_engine(url)) as s:
        entries = s.exec(select(DsrEntry).where(col(DsrEntry.child_id) == child)).all()
        ids = {e.id for e in entries}
        changes = s.exec(select(OutboxMessage).where(OutboxMessage.topic == "frontdoor.dsr.changes")).all()
        announced = [r for r in changes if uuid.UUID(json.loads(r.payload)["entry_id"]) in ids]
        processed = s.exec(select(ProcessedEvent).where(ProcessedEvent.consumer == "dsr.register")).all()
        return len(entries), len(announced), len(processed)


async def test_a_redelivered_event_after_a_kill_is_a_no_op(private_broker: str, fresh_database_url: str,
                                                           tmp_path: Path) -> None:
    broker_bootstrap = private_broker
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": broker_bootstrap, "DATABASE_URL": fresh_database_url,
                        "KAFKA_FAST_REBALANCE": "true", "KAFKA_GROUP_PREFIX": f"kill-{uuid.uuid4().hex[:6]}",
                        "LOG_FORMAT": "json"}
    child = uuid.uuid4()
    doomed = serve_dsr(env | {"FRONTDOOR_FAULT_KILL_AFTER_COMMIT": "dsr"}, tmp_path / "first.log")
    try:
        await produce_raw(broker_bootstrap, TOPIC_DECISIONS, [(str(child).encode(), decision_bytes("dsr-red", child))])
        await eventually(lambda: doomed.poll() is not None, timeout=60)
        assert doomed.returncode == -signal.SIGKILL  # died inside the window, by the hook
        entries, announced, processed = state(fresh_database_url, child)
        assert (entries, announced) == (1, 1)  # the effect was durable before the kill
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)

    restarted = serve_dsr(env, tmp_path / "second.log")
    try:
        async def redelivered() -> bool:  # the offset was never committed: the event comes again, and is now committed
            return await lag(broker_bootstrap, env["KAFKA_GROUP_PREFIX"], groups=["dsr"]) == 0

        await eventually(redelivered, timeout=60, interval=0.5)
        assert state(fresh_database_url, child) == (1, 1, processed)  # a no-op: nothing new anywhere
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)

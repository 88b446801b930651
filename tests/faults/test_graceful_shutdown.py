"""Graceful shutdown on SIGTERM: readiness goes false first while the service keeps working; the
message in flight finishes; the offsets of finished work are committed (exactly those: nothing
past the last durable write, nothing finished left uncommitted); the process exits cleanly
within the graceful timeout; and a restart takes up exactly where it stopped.

The register's database is slowed through the fault proxy (latency on every round trip) so that
work is certainly in flight when the signal comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS
from services.common.db import make_engine
from services.common.embedded_broker import free_port
from services.common.tables import ProcessedEvent
from services.dsr.tables import DsrEntry
from tests.cases import ROOT
from tests.faults.proxy import ProxyThread, database_port, through_proxy
from tests.integration.test_dsr import decision_bytes
from tests.kafka_tools import eventually, produce_raw

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
DRAIN, GRACEFUL = 2, 10


def applied(url: str, children: list[uuid.UUID]) -> int:
    with Session(make_engine(url)) as s:
        return len(s.exec(select(DsrEntry).where(col(DsrEntry.child_id).in_(children))).all())


async def committed(bootstrap: str, group: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(TOPIC_DECISIONS, p) for p in range(4)]
        return sum([await consumer.committed(tp) or 0 for tp in parts])
    finally:
        await consumer.stop()


def status(port: int, path: str) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code
    except httpx.HTTPError:
        return None


async def test_sigterm_drains_finishes_in_flight_work_and_commits_it(private_broker: str, fresh_database_url: str,
                                                                     tmp_path: Path) -> None:
    proxy = ProxyThread(database_port(fresh_database_url)).start()
    slow_db = through_proxy(fresh_database_url, proxy.port)
    group = f"drain-{uuid.uuid4().hex[:6]}"
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": private_broker, "DATABASE_URL": slow_db,
                        "KAFKA_FAST_REBALANCE": "true", "KAFKA_GROUP_PREFIX": group, "LOG_FORMAT": "json",
                        "SHUTDOWN_DRAIN_SECONDS": str(DRAIN), "GRACEFUL_TIMEOUT_SECONDS": str(GRACEFUL)}
    port = free_port()

    def serve(log: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "services.cli", "serve", "dsr", "--port", str(port)]
        return subprocess.Popen(command, cwd=ROOT, env=env,
                                stdout=(tmp_path / log).open("ab"), stderr=subprocess.STDOUT, start_new_session=True)

    children = [uuid.uuid4() for _ in range(40)]
    service = serve("first.log")
    try:
        await eventually(lambda: status(port, "/health/ready") == 200, timeout=60)
        proxy.set("latency", latency=0.05)  # each database round trip 50 ms slower: a decision takes ~0.5 s
        await produce_raw(private_broker, TOPIC_DECISIONS,
                          [(str(c).encode(), decision_bytes("dsr-red", c)) for c in children])
        await eventually(lambda: applied(fresh_database_url, children) >= 3, timeout=60)

        service.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        at_signal = applied(fresh_database_url, children)
        # Readiness false at once ...
        await eventually(lambda: status(port, "/health/ready") == 503, timeout=1, interval=0.05)
        assert status(port, "/health/live") == 200  # ... while the service is still up and working
        exit_code = service.wait(timeout=DRAIN + GRACEFUL + 15)
        took = time.monotonic() - signalled
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
    log = (tmp_path / "first.log").read_text()
    # A clean stop (uvicorn re-raises the signal it handled once shutdown is complete, so the exit
    # status tells the supervisor why it stopped).
    assert exit_code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log[-3000:]
    assert '"level": "error"' not in log
    # One line per consumed message, with its outcome; not FastStream's "Received"/"Processed" pair.
    assert ('"event": "message consumed"' in log and '"event": "Received"' not in log
            and '"event": "Processed"' not in log)
    assert took < DRAIN + GRACEFUL + 5
    done = applied(fresh_database_url, children)
    assert at_signal < done < len(children)  # it kept working while draining, and stopped before the end
    assert await committed(private_broker, f"{group}.dsr") == done  # finished work committed; nothing beyond it

    proxy.set("pass")
    restarted = serve("second.log")
    try:
        await eventually(lambda: applied(fresh_database_url, children) == len(children), timeout=90)
        await eventually(lambda: _committed_all(private_broker, f"{group}.dsr", len(children)), timeout=30)
        with Session(make_engine(fresh_database_url)) as s:
            processed = s.exec(select(ProcessedEvent).where(ProcessedEvent.consumer == "dsr.register")).all()
        assert len(processed) == len(children)  # each decision applied once across the two runs
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=DRAIN + GRACEFUL + 15)
        proxy.stop()


async def _committed_all(bootstrap: str, group: str, n: int) -> bool:
    return await committed(bootstrap, group) == n

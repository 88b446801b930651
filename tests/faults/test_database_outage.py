"""PostgreSQL unreachable for 20 s while the register consumes: nothing goes to the DLQ, no offset
is committed past the last durable write, and everything is applied once the database is back."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, dlq_topic
from services.common.db import make_engine
from services.common.settings import Settings
from services.dsr.tables import DsrEntry
from tests.faults.proxy import FaultProxy, database_port, through_proxy
from tests.integration.test_dsr import Dsr, decision_bytes
from tests.kafka_tools import eventually, lag, produce_raw, read_topic

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
OUTAGE_SECONDS = 20


@pytest.fixture()
async def db_proxy(fresh_database_url: str) -> AsyncIterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy(database_port(fresh_database_url))
    await proxy.start()
    yield proxy, through_proxy(fresh_database_url, proxy.port)
    await proxy.stop()


def entries(url: str, children: list[uuid.UUID]) -> int:
    with Session(make_engine(url)) as s:
        return len(s.exec(select(DsrEntry).where(col(DsrEntry.child_id).in_(children))).all())


async def test_a_database_outage_pauses_consumption_and_loses_nothing(private_broker: str, fresh_database_url: str,
                                                                       db_proxy: tuple[FaultProxy, str]) -> None:
    proxy, through_proxy = db_proxy
    prefix = f"pg-{uuid.uuid4().hex[:6]}"
    settings = Settings(kafka_bootstrap_servers=private_broker, database_url=through_proxy, kafka_fast_rebalance=True,
                        kafka_group_prefix=prefix, outbox_poll_seconds=0.2, startup_timeout_seconds=30.0)
    dsr = Dsr(settings)
    await dsr.start()
    try:
        before = [uuid.uuid4() for _ in range(3)]
        await produce_raw(private_broker, TOPIC_DECISIONS,
                          [(str(c).encode(), decision_bytes("dsr-red", c)) for c in before])
        await eventually(lambda: entries(fresh_database_url, before) == 3, timeout=60)

        await proxy.set("blackhole")
        during = [uuid.uuid4() for _ in range(5)]
        await produce_raw(private_broker, TOPIC_DECISIONS,
                          [(str(c).encode(), decision_bytes("dsr-amber-placement", c)) for c in during])
        for _ in range(OUTAGE_SECONDS):
            await asyncio.sleep(1)
            # Nothing the database did not durably take is acknowledged: the records stay uncommitted.
            assert await lag(private_broker, prefix, groups=["dsr"]) > 0
        assert entries(fresh_database_url, during) == 0
        await proxy.set("pass")

        await eventually(lambda: entries(fresh_database_url, during) == 5, timeout=60)
        await eventually(lambda: _caught_up(private_broker, prefix), timeout=60)
        assert await read_topic(private_broker, dlq_topic(TOPIC_DECISIONS)) == []
        assert entries(fresh_database_url, before + during) == 8
    finally:
        await proxy.set("pass")
        await dsr.stop()


async def _caught_up(bootstrap: str, prefix: str) -> bool:
    return await lag(bootstrap, prefix, groups=["dsr"]) == 0

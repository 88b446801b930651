"""S1: the broker unreachable for 20 s mid-stream. Every service keeps running (intake keeps taking
referrals into its outbox), nothing is lost or doubled, and every consumer group has caught up
within 60 s of the broker coming back."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.faults.load import referral_bodies
from tests.faults.system import Load, Submitter, System, unpublished, wait_settled
from tests.invariants import check

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
OUTAGE_SECONDS = 20
RATE = 10  # referrals a second, throughout


def test_broker_unreachable_for_20_seconds_loses_and_doubles_nothing(fresh_database_url: str, tmp_path: Path) -> None:
    system = System(fresh_database_url, tmp_path / "system", intake=2, triage=2)
    with system.running():
        with Load(Submitter(system), referral_bodies(seed=1), rate=RATE) as load:
            time.sleep(5)
            assert system.broker_proxy is not None
            system.broker_proxy.set("blackhole")
            time.sleep(OUTAGE_SECONDS)
            during = len(load.ids)
            stuck = unpublished(system)  # outbox rows waiting for the broker
            system.broker_proxy.set("reset")  # the silent connections are dropped; clients reconnect
            system.broker_proxy.set("pass")
            recovered = time.monotonic()
            time.sleep(5)
        ids = load.ids
        assert during > OUTAGE_SECONDS * RATE / 2  # intake kept taking referrals while the broker was away
        assert stuck > OUTAGE_SECONDS * RATE / 2  # ... which could not be published: the outage was real

        caught_up = wait_settled(system, timeout=60 - (time.monotonic() - recovered) + 5)
        assert caught_up - recovered <= 60, f"caught up {caught_up - recovered:.0f} s after recovery"
        report = asyncio.run(check(system.bootstrap, fresh_database_url, ids))
        assert report.ok, report.explain()
        assert report.decisions == len(ids) > 0
        print(f"\nS1 broker outage: {report.summary()}; caught up {caught_up - recovered:.1f} s after recovery")

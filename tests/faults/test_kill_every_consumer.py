"""Every consumer (triage, intake, the register, the worklists) killed with SIGKILL by the fault hook
between its durable effect and its offset commit, each restarted: the redelivered events are
no-ops everywhere, which the invariant checker confirms over the whole system."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from tests.faults.load import referral_bodies
from tests.faults.system import Load, Submitter, System, wait_settled
from tests.invariants import check

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
HOOK = "FRONTDOOR_FAULT_KILL_AFTER_COMMIT"
# Each at its own n-th effect: the register only acts on DSR candidates (about one referral in ten).
DOOMED = {"triage-0": "triage@20", "intake-0": "intake@40", "dsr-0": "dsr@4", "worklists-0": "worklists@20"}


def test_each_consumer_killed_after_its_commit_redelivers_as_a_no_op(fresh_database_url: str, tmp_path: Path) -> None:
    system = System(fresh_database_url, tmp_path / "system", intake=2, triage=2,
                    process_env={label: {HOOK: value} for label, value in DOOMED.items()})
    killed: set[str] = set()
    with system.running():
        with Load(Submitter(system), referral_bodies(seed=9), rate=20) as load:
            deadline = time.monotonic() + 90
            while len(killed) < len(DOOMED):
                assert time.monotonic() < deadline, f"not every hook fired: {sorted(set(DOOMED) - killed)}"
                for p in system.processes:
                    if p.label in DOOMED and p.label not in killed and not p.alive():
                        assert p.wait(timeout=1) == -signal.SIGKILL, f"{p.label} died, not by the hook"
                        killed.add(p.label)
                        p.env = {k: v for k, v in p.env.items() if k != HOOK}
                        system.restart(p, wait=False)
                time.sleep(0.2)
            time.sleep(5)  # and a little more load on the restarted processes
        system.wait_ready(system.processes, timeout=120)
        wait_settled(system, timeout=90)
        report = asyncio.run(check(system.bootstrap, fresh_database_url, load.ids))
        assert report.ok, report.explain()
        assert report.decisions == len(load.ids) > 100
        print(f"\nkill after commit, every consumer: {report.summary()}")

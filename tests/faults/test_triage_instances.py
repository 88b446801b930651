"""S4: two triage instances share the work; one is killed with SIGKILL mid-stream, by the fault hook,
after a batch's decisions are published and before its offsets are committed. The survivor takes
its partitions over and decides that batch again with the same event ids, so every referral is
decided once in effect. Then the checker is shown to catch what it claims to."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS
from services.common.db import make_engine
from services.intake.tables import TimelineItem
from services.worklists.tables import WorklistItem
from tests.faults.load import referral_bodies
from tests.faults.system import Load, Submitter, System, wait_settled
from tests.invariants import check
from tests.kafka_tools import produce_raw, read_events

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]
RATE = 25


def test_one_of_two_triage_instances_killed_mid_stream(fresh_database_url: str, tmp_path: Path) -> None:
    system = System(fresh_database_url, tmp_path / "system", triage=2,
                    process_env={"triage-0": {"FRONTDOOR_FAULT_KILL_AFTER_COMMIT": "triage@30"}})
    with system.running():
        with Load(Submitter(system), referral_bodies(seed=4), rate=RATE) as load:
            doomed, survivor = system.of("triage")
            assert doomed.wait(timeout=60) == -signal.SIGKILL  # died in the window, by the hook, mid-stream
            time.sleep(12)  # the survivor takes over once the dead member's session has timed out
        ids = load.ids

        wait_settled(system, timeout=90)
        assert survivor.alive()
        report = asyncio.run(check(system.bootstrap, fresh_database_url, ids))
        assert report.ok, report.explain()
        assert report.decisions == len(ids) > 150
        assert report.redelivered > 0  # the dead instance's last batch was decided again, and deduplicated
        print(f"\nS4 two triage instances, one killed: {report.summary()}")

        # The checker catches what it claims to: a lost worklist item, a second decision note on a
        # referral's timeline, and a second decision (a new event id) for a referral.
        engine = make_engine(fresh_database_url)
        with Session(engine) as s:
            referral_ids = [uuid.UUID(i) for i in ids]
            item = s.exec(select(WorklistItem).where(col(WorklistItem.referral_id).in_(referral_ids))).first()
            assert item is not None
            s.delete(item)
            note = s.exec(select(TimelineItem).where(TimelineItem.referral_id == uuid.UUID(ids[0]),
                                                     TimelineItem.kind == "decision")).one()
            s.add(TimelineItem(child_id=note.child_id, referral_id=note.referral_id, at=note.at, kind="decision",
                               summary=note.summary))
            s.commit()
        engine.dispose()
        decisions = asyncio.run(read_events(system.bootstrap, TOPIC_DECISIONS))
        decision = next(e for e in decisions if e["referral_id"] == ids[1])
        second = dict(decision, event_id=str(uuid.uuid4()))
        record = (decision["child_id"].encode(), json.dumps(second).encode())
        asyncio.run(produce_raw(system.bootstrap, TOPIC_DECISIONS, [record]))
        tampered = asyncio.run(check(system.bootstrap, fresh_database_url, ids))
        assert not tampered.ok
        assert any(f"request {item.id} missing" in p for p in tampered.lost)
        assert any(ids[0] in p and "decision notes" in p for p in tampered.duplicated)
        assert any(ids[1] in p and "decided 2 times" in p for p in tampered.duplicated)

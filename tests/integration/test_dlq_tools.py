"""`frontdoor dlq list` shows where dead letters came from and why, never their content, one line per event however
many times it was dead-lettered; `frontdoor dlq replay` sends chosen ones back to their original topic (the newest
copy of each event, once), recorded and audited with who ran it, so the event is listed as sent again, not waiting,
until it fails again; `frontdoor dlq discard` sets aside an event that can never succeed, with who and why:
it stays in the log but is no longer listed as waiting, and a replay refuses it. Real (embedded) broker and
database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlmodel import Session, col, select

from services.common.db import make_engine
from services.common.tables import AuditEntry, DeadLetterDiscard, DeadLetterReplay
from tests.cases import ROOT
from tests.kafka_tools import produce_raw, read_topic

pytestmark = pytest.mark.integration
SECRET = b'{"given_name": "Canary-Zebedee"}'
REASON = "Sent by the supplier's test harness; no such referral exists"


def frontdoor(bootstrap: str, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", "dlq", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=os.environ | {"KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                                                                    "DATABASE_URL": database_url})


def headers(original: str, offset: int, event_id: uuid.UUID | None = None,
            replayed_from: str | None = None) -> list[tuple[str, bytes]]:
    found = [("x-original-topic", original.encode()), ("x-original-partition", b"0"),
             ("x-original-offset", str(offset).encode()),
             ("x-error", b"ValidationError: referral.child.postcode: value_error"), ("x-attempts", b"1")]
    found += [("event-id", str(event_id).encode()), ("event-type", b"referral.submitted")] if event_id else []
    return found + ([("x-replayed-from", replayed_from.encode())] if replayed_from else [])


async def test_list_and_replay(broker_bootstrap: str, topics: dict[str, int], database_url: str) -> None:
    original, dlq = "tools.original", "tools.original.dlq"
    for offset in range(2):
        await produce_raw(broker_bootstrap, dlq, [(b"child-key", SECRET)], headers=headers(original, offset))

    listed = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq)
    assert listed.returncode == 0, listed.stderr
    assert f"{dlq}: 2 record(s), 2 event(s) waiting, 0 sent again, 0 discarded" in listed.stdout
    assert "from tools.original [0:0]" in listed.stdout and "referral.child.postcode: value_error" in listed.stdout
    assert "Canary-Zebedee" not in listed.stdout + listed.stderr
    first_id = listed.stdout.split("id ", 1)[1].split()[0]

    replayed = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--ids", first_id,
                         "--by", "Chris Lee")
    assert replayed.returncode == 0 and "replayed 1 record(s)" in replayed.stdout
    back = await read_topic(broker_bootstrap, original)
    assert [r.value for r in back] == [SECRET] and back[0].key == b"child-key"
    assert dict(back[0].headers)["x-replayed-from"].decode() == f"{dlq}:{first_id}"


async def test_an_event_dead_lettered_again_is_one_line_and_once_discarded_is_never_replayed(
        broker_bootstrap: str, topics: dict[str, int], database_url: str) -> None:
    original, dlq, event = "tools.discard", "tools.discard.dlq", uuid.uuid4()
    await produce_raw(broker_bootstrap, original, [(b"k", b"{}")])  # the original topic: one record, not ours
    await produce_raw(broker_bootstrap, dlq, [(b"k", SECRET)], headers=headers(original, 0, event))
    [first] = await read_topic(broker_bootstrap, dlq)
    # replayed, failed again: a second copy of the same event on the dead-letter topic
    await produce_raw(broker_bootstrap, dlq, [(b"k", SECRET)],
                      headers=headers(original, 5, event, f"{dlq}:{first.partition}:{first.offset}"))
    newest = f"{first.partition}:{first.offset + 1}"
    listed = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq)
    assert listed.returncode == 0, listed.stderr
    assert f"{dlq}: 2 record(s), 1 event(s) waiting, 0 sent again, 0 discarded" in listed.stdout
    [line] = [x for x in listed.stdout.splitlines() if x.startswith("  id ")]
    assert line.startswith(f"  id {newest} ") and f"event {event}" in line and "failed 2 times" in line

    short = frontdoor(broker_bootstrap, database_url, "discard", "--event-id", str(event), "--reason", "no",
                      "--by", "Chris Lee")
    assert short.returncode == 2 and "10 characters or more" in short.stderr
    done = frontdoor(broker_bootstrap, database_url, "discard", "--event-id", str(event), "--reason", REASON,
                     "--by", "Chris Lee")
    assert done.returncode == 0, done.stderr
    assert "it stays in the log but will not be offered again" in done.stdout
    with Session(make_engine(database_url)) as s:
        row = s.get(DeadLetterDiscard, event)
        assert row is not None and (row.by_name, row.reason, row.dlq_topic) == ("Chris Lee", REASON, dlq)
        audited = s.exec(select(AuditEntry).where(AuditEntry.record_id == event)
                         .order_by(col(AuditEntry.id))).all()
        assert [(a.action, a.outcome) for a in audited] == [("dlq.discard", "allowed")]

    after = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq)
    assert f"{dlq}: 2 record(s), 0 event(s) waiting, 0 sent again, 1 discarded" in after.stdout
    assert not [x for x in after.stdout.splitlines() if x.startswith("  id ")]
    gone = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq, "--discarded")
    assert "discarded by Chris Lee" in gone.stdout and REASON in gone.stdout

    refused = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--ids", newest, "--by", "Chris Lee")
    assert refused.returncode == 1 and "will not be offered again" in refused.stderr
    everything = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--by", "Chris Lee")
    assert everything.returncode == 0 and "replayed 0 record(s)" in everything.stdout
    assert [r.value for r in await read_topic(broker_bootstrap, original)] == [b"{}"]  # nothing was sent
    again = frontdoor(broker_bootstrap, database_url, "discard", "--event-id", str(event), "--reason", REASON,
                      "--by", "Chris Lee")
    assert again.returncode == 1 and "discarded already" in again.stderr


def lines(listed: subprocess.CompletedProcess[str]) -> list[str]:
    return [x for x in listed.stdout.splitlines() if x.startswith("  id ")]


async def test_a_replay_is_recorded_and_the_event_is_sent_again_until_it_fails_again(
        broker_bootstrap: str, topics: dict[str, int], database_url: str) -> None:
    original, dlq, event, other = "tools.again", "tools.again.dlq", uuid.uuid4(), uuid.uuid4()
    await produce_raw(broker_bootstrap, dlq, [(b"k", SECRET)], headers=headers(original, 0, event))
    await produce_raw(broker_bootstrap, dlq, [(b"k", SECRET)], headers=headers(original, 1, other))
    [first, second] = await read_topic(broker_bootstrap, dlq)
    sent_copy = f"{first.partition}:{first.offset}"

    nameless = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--ids", sent_copy)
    assert nameless.returncode == 2 and "--by" in nameless.stderr  # who sends it again is always known
    done = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--ids", sent_copy, "--by", "Chris Lee")
    assert done.returncode == 0 and "replayed 1 record(s)" in done.stdout, done.stderr
    with Session(make_engine(database_url)) as s:
        [row] = s.exec(select(DeadLetterReplay).where(DeadLetterReplay.dlq_topic == dlq)).all()
        assert (row.event_id, row.sent, row.by_name) == (event, sent_copy, "Chris Lee")
        assert row.by.startswith("cli:")
        [audited] = s.exec(select(AuditEntry).where(AuditEntry.record_id == row.replay_id)).all()
        assert (audited.action, audited.outcome, audited.role) == ("dlq.replay", "allowed", "admin")

    listed = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq)
    assert f"{dlq}: 2 record(s), 1 event(s) waiting, 1 sent again, 0 discarded" in listed.stdout
    assert [f"event {other}" in x for x in lines(listed)] == [True]
    again = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq, "--sent-again")
    [line] = lines(again)
    assert f"event {event}" in line and f"sent again on {row.at:%Y-%m-%d %H:%M} UTC by Chris Lee" in line
    everything = frontdoor(broker_bootstrap, database_url, "replay", "--topic", dlq, "--by", "Chris Lee")
    assert "replayed 1 record(s)" in everything.stdout  # every event waiting: the other one, not the one sent again
    assert len(await read_topic(broker_bootstrap, original)) == 2

    # what was sent fails again: a copy that came from the copy the replay sent; the event is waiting again
    await produce_raw(broker_bootstrap, dlq, [(b"k", SECRET)],
                      headers=headers(original, 0, event, f"{dlq}:{sent_copy}"))
    after = frontdoor(broker_bootstrap, database_url, "list", "--topic", dlq)
    assert f"{dlq}: 3 record(s), 1 event(s) waiting, 1 sent again, 0 discarded" in after.stdout
    [line] = lines(after)
    assert f"event {event}" in line and "failed 2 times" in line
    assert "Canary-Zebedee" not in after.stdout + again.stdout

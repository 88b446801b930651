"""Dead letters through intake's API (issue 23, item 10), in-process on migrated SQLite with the broker's records
stood in: one row per event however many times it failed; an administrator discards an event that can never
succeed with a reason (audited, who/when/why kept, hidden from the list but shown with "show=discarded"); only an
administrator may; a replay sends each event's newest copy once and never a discarded one (409, nothing sent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas.labels import day
from services.common import dlq_tools
from services.common.auth import mint_dev_token
from services.common.dlq_tools import DeadLetter
from services.common.settings import Settings
from services.common.tables import AuditEntry, DeadLetterDiscard, DeadLetterReplay
from services.intake.main import create_app

DLQ = "frontdoor.referrals.submitted.dlq"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
EVENT, OTHER = uuid.UUID(int=0xE1), uuid.UUID(int=0xE2)
FIRST = DeadLetter(DLQ, 0, 0, "frontdoor.referrals.submitted", "3", "17", "ValidationError: referral.child: missing",
                   "1", 120, "abcd1234", event_id=str(EVENT), event_type="referral.submitted", at=T0)
AGAIN = replace(FIRST, offset=1, at=T0 + timedelta(hours=1), replayed_from=f"{DLQ}:0:0",
                error="PermanentError: the schema version of the event is not known")
OTHER_LETTER = replace(FIRST, offset=2, event_id=str(OTHER), at=T0 + timedelta(hours=2))
REASON = "Sent by the supplier's test harness by mistake; there is no such referral"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, set[str] | None]]:
    """The broker stood in: these records on the submitted DLQ; what a replay would publish is recorded."""
    async def listed(bootstrap: str, topic: str) -> list[DeadLetter]:
        return [FIRST, AGAIN, OTHER_LETTER] if topic == DLQ else []

    published: list[tuple[str, set[str] | None]] = []

    async def replay(bootstrap: str, topic: str, ids: set[str] | None = None) -> int:
        published.append((topic, ids))
        return len(ids or ())

    monkeypatch.setattr(dlq_tools, "list_dead_letters", listed)
    monkeypatch.setattr(dlq_tools, "replay", replay)
    return published


@pytest.fixture
async def api(engine: Engine, sent: list[Any]) -> AsyncIterator[Any]:
    settings = Settings(database_url=str(engine.url))
    app = create_app(settings, engine=engine)

    async def call(method: str, path: str, who: str = "admin-1", *roles: str, **kwargs: Any) -> httpx.Response:
        token = mint_dev_token(settings, subject=who, roles=list(roles or ("admin",)), name="Ada Admin")
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield call


def audit_rows(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))).all())


async def test_one_row_per_event_with_how_many_times_it_failed(api: Any) -> None:
    answer = (await api("GET", "/front-door/dead-letters")).json()
    assert [(d["event_id"], d["id"], d["failures"]) for d in answer["dead_letters"]] == [
        (str(EVENT), "0:1", 2), (str(OTHER), "0:2", 1)]
    first = answer["dead_letters"][0]
    assert first["error_words"] == "It was refused: the schema version of the event is not known"
    assert (first["what"], first["first_failed_at"], first["discarded"]) == ("A new referral", T0.isoformat(), None)
    assert answer["counts"] == {"waiting": 2, "sent_again": 0, "discarded": 0} and answer["showing"] == "waiting"


async def test_discarding_needs_a_reason(api: Any, engine: Engine) -> None:
    for reason in ("", "   ", "too short"):
        refused = await api("POST", "/front-door/dead-letters/discard", json={"event_id": str(EVENT), "reason": reason})
        assert refused.status_code == 422, reason
        assert [p["field"] for p in refused.json()["errors"]] == ["reason"]
    with Session(engine) as s:
        assert s.exec(select(DeadLetterDiscard)).all() == []


async def test_a_discard_is_kept_with_who_when_and_why_audited_and_hidden_from_the_list(api: Any,
                                                                                        engine: Engine) -> None:
    done = await api("POST", "/front-door/dead-letters/discard", json={"event_id": str(EVENT), "reason": REASON})
    assert done.status_code == 201, done.text
    assert done.json() | {"at": None} == {"event_id": str(EVENT), "topic": DLQ, "by_name": "Ada Admin", "at": None,
                                          "reason": REASON}
    with Session(engine) as s:
        [row] = s.exec(select(DeadLetterDiscard)).all()
    assert (row.event_id, row.by, row.by_name, row.reason, row.event_type) == (
        EVENT, "admin-1", "Ada Admin", REASON, "referral.submitted")
    [audited] = audit_rows(engine, "front_door.dead_letters.discard")
    assert (audited.actor, audited.outcome, audited.record_id) == ("admin-1", "allowed", EVENT)

    waiting = (await api("GET", "/front-door/dead-letters")).json()
    assert [d["event_id"] for d in waiting["dead_letters"]] == [str(OTHER)]
    assert waiting["counts"] == {"waiting": 1, "sent_again": 0, "discarded": 1}
    gone = (await api("GET", "/front-door/dead-letters", params={"show": "discarded"})).json()
    [shown] = gone["dead_letters"]
    assert (shown["event_id"], shown["failures"], shown["discarded"]["by_name"], shown["discarded"]["reason"]) == (
        str(EVENT), 2, "Ada Admin", REASON)
    queue = (await api("GET", "/front-door/queue", "fd-1", "front_door")).json()
    assert [i["dead_letter"]["event_id"] for i in queue["items"] if i["reason"] == "dead_letter"] == [str(OTHER)]

    twice = await api("POST", "/front-door/dead-letters/discard", json={"event_id": str(EVENT), "reason": REASON})
    assert twice.status_code == 409


async def test_only_an_administrator_may_discard(api: Any, engine: Engine) -> None:
    body = {"event_id": str(EVENT), "reason": REASON}
    for role in ("front_door", "referrer", "worker:salt", "dsr_panel", "manager"):
        assert (await api("POST", "/front-door/dead-letters/discard", "someone", role, json=body)).status_code == 403
    with Session(engine) as s:
        assert s.exec(select(DeadLetterDiscard)).all() == []
    refused = audit_rows(engine, "POST /front-door/dead-letters/discard")
    assert {r.outcome for r in refused} == {"refused"} and len(refused) == 5


async def test_an_event_not_on_the_topics_cannot_be_discarded(api: Any) -> None:
    missing = await api("POST", "/front-door/dead-letters/discard", json={"event_id": str(uuid.uuid4()),
                                                                          "reason": REASON})
    assert missing.status_code == 404


async def test_a_replay_sends_the_newest_copy_once_and_a_discarded_event_never(api: Any, sent: list[Any]) -> None:
    both = await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:0", "0:1"]})
    assert both.status_code == 200 and both.json() == {"topic": DLQ, "asked": 2, "replayed": 1}
    assert sent == [(DLQ, {"0:1"})]
    await api("POST", "/front-door/dead-letters/discard", json={"event_id": str(EVENT), "reason": REASON})
    refused = await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1", "0:2"]})
    assert refused.status_code == 409
    today = day(datetime.now(UTC))  # the day it was discarded: just now, not the day this test was written
    assert refused.json()["title"] == (f"This event was discarded on {today}: it stays in the log but will "
                                       "not be offered again")
    assert sent == [(DLQ, {"0:1"})]  # nothing more was sent, not even the other event


# --- a replay is recorded: the event reads as "sent again" until it fails again -------------------------------------

def replays_of(engine: Engine) -> list[DeadLetterReplay]:
    with Session(engine) as s:
        return list(s.exec(select(DeadLetterReplay).order_by(col(DeadLetterReplay.at))).all())


async def test_a_replay_is_recorded_audited_and_the_event_reads_as_sent_again(api: Any, engine: Engine) -> None:
    done = await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1"]})
    assert done.status_code == 200 and done.json()["replayed"] == 1
    [row] = replays_of(engine)
    assert (row.event_id, row.sent, row.dlq_topic, row.by, row.by_name) == (EVENT, "0:1", DLQ, "admin-1", "Ada Admin")
    [audited] = audit_rows(engine, "front_door.dead_letters.replay")
    assert (audited.actor, audited.outcome, audited.record_id) == ("admin-1", "allowed", row.replay_id)

    waiting = (await api("GET", "/front-door/dead-letters")).json()
    assert [d["event_id"] for d in waiting["dead_letters"]] == [str(OTHER)]
    assert waiting["counts"] == {"waiting": 1, "sent_again": 1, "discarded": 0}
    again = (await api("GET", "/front-door/dead-letters", params={"show": "sent_again"})).json()
    [shown] = again["dead_letters"]
    assert (shown["event_id"], shown["state"], shown["failures"], again["showing"]) == (
        str(EVENT), "sent_again", 2, "sent_again")
    assert shown["sent_again"] == {"by_name": "Ada Admin", "at": row.at.isoformat()}
    queue = (await api("GET", "/front-door/queue", "fd-1", "front_door")).json()
    assert [i["dead_letter"]["event_id"] for i in queue["items"] if i["reason"] == "dead_letter"] == [str(OTHER)]


async def test_an_event_that_fails_again_after_its_replay_is_waiting_again(api: Any, engine: Engine,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1"]})
    failed_again = replace(AGAIN, offset=3, replayed_from=f"{DLQ}:0:1")  # dead-lettered from the copy sent

    async def listed(bootstrap: str, topic: str) -> list[DeadLetter]:
        return [FIRST, AGAIN, OTHER_LETTER, failed_again] if topic == DLQ else []

    monkeypatch.setattr(dlq_tools, "list_dead_letters", listed)
    waiting = (await api("GET", "/front-door/dead-letters")).json()
    assert [(d["event_id"], d["state"], d["failures"], d["id"]) for d in waiting["dead_letters"]] == [
        (str(EVENT), "waiting", 3, "0:3"), (str(OTHER), "waiting", 1, "0:2")]
    assert waiting["dead_letters"][0]["sent_again"]["by_name"] == "Ada Admin"  # the last replay, still said
    assert waiting["counts"] == {"waiting": 2, "sent_again": 0, "discarded": 0}


async def test_each_replay_is_a_row_and_one_chosen_again_is_sent_again(api: Any, engine: Engine,
                                                                      sent: list[Any]) -> None:
    await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1", "0:2"]})
    first = replays_of(engine)
    assert sorted(r.event_id for r in first) == [EVENT, OTHER] and len({r.replay_id for r in first}) == 1
    chosen = await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1"]})
    assert chosen.json()["replayed"] == 1 and sent[-1] == (DLQ, {"0:1"})
    assert len({r.replay_id for r in replays_of(engine)}) == 2
    assert len(audit_rows(engine, "front_door.dead_letters.replay")) == 2


async def test_a_replay_the_broker_refuses_is_not_recorded(api: Any, engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(bootstrap: str, topic: str, ids: set[str] | None = None) -> int:
        raise KafkaConnectionError()

    monkeypatch.setattr(dlq_tools, "replay", broken)
    failed = await api("POST", "/front-door/dead-letters/replay", json={"topic": DLQ, "ids": ["0:1"]})
    assert failed.status_code == 503
    assert replays_of(engine) == []
    assert [(a.outcome, a.status) for a in audit_rows(engine, "front_door.dead_letters.replay")] == [("failed", 503)]
    assert (await api("GET", "/front-door/dead-letters")).json()["counts"]["waiting"] == 2

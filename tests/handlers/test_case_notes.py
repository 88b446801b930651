"""Case notes (issue 23, item 4) over HTTP on migrated SQLite, the three services' apps in-process: a note on a
front-door referral, a service request and a register entry; who may add and read them (the authorization matrix);
nothing on a request held for MASH; a double submit adds one note; each note and its event (ids only) in one
transaction; every read and write audited with the child; the words never in a log line, a metric or an error."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import TOPIC_DECISIONS, TOPIC_DSR_CHANGES, TOPIC_OUTCOMES, ServiceRequestCreated
from schemas.events import DsrNoteAdded, ReferralNoteAdded, ServiceRequestNoteAdded
from services.common.auth import mint_dev_token
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.common.tables import AuditEntry, OutboxMessage
from services.dsr.main import create_app as dsr_app
from services.dsr.tables import DsrNote
from services.intake.main import create_app as intake_app
from services.intake.tables import ReferralNote
from services.worklists.handlers import decide_held, receive
from services.worklists.main import create_app as worklists_app
from services.worklists.tables import ServiceRequestNote
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import submit
from tests.handlers.test_dsr import applied, decision

CANARY = "Canary-note: her aunt rang about Bramblewick, the dog that frightens her."
SECRET = "Bramblewick"  # the canary's own word (no referral's canary has it)
NOTES: dict[str, Any] = {"intake": ReferralNote, "worklists": ServiceRequestNote, "dsr": DsrNote}


class Apis:
    """The three services' APIs in-process on one database, called as anyone."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.apps = {"intake": intake_app(settings, engine=engine), "worklists": worklists_app(settings, engine=engine),
                     "dsr": dsr_app(settings, engine=engine)}

    async def call(self, service: str, method: str, path: str, role: str, *, subject: str | None = None,
                   name: str | None = "Dana Wright", json: Any = None) -> httpx.Response:
        token = mint_dev_token(self.settings, subject=subject or f"{role}-1", roles=[role], name=name)
        transport = httpx.ASGITransport(app=self.apps[service])
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            return await client.request(method, path, json=json, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url))


@pytest.fixture
async def apis(settings: Settings, engine: Engine) -> AsyncIterator[Apis]:
    yield Apis(settings, engine)


@pytest.fixture
def logs() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=buffer)
    return buffer


def request_for(session: Session, *, service: str = "semh", held: bool = False,
                child_id: uuid.UUID | None = None) -> ServiceRequestCreated:
    event = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=uuid.uuid4(),
        child_id=child_id or uuid.uuid4(), service=service, pathway="camhs", priority="urgent", due_by=NOW, held=held,
        reasons=[{"rule_id": "semh.urgent", "because": "Self-harm reported in the last month."}],
        details={"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2014-02-27"})
    assert receive(session, event, NOW)
    session.commit()
    return event


def note(text: str = "Rang the school: the SENCO will call back on Friday.") -> dict[str, str]:
    return {"text": text, "key": str(uuid.uuid4())}


def outbox(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.payload).contains("note_added"))).all())


def notes_in(session: Session, table: Any) -> list[Any]:
    session.expire_all()
    return list(session.exec(select(table)).all())


# what a note is, on each of the three things

async def test_the_front_door_adds_notes_to_a_referral_read_newest_first_with_who_and_when(
        apis: Apis, session: Session) -> None:
    record = submit(session)
    path = f"/front-door/referrals/{record.id}/notes"
    first = await apis.call("intake", "POST", path, "front_door", json=note("Rang mum: no answer."))
    second = await apis.call("intake", "POST", path, "front_door_manager", subject="jordan", name="Jordan Price",
                             json=note("Mum rang back:\nshe agrees to the referral."))
    assert (first.status_code, second.status_code) == (201, 201)
    listed = (await apis.call("intake", "GET", path, "front_door")).json()
    assert [(n["text"], n["by_name"], n["team"]) for n in listed] == [
        ("Mum rang back:\nshe agrees to the referral.", "Jordan Price", "front_door"),
        ("Rang mum: no answer.", "Dana Wright", "front_door")]
    assert listed[0]["referral_id"] == str(record.id) and listed[0]["by"] == "jordan" and listed[0]["at"]
    [a, b] = outbox(session)
    events = [ReferralNoteAdded.model_validate_json(row.payload) for row in (a, b)]
    assert {(row.topic, row.key) for row in (a, b)} == {(TOPIC_DECISIONS, str(record.child_id))}
    assert {e.note_id for e in events} == {uuid.UUID(n["note_id"]) for n in listed}
    assert all(e.referral_id == record.id and e.child_id == record.child_id for e in events)
    assert "Rang mum" not in a.payload + b.payload  # ids only: the words stay with intake


async def test_a_service_worker_adds_notes_to_its_request_with_its_event_on_the_outcomes_topic(
        apis: Apis, session: Session) -> None:
    event = request_for(session)
    path = f"/worklists/semh/requests/{event.service_request_id}/notes"
    added = await apis.call("worklists", "POST", path, "worker:semh", name="Aisha Khan", json=note("Saw Sam."))
    assert added.status_code == 201
    assert added.json()["team"] == "semh" and added.json()["service_request_id"] == str(event.service_request_id)
    assert [n["text"] for n in (await apis.call("worklists", "GET", path, "worker:semh")).json()] == ["Saw Sam."]
    [row] = outbox(session)
    sent = ServiceRequestNoteAdded.model_validate_json(row.payload)
    assert (row.topic, row.key) == (TOPIC_OUTCOMES, str(event.child_id))
    assert (sent.service_request_id, sent.referral_id, sent.service.value, sent.team) == (
        event.service_request_id, event.referral_id, "semh", "semh")
    child = await apis.call("worklists", "GET", f"/worklists/semh/children/{event.child_id}/notes", "worker:semh")
    assert [n["note_id"] for n in child.json()] == [added.json()["note_id"]]


async def test_the_dsr_panel_adds_notes_to_an_entry_and_its_event_goes_on_the_registers_topic(
        apis: Apis, session: Session) -> None:
    entry = applied(session, decision(uuid.uuid4()))
    path = f"/dsr/entries/{entry.id}/notes"
    added = await apis.call("dsr", "POST", path, "dsr_chair", name="Alex Morgan", json=note("Ward bed offered."))
    assert added.status_code == 201 and added.json()["team"] == "dsr_panel"
    assert [n["by_name"] for n in (await apis.call("dsr", "GET", path, "dsr_panel")).json()] == ["Alex Morgan"]
    [row] = outbox(session)
    sent = DsrNoteAdded.model_validate_json(row.payload)
    assert (row.topic, row.key, sent.entry_id, sent.child_id) == (TOPIC_DSR_CHANGES, str(entry.child_id), entry.id,
                                                                    entry.child_id)
    child = await apis.call("dsr", "GET", f"/dsr/children/{entry.child_id}/notes", "dsr_panel")
    assert [n["entry_id"] for n in child.json()] == [str(entry.id)]


async def test_the_front_doors_notes_on_a_child_are_those_on_all_its_referrals(apis: Apis, session: Session) -> None:
    record = submit(session)
    other = submit(session, child__nhs_number=..., child__given_name="Blake")
    for r in (record, other):
        assert (await apis.call("intake", "POST", f"/front-door/referrals/{r.id}/notes", "front_door",
                                json=note(f"About {r.id}"))).status_code == 201
    listed = (await apis.call("intake", "GET", f"/children/{record.child_id}/notes", "front_door")).json()
    assert [n["text"] for n in listed] == [f"About {record.id}"]


# a double submit, and the words a person meets when a note is refused

@pytest.mark.parametrize("service", ["intake", "worklists", "dsr"])
async def test_the_same_form_sent_twice_adds_one_note_and_one_event(apis: Apis, session: Session,
                                                                     service: str) -> None:
    path, role = thing(session, service)
    body = note()
    first = await apis.call(service, "POST", path, role, json=body)
    again = await apis.call(service, "POST", path, role, json=body)  # a refresh, or Back then send
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert len(notes_in(session, NOTES[service])) == 1 and len(outbox(session)) == 1
    reused = await apis.call(service, "POST", path, role, json=body | {"text": "Other words, same form"})
    assert reused.status_code == 409 and "Other words" not in reused.text
    assert len(notes_in(session, NOTES[service])) == 1 and len(outbox(session)) == 1
    someone_else = await apis.call(service, "POST", path, role, subject="colleague", json=body)
    assert someone_else.status_code == 201  # a key is the writer's own: a colleague's note is theirs
    assert len(notes_in(session, NOTES[service])) == 2 and len(outbox(session)) == 2


@pytest.mark.parametrize("service", ["intake", "worklists", "dsr"])
@pytest.mark.parametrize(("text", "type_"), [("", "string_too_short"), ("   ", "string_too_short"),
                                             (CANARY * 100, "string_too_long")])
async def test_an_empty_or_too_long_note_is_refused_naming_the_field_never_the_words(
        apis: Apis, session: Session, service: str, text: str, type_: str) -> None:
    path, role = thing(session, service)
    refused = await apis.call(service, "POST", path, role, json=note(text))
    assert refused.status_code == 422
    assert [(p["field"], p["type"]) for p in refused.json()["errors"]] == [("text", type_)]
    assert "Canary" not in refused.text and SECRET not in refused.text
    assert notes_in(session, NOTES[service]) == [] and outbox(session) == []


def thing(session: Session, service: str) -> tuple[str, str]:
    """A path to add notes to on `service`, and a role that may."""
    if service == "intake":
        return f"/front-door/referrals/{submit(session).id}/notes", "front_door"
    if service == "worklists":
        return f"/worklists/semh/requests/{request_for(session).service_request_id}/notes", "worker:semh"
    return f"/dsr/entries/{applied(session, decision(uuid.uuid4())).id}/notes", "dsr_panel"


# who may add and read notes: the authorization matrix

ROLES = ("referrer", "front_door", "front_door_manager", "worker:semh", "worker:salt", "worker:safeguarding",
         "dsr_panel", "dsr_chair", "dsr_referrer", "manager", "admin")
MAY = {  # (thing, read or add) -> the roles allowed; every other role is refused 403
    ("referral", "read"): {"front_door", "front_door_manager"},
    ("referral", "add"): {"front_door", "front_door_manager"},
    ("request", "read"): {"worker:semh"}, ("request", "add"): {"worker:semh"},
    ("entry", "read"): {"dsr_panel", "dsr_chair"}, ("entry", "add"): {"dsr_panel", "dsr_chair"},
    ("child referrals", "read"): {"front_door", "front_door_manager"},
    ("child requests", "read"): {"worker:semh"}, ("child entries", "read"): {"dsr_panel", "dsr_chair"},
}


async def test_who_may_add_and_read_notes(apis: Apis, session: Session) -> None:
    record, request, entry = submit(session), request_for(session), applied(session, decision(uuid.uuid4()))
    paths = {"referral": ("intake", f"/front-door/referrals/{record.id}/notes"),
             "request": ("worklists", f"/worklists/semh/requests/{request.service_request_id}/notes"),
             "entry": ("dsr", f"/dsr/entries/{entry.id}/notes"),
             "child referrals": ("intake", f"/children/{record.child_id}/notes"),
             "child requests": ("worklists", f"/worklists/semh/children/{request.child_id}/notes"),
             "child entries": ("dsr", f"/dsr/children/{entry.child_id}/notes")}
    found: dict[tuple[str, str], set[str]] = {}
    for (what, how), _ in MAY.items():
        service, path = paths[what]
        for role in ROLES:
            answer = await apis.call(service, "GET" if how == "read" else "POST", path, role, subject=f"{role}-x",
                                     json=note() if how == "add" else None)
            assert answer.status_code in (200, 201, 403, 404), (what, how, role, answer.status_code)
            if answer.status_code in (200, 201):
                found.setdefault((what, how), set()).add(role)
            elif role not in ("dsr_referrer",):  # a dsr_referrer's own entries are a test of their own
                assert answer.status_code == 403, (what, how, role, answer.status_code)
    assert found == MAY


async def test_a_dsr_referrer_reads_the_notes_of_an_entry_they_added_and_of_no_other(
        apis: Apis, session: Session) -> None:
    from tests.handlers.test_dsr_direct import body

    added = await apis.call("dsr", "POST", "/dsr/entries", "dsr_referrer", subject="robin", json=body())
    assert added.status_code == 201, added.text
    mine = added.json()["entry_id"]
    theirs = applied(session, decision(uuid.uuid4())).id
    for entry_id in (mine, theirs):
        assert (await apis.call("dsr", "POST", f"/dsr/entries/{entry_id}/notes", "dsr_panel",
                                json=note("Panel's note"))).status_code == 201
    read = await apis.call("dsr", "GET", f"/dsr/entries/{mine}/notes", "dsr_referrer", subject="robin")
    assert [n["text"] for n in read.json()] == ["Panel's note"]
    assert (await apis.call("dsr", "GET", f"/dsr/entries/{theirs}/notes", "dsr_referrer",
                            subject="robin")).status_code == 404
    assert (await apis.call("dsr", "POST", f"/dsr/entries/{mine}/notes", "dsr_referrer", subject="robin",
                            json=note())).status_code == 403  # a note is the panel's to write


async def test_a_request_held_for_mash_takes_and_shows_no_note_until_mash_releases_it(
        apis: Apis, session: Session) -> None:
    event = request_for(session, held=True)
    path = f"/worklists/semh/requests/{event.service_request_id}/notes"
    assert (await apis.call("worklists", "POST", path, "worker:semh", json=note())).status_code == 409
    refused = await apis.call("worklists", "GET", path, "worker:semh")
    assert refused.status_code == 409 and "MASH" in refused.json()["title"]
    assert (await apis.call("worklists", "GET", f"/worklists/semh/children/{event.child_id}/notes",
                            "worker:semh")).json() == []
    assert notes_in(session, ServiceRequestNote) == [] and outbox(session) == []
    decide_held(session, event.referral_id, "release", by="mash-1", now=NOW, reason="Safe to go ahead")
    session.commit()
    assert (await apis.call("worklists", "POST", path, "worker:semh", json=note())).status_code == 201
    assert len((await apis.call("worklists", "GET", path, "worker:semh")).json()) == 1


async def test_notes_on_something_missing_or_another_services_are_not_found(apis: Apis, session: Session) -> None:
    salt = request_for(session, service="salt")
    for service, path, role in [
        ("intake", f"/front-door/referrals/{uuid.uuid4()}/notes", "front_door"),
        ("worklists", f"/worklists/semh/requests/{salt.service_request_id}/notes", "worker:semh"),
        ("dsr", f"/dsr/entries/{uuid.uuid4()}/notes", "dsr_panel"),
    ]:
        assert (await apis.call(service, "GET", path, role)).status_code == 404
        assert (await apis.call(service, "POST", path, role, json=note())).status_code == 404
    assert outbox(session) == []


# audited; never in a log line, a metric or an error

async def test_reading_and_adding_notes_is_audited_with_the_child(apis: Apis, session: Session,
                                                                  engine: Engine) -> None:
    record = submit(session)
    path = f"/front-door/referrals/{record.id}/notes"
    await apis.call("intake", "POST", path, "front_door", json=note())
    await apis.call("intake", "GET", path, "front_door")
    await apis.call("intake", "GET", path, "worker:semh")
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry).where(col(AuditEntry.action).in_(
            ("front_door.note", "front_door.notes", f"GET {path.replace(str(record.id), '{referral_id}')}"))
        ).order_by(col(AuditEntry.id))).all()
        assert [(r.action, r.outcome, r.referral_id, r.child_id) for r in rows] == [
            ("front_door.note", "allowed", record.id, record.child_id),
            ("front_door.notes", "allowed", record.id, record.child_id),
            ("GET /front-door/referrals/{referral_id}/notes", "refused", record.id, None)]


async def test_a_notes_words_reach_no_log_line_metric_or_error(apis: Apis, session: Session,
                                                               logs: io.StringIO) -> None:
    for service in ("intake", "worklists", "dsr"):
        path, role = thing(session, service)
        body = note(CANARY)
        answers = [await apis.call(service, "POST", path, role, json=body),
                   await apis.call(service, "POST", path, role, json=body),
                   await apis.call(service, "POST", path, role, json=body | {"text": CANARY + " again"}),
                   await apis.call(service, "POST", path, role, json=note(CANARY * 100)),
                   await apis.call(service, "POST", path, "referrer", json=note(CANARY)),
                   await apis.call(service, "GET", path, role)]
        assert [a.status_code for a in answers] == [201, 200, 409, 422, 403, 200]
        assert all(SECRET not in a.text for a in answers[2:5])
        metrics = await apis.call(service, "GET", "/metrics", role)
        assert metrics.status_code == 200 and SECRET not in metrics.text
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
    assert any(line.get("event") == "http request" for line in lines)
    assert SECRET not in logs.getvalue()
    assert len(outbox(session)) == 3 and all(SECRET not in row.payload for row in outbox(session))

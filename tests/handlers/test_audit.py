"""The access audit (issue 12, item 13), on migrated SQLite: every access to personal data, allowed or refused
(401, 403, 404, 409, 422), leaves a row that survives the rollback, with outcome, HTTP status and client address;
list reads name every child they showed; the rows form a hash chain `frontdoor audit verify` checks; and
`frontdoor audit who-saw` answers "who saw this child". The services' real apps, in-process (no broker)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.audit import verify, who_saw
from services.common.auth import mint_dev_token
from services.common.db import make_engine, migrate
from services.common.embedded_broker import free_port
from services.common.settings import Settings, get_settings
from services.common.tables import AuditChild, AuditEntry
from services.common.transactions import Subject, audit
from services.dsr.main import create_app as dsr_app
from services.intake.front_door.routes import queue_children
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app
from tests.handlers.conftest import principal
from tests.handlers.intake_support import BY, submit
from tests.handlers.test_dsr import CHAIR, new_entry
from tests.handlers.test_worklists import put

ADDRESS = "127.0.0.1"  # httpx's ASGI transport gives this client address


def token(settings: Settings, subject: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=subject, roles=[role])}"}


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url))


@pytest.fixture
async def dsr(engine: Engine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=dsr_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://dsr") as client:
        yield client


def rows(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())


def children_of_row(engine: Engine, row: AuditEntry) -> set[uuid.UUID]:
    with Session(engine) as s:
        return set(s.exec(select(AuditChild.child_id).where(AuditChild.audit_id == row.id)).all())


def summary(row: AuditEntry) -> tuple[Any, ...]:
    return row.actor, row.role, row.action, row.outcome, row.status, row.client_address


# --- refused and allowed accesses --------------------------------------------------------------------

async def test_a_read_refused_by_the_use_case_keeps_its_row_after_the_rollback(
        dsr: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    unknown = uuid.uuid4()
    answer = await dsr.get(f"/dsr/entries/{unknown}", headers=token(settings, CHAIR, "dsr_panel"))
    assert answer.status_code == 404
    [row] = rows(engine)
    assert summary(row) == (CHAIR, "dsr_panel", "dsr.read", "not_found", 404, ADDRESS)
    assert row.record_id == unknown


async def test_a_change_refused_with_409_keeps_its_row_and_nothing_else(
        dsr: httpx.AsyncClient, settings: Settings, engine: Engine, session: Session) -> None:
    entry = new_entry(session)
    panel = token(settings, CHAIR, "dsr_panel")
    close = f"/dsr/entries/{entry.id}/close"
    assert (await dsr.post(close, json={"reason": "other"}, headers=panel)).status_code == 200
    assert (await dsr.post(close, json={"reason": "other"}, headers=panel)).status_code == 409
    assert [summary(r) + (r.record_id,) for r in rows(engine)] == [
        (CHAIR, "dsr_panel", "dsr.close", "allowed", 200, ADDRESS, entry.id),
        (CHAIR, "dsr_panel", "dsr.close", "refused", 409, ADDRESS, entry.id)]


async def test_a_role_check_and_a_missing_token_are_audited_with_the_record_asked_for(
        dsr: httpx.AsyncClient, settings: Settings, engine: Engine, session: Session) -> None:
    entry = new_entry(session)
    path = f"/dsr/entries/{entry.id}"
    assert (await dsr.get(path, headers=token(settings, "school-a", "referrer"))).status_code == 403
    assert (await dsr.get(path)).status_code == 401
    assert (await dsr.get(path, headers={"Authorization": "Bearer forged"})).status_code == 401
    assert [summary(r) + (r.record_id,) for r in rows(engine)] == [
        ("school-a", "referrer", "GET /dsr/entries/{entry_id}", "refused", 403, ADDRESS, entry.id),
        ("", "", "GET /dsr/entries/{entry_id}", "refused", 401, ADDRESS, entry.id),
        ("", "", "GET /dsr/entries/{entry_id}", "refused", 401, ADDRESS, entry.id)]
    with Session(engine) as s:  # the attempt shows when the child's record is asked about
        assert [(w["actor"], w["outcome"], w["how"]) for w in who_saw(s, entry.child_id)][0] == (
            "school-a", "refused", "through a record of the child")


async def test_a_body_that_does_not_validate_is_audited_as_refused(
        dsr: httpx.AsyncClient, settings: Settings, engine: Engine, session: Session) -> None:
    entry = new_entry(session)
    answer = await dsr.post(f"/dsr/entries/{entry.id}/reviews", json={"rating": "purple"},
                            headers=token(settings, CHAIR, "dsr_panel"))
    assert answer.status_code == 422
    [row] = rows(engine)
    assert summary(row) + (row.record_id,) == (
        CHAIR, "dsr_panel", "POST /dsr/entries/{entry_id}/reviews", "refused", 422, ADDRESS, entry.id)


async def test_an_allowed_read_has_one_row(dsr: httpx.AsyncClient, settings: Settings, engine: Engine,
                                           session: Session) -> None:
    entry = new_entry(session)
    assert (await dsr.get(f"/dsr/entries/{entry.id}", headers=token(settings, CHAIR, "dsr_panel"))).status_code == 200
    assert [summary(r) for r in rows(engine)] == [(CHAIR, "dsr_panel", "dsr.read", "allowed", 200, ADDRESS)]


# --- list reads name every child ---------------------------------------------------------------------

async def test_the_agenda_and_the_register_export_record_every_child_shown(
        dsr: httpx.AsyncClient, settings: Settings, engine: Engine, session: Session) -> None:
    entries = [new_entry(session), new_entry(session)]
    panel = token(settings, CHAIR, "dsr_panel")
    assert len((await dsr.get("/dsr/agenda", headers=panel)).json()) == 2
    assert (await dsr.get("/dsr/export.csv", headers=panel)).status_code == 200
    agenda, export = rows(engine)
    assert (agenda.action, export.action) == ("dsr.agenda", "dsr.export")
    assert children_of_row(engine, agenda) == children_of_row(engine, export) == {e.child_id for e in entries}


async def test_a_worklist_records_every_child_shown(engine: Engine, settings: Settings, session: Session) -> None:
    items = [put(session), put(session), put(session, "semh")]
    transport = httpx.ASGITransport(app=worklists_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://worklists") as api:
        shown = await api.get("/worklists/salt", headers=token(settings, "worker-1", "worker:salt"))
        assert len(shown.json()) == 2
        refused = await api.get("/worklists/salt", headers=token(settings, "worker-2", "worker:semh"))
        assert refused.status_code == 403
    listed, denied = rows(engine)
    assert summary(listed) == ("worker-1", "worker:salt", "worklist.list", "allowed", 200, ADDRESS)
    assert children_of_row(engine, listed) == {items[0].child_id, items[1].child_id}
    assert summary(denied) == ("worker-2", "worker:semh", "GET /worklists/{service_name}", "refused", 403, ADDRESS)


async def test_a_referrers_list_records_every_child_shown(engine: Engine, settings: Settings,
                                                          session: Session) -> None:
    another = {"child__nhs_number": ..., "child__given_name": "Ada", "child__family_name": "Lovelace"}
    mine = [submit(session), submit(session, **another)]
    transport = httpx.ASGITransport(app=intake_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as api:
        assert len((await api.get("/referrals", headers=token(settings, BY.subject, "referrer"))).json()) == 2
    [listed] = rows(engine)
    assert summary(listed) == (BY.subject, "referrer", "list", "allowed", 200, ADDRESS)
    assert children_of_row(engine, listed) == {r.child_id for r in mine}


def test_the_front_door_queue_names_each_item_s_child_and_its_possible_duplicates() -> None:
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    view = {"items": [{"child_id": a}, {"child_id": b, "possible_duplicate_of": [c]}, {"child_id": None}]}
    assert set(queue_children(view).child_ids) == {uuid.UUID(a), uuid.UUID(b), uuid.UUID(c)}


# --- the hash chain -----------------------------------------------------------------------------------

def write(engine: Engine, count: int, about: Subject = Subject()) -> None:
    for n in range(count):
        with Session(engine) as s:
            audit(s, principal(f"person-{n}", "front_door"), "front_door.read", about, status=200, client="10.0.0.9")
            s.commit()


def run_cli(engine: Engine, *args: str) -> Any:
    get_settings.cache_clear()  # the command reads DATABASE_URL
    try:
        return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": str(engine.url)})
    finally:
        get_settings.cache_clear()


def test_an_intact_chain_verifies(engine: Engine) -> None:
    write(engine, 5, Subject(child_ids=(uuid.uuid4(), uuid.uuid4())))
    done = run_cli(engine, "audit", "verify", "--no-witness")
    assert done.exit_code == 0, done.output
    assert "intact: 5 rows, head row 5" in done.output


def test_verify_checks_a_head_noted_earlier(engine: Engine) -> None:
    write(engine, 3)
    with Session(engine) as s:
        noted = verify(s)
    head = f"{noted.head_id}:{noted.head_hash}"
    write(engine, 1)
    assert run_cli(engine, "audit", "verify", "--head", head).exit_code == 0
    with engine.begin() as conn:  # the tail cut back to before the noted head: the chain itself is still whole
        conn.execute(text("DELETE FROM audit_log WHERE id >= 3"))
    assert run_cli(engine, "audit", "verify", "--no-witness").exit_code == 0
    cut = run_cli(engine, "audit", "verify", "--head", head)
    assert cut.exit_code == 1 and "row 3 is no longer the row noted" in cut.output


def test_verify_says_plainly_when_the_published_head_cannot_be_read_and_fails(engine: Engine) -> None:
    """No broker at KAFKA_BOOTSTRAP_SERVERS: the chain is checked, but without its witness a cut tail or a rewritten
    history cannot be ruled out, so the command says so and exits 3 unless told to check the chain alone."""
    write(engine, 2)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli, ["audit", "verify"], env={
            "DATABASE_URL": str(engine.url), "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"})
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 3, done.output
    assert "not checked against its published head" in done.output and "--no-witness" in done.output
    alone = run_cli(engine, "audit", "verify", "--no-witness")
    assert alone.exit_code == 0 and "Not checked against a published head" in alone.output


def test_verify_names_the_row_after_a_deleted_one(engine: Engine) -> None:
    write(engine, 5)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    done = run_cli(engine, "audit", "verify")
    assert done.exit_code == 1
    assert "broken at row 4" in done.output and "ids 2 to 4" in done.output


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2",
    "UPDATE audit_log SET outcome = 'refused', status = 403 WHERE id = 2",
    "DELETE FROM audit_log_children WHERE audit_id = 2",
])
def test_verify_names_an_edited_row(engine: Engine, tamper: str) -> None:
    write(engine, 4, Subject(child_ids=(uuid.uuid4(),)))
    with engine.begin() as conn:
        conn.execute(text(tamper))
    done = run_cli(engine, "audit", "verify")
    assert done.exit_code == 1
    assert "broken at row 2: its content or child ids were changed" in done.output


def test_writers_racing_on_the_chain_keep_it_whole(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            write(engine, 10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as s:
        result = verify(s)
    assert (result.ok, result.rows, result.head_id) == (True, 40, 40)


def test_rows_written_before_the_chain_are_chained_by_the_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0008")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, role, action) VALUES "
                          "('2026-03-01 09:00:00.000000', 'a', 'referrer', 'read'), "
                          "('2026-03-02 09:00:00.250000', 'b', 'dsr_panel', 'dsr.read')"))
    migrate(url)
    with Session(engine) as s:
        assert verify(s).rows == 2 and verify(s).ok
        assert [r.outcome for r in s.exec(select(AuditEntry)).all()] == ["allowed", "allowed"]
    engine.dispose()


# --- who saw this child --------------------------------------------------------------------------------

def test_who_saw_lists_reads_lists_and_refused_attempts_about_the_child_only(engine: Engine, session: Session) -> None:
    record = submit(session)
    child, other = record.child_id, uuid.uuid4()
    front_door = principal("fd-1", "front_door")
    with Session(engine) as s:
        audit(s, front_door, "front_door.read", Subject(referral_id=record.id, child_id=child), status=200,
              client="10.1.1.1")
        audit(s, principal("w-1", "worker:salt"), "worklist.list", Subject(child_ids=(other, child)), status=200)
        audit(s, principal("w-2", "worker:semh"), "GET /referrals/{referral_id}", Subject(referral_id=record.id),
              outcome="refused", status=403, client="10.2.2.2")
        audit(s, front_door, "front_door.read", Subject(child_id=other), status=200)
        s.commit()
    with Session(engine) as s:
        seen = who_saw(s, child)
    assert [(w["actor"], w["action"], w["outcome"], w["status"], w["client_address"], w["how"]) for w in seen] == [
        ("fd-1", "front_door.read", "allowed", 200, "10.1.1.1", "named"),
        ("w-1", "worklist.list", "allowed", 200, None, "in a list"),
        ("w-2", "GET /referrals/{referral_id}", "refused", 403, "10.2.2.2", "through a record of the child")]

    as_json = run_cli(engine, "audit", "who-saw", str(child), "--format", "json")
    assert as_json.exit_code == 0 and [r["actor"] for r in json.loads(as_json.output)] == ["fd-1", "w-1", "w-2"]
    as_csv = run_cli(engine, "audit", "who-saw", str(child), "--format", "csv").output.splitlines()
    assert as_csv[0].startswith('"at","actor","role","action","outcome","status","client_address"') and len(as_csv) == 4
    table = run_cli(engine, "audit", "who-saw", str(child)).output
    assert "fd-1" in table and "refused 403" in table and "10.2.2.2" in table
    nobody = run_cli(engine, "audit", "who-saw", str(uuid.uuid4()))
    assert nobody.exit_code == 0 and "Nobody" in nobody.output
    assert run_cli(engine, "audit", "who-saw", "not-an-id").exit_code == 2


def test_the_commands_have_help() -> None:
    for command in (["audit", "verify", "--help"], ["audit", "who-saw", "--help"]):
        done = CliRunner().invoke(cli, command)
        assert done.exit_code == 0 and "Usage" in done.output


# --- the portal's drafts ---------------------------------------------------------------------------------

async def test_a_referrers_draft_shown_by_the_portal_is_audited_in_its_database(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    from services.portal import questions
    from services.portal.main import create_app as portal_app
    from tests.handlers.test_portal_forms import page

    settings = Settings(database_url=str(engine.url), portal_url="http://portal.test")
    app = portal_app(settings, engine=engine, transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test") as portal:
        _, csrf = await page(portal, "/sign-in")
        assert (await portal.post("/sign-in", data={"user": "senco-seaview", "csrf_token": csrf})).status_code == 303
        _, csrf = await page(portal, "/referrals/new/child")
        answer = {questions.html_id("child.given_name"): "Ada", "csrf_token": csrf}
        saved = await portal.post("/referrals/new/child", data=answer)
        assert saved.status_code in (303, 422)
        assert (await portal.get("/referrals/new/check")).status_code == 200
    audited = [r for r in rows(engine) if r.action.startswith("portal.")]
    assert [(r.actor, r.role, r.action, r.outcome, r.client_address) for r in audited] == [
        ("senco-seaview", "referrer", "portal.draft.save", "allowed", ADDRESS),
        ("senco-seaview", "referrer", "portal.draft.check", "allowed", ADDRESS)]
    assert len({r.record_id for r in audited}) == 1  # the draft's id
    with Session(engine) as s:
        assert verify(s).ok


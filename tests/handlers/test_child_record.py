"""The child's page's APIs (issue 23, item 2) and each service's part of "who saw this child" (item 8), the
services' real apps in-process on one migrated SQLite database: who may read what about one child (the authorization
matrix of these routes), what a service's worker sees (its own requests, what its sharing list allows, nothing held
for MASH), and that every read is audited with the child."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common import teams
from services.common.audit import append, who_saw
from services.common.auth import Principal, mint_dev_token
from services.common.db import make_engine
from services.common.settings import Settings
from services.common.tables import TeamMember, WorkAssignment
from services.dsr.main import create_app as dsr_app
from services.intake.children.handlers import merge
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app
from tests.factories import CANARY_DOB, CANARY_FAMILY, CANARY_GIVEN, CANARY_NHS
from tests.handlers.child_support import KnownChild, known_child
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import submit


class Apps:
    def __init__(self, engine: Engine) -> None:
        self.settings = Settings(database_url=str(engine.url))
        self.clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=make(self.settings, engine=engine)),
                                                base_url=f"http://{name}")
                        for name, make in (("intake", intake_app), ("worklists", worklists_app), ("dsr", dsr_app))}

    async def get(self, service: str, path: str, role: str, subject: str | None = None, *, name: str | None = None,
                  **params: str) -> httpx.Response:
        token = mint_dev_token(self.settings, subject=subject or f"{role}-person", roles=[role], name=name)
        return await self.clients[service].get(path, headers={"Authorization": f"Bearer {token}"}, params=params)


@pytest.fixture
async def apps(engine: Engine) -> AsyncIterator[Apps]:
    apps = Apps(engine)
    yield apps
    for client in apps.clients.values():
        await client.aclose()


@pytest.fixture
def child(session: Session) -> KnownChild:
    return known_child(session)


async def test_the_front_door_reads_everything_intake_holds_about_the_child_newest_first(
        apps: Apps, child: KnownChild) -> None:
    answer = await apps.get("intake", f"/children/{child.child_id}", "front_door")
    assert answer.status_code == 200
    record = answer.json()
    assert record["child"] == {"given_name": CANARY_GIVEN, "family_name": CANARY_FAMILY, "date_of_birth": CANARY_DOB,
                               "school": "Example Academy", "postcode_district": "SS7", "nhs_number": CANARY_NHS}
    assert record["merged_into"] is None
    assert [r["referral_id"] for r in record["referrals"]] == [str(child.referral.id)]
    assert {(r["service"], r["held"]) for r in record["service_requests"]} == {("counselling", False), ("semh", True)}
    times = [t["at"] for t in record["timeline"]]
    assert times == sorted(times, reverse=True) and {t["kind"] for t in record["timeline"]} >= {"submitted", "decision"}


async def test_a_merged_record_names_the_record_it_was_merged_into(apps: Apps, child: KnownChild,
                                                                   session: Session) -> None:
    other = submit(session, child__given_name="Quilon", child__nhs_number=...).child_id  # before the merge moves it
    merge(session, child.child_id, other, reason="Same child: the school confirmed it", now=NOW,
          by=principal("fd-1", "front_door"))
    session.commit()
    merged = (await apps.get("intake", f"/children/{other}", "front_door")).json()
    assert merged["merged_into"] == str(child.child_id) and merged["referrals"] == []
    survivor = (await apps.get("intake", f"/children/{child.child_id}", "front_door")).json()
    assert [(m["merged_id"], m["reason"]) for m in survivor["merges"]] == [
        (str(other), "Same child: the school confirmed it")]
    assert len(survivor["referrals"]) == 2


async def test_a_worker_sees_only_its_own_requests_with_what_its_sharing_list_allows(
        apps: Apps, child: KnownChild) -> None:
    answer = await apps.get("worklists", f"/worklists/counselling/children/{child.child_id}", "worker:counselling")
    assert answer.status_code == 200
    [request] = answer.json()
    assert request["service_request_id"] == str(child.counselling_request)
    assert set(request["details"]) == {"given_name", "family_name", "date_of_birth", "postcode",
                                       "education_setting_name", "reason"}
    assert CANARY_NHS not in answer.text


async def test_a_request_held_for_mash_shows_its_worker_nothing_of_the_child(apps: Apps, child: KnownChild) -> None:
    answer = await apps.get("worklists", f"/worklists/semh/children/{child.child_id}", "worker:semh")
    assert answer.status_code == 404
    assert CANARY_GIVEN not in answer.text and str(child.held_request) not in answer.text


INTAKE, WORKLIST, ENTRIES = "/children/{c}", "/worklists/counselling/children/{c}", "/dsr/children/{c}/entries"
WHO_SAW = "/children/{c}/who-saw"
READERS = ("front_door", "front_door_manager", "worker:safeguarding", "dsr_panel", "dsr_chair")


@pytest.mark.parametrize(("role", "service", "path", "status"), [
    # intake's record of the child: the front door, MASH and the DSR panel, and their leads
    *[(role, "intake", INTAKE, 200) for role in READERS],
    *[(role, "intake", INTAKE, 403) for role in ("worker:counselling", "worker:semh", "referrer", "manager", "admin",
                                                 "dsr_referrer")],
    # a service's own requests about the child: its workers only; another service's worker never
    ("worker:counselling", "worklists", WORKLIST, 200),
    *[(role, "worklists", WORKLIST, 403) for role in ("worker:semh", "front_door", "dsr_panel", "referrer", "admin")],
    ("worker:semh", "worklists", "/worklists/semh/children/{c}", 404),  # held for MASH: nothing
    ("worker:salt", "worklists", "/worklists/salt/children/{c}", 404),  # none of its own
    # the register's entries of the child
    *[(role, "dsr", ENTRIES, 200) for role in READERS],
    *[(role, "dsr", ENTRIES, 403) for role in ("worker:counselling", "dsr_referrer", "referrer", "manager", "admin")],
    # who saw this child, on every service: the front-door manager and the DSR chair only
    *[(role, service, WHO_SAW, 200) for role in ("front_door_manager", "dsr_chair")
      for service in ("intake", "worklists", "dsr")],
    *[(role, service, WHO_SAW, 403) for role in ("front_door", "dsr_panel", "worker:safeguarding", "manager", "admin",
                                                 "referrer") for service in ("intake", "worklists", "dsr")],
])
async def test_who_may_read_what_about_a_child(apps: Apps, child: KnownChild, role: str, service: str, path: str,
                                               status: int) -> None:
    answer = await apps.get(service, path.format(c=child.child_id), role)
    assert answer.status_code == status
    if status != 200:
        assert CANARY_GIVEN not in answer.text


async def test_an_unknown_child_is_a_404_and_the_register_answers_no_entries(apps: Apps) -> None:
    unknown = uuid.uuid4()
    assert (await apps.get("intake", f"/children/{unknown}", "front_door")).status_code == 404
    entries = await apps.get("dsr", f"/dsr/children/{unknown}/entries", "dsr_panel")
    assert (entries.status_code, entries.json()) == (200, [])


async def test_who_saw_lists_a_view_a_refused_view_and_an_export_and_reading_it_is_audited(
        apps: Apps, child: KnownChild, engine: Engine) -> None:
    c = child.child_id
    assert (await apps.get("intake", f"/children/{c}", "front_door", "dana")).status_code == 200
    assert (await apps.get("intake", f"/children/{c}", "worker:salt", "kim")).status_code == 403
    assert (await apps.get("dsr", "/dsr/export.csv", "dsr_panel", "ruth")).status_code == 200
    first = await apps.get("intake", f"/children/{c}/who-saw", "front_door_manager", "jordan")
    assert first.status_code == 200
    seen = [(r["actor"], r["action"], r["outcome"], r["how"]) for r in first.json()]
    assert ("dana", "child.read", "allowed", "named") in seen
    assert ("kim", "GET /children/{child_id}", "refused", "named") in seen
    assert ("ruth", "dsr.export", "allowed", "in a list") in seen
    assert not any(actor == "jordan" for actor, *_ in seen)  # its own row is written as it ends
    again = await apps.get("dsr", f"/children/{c}/who-saw", "dsr_chair", "alex", export="true")
    reads = [(r["actor"], r["role"], r["action"]) for r in again.json() if r["action"].startswith("audit.")]
    assert reads == [("jordan", "front_door_manager", "audit.who_saw")]
    with Session(engine) as s:
        assert ("alex", "dsr_chair", "audit.who_saw.export") in [(r["actor"], r["role"], r["action"])
                                                                 for r in who_saw(s, c)]
    times = [r["at"] for r in again.json()]
    assert times == sorted(times)


async def test_who_saw_names_each_person_as_the_service_learned_them(
        apps: Apps, child: KnownChild, engine: Engine, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    """People the portal never seeded (signed in through the identity provider) by the name their token gave when
    they used the service; a person whose name only a stored action carries by that; nobody's name guessed."""
    caplog.set_level(logging.DEBUG)
    c = child.child_id
    assert (await apps.get("intake", f"/children/{c}", "front_door", "oidc|7f3a", name="Casey Nguyen")
            ).status_code == 200
    assert (await apps.get("intake", f"/children/{c}", "worker:salt", "oidc|5e1d", name="Lee Park")
            ).status_code == 403  # refused, and still named
    assert (await apps.get("intake", f"/children/{c}", "dsr_panel", "oidc|11b2")).status_code == 200  # no name
    with Session(engine) as s:  # before the services noted people as they signed in: a name kept with what they did
        append(s, actor="oidc|99c0", role="front_door", action="front_door.assign", outcome="allowed", child_id=c)
        s.add(WorkAssignment(id=uuid.uuid4(), item_id=child.referral.id, team="front_door", change="picked_up",
                             assigned_to="oidc|99c0", by="oidc|99c0", by_name="Sam Okafor", at=NOW))
        s.commit()
    answer = await apps.get("intake", f"/children/{c}/who-saw", "front_door_manager", "jordan")
    names = {r["actor"]: r["name"] for r in answer.json()}
    assert names == {"oidc|7f3a": "Casey Nguyen", "oidc|5e1d": "Lee Park", "oidc|11b2": None,
                     "oidc|99c0": "Sam Okafor"}
    logged = caplog.text + "".join(capsys.readouterr())
    assert "/children/" in logged and all(name not in logged for name in ("Casey Nguyen", "Lee Park", "Sam Okafor"))


def test_a_person_is_noted_as_they_sign_in_at_most_once_an_hour_and_by_their_latest_name(engine: Engine) -> None:
    casey = Principal("oidc|7f3a", frozenset({"dsr_chair"}), name="Casey Nguyen")

    def noted() -> list[tuple[str, str | None, object]]:
        with Session(engine) as s:
            return [(m.team, m.name, m.last_seen) for m in s.exec(select(TeamMember)).all()]

    teams.signed_in(engine, casey, NOW)
    assert noted() == [("dsr_panel", "Casey Nguyen", NOW)]  # the team a lead leads
    teams.signed_in(engine, casey, NOW + timedelta(minutes=50))
    another_process = make_engine(str(engine.url))  # its own memory: the table says she was seen lately
    teams.signed_in(another_process, casey, NOW + timedelta(minutes=55))
    another_process.dispose()
    assert noted() == [("dsr_panel", "Casey Nguyen", NOW)]
    teams.signed_in(engine, casey, NOW + timedelta(minutes=61))
    assert noted() == [("dsr_panel", "Casey Nguyen", NOW + timedelta(minutes=61))]
    teams.signed_in(engine, Principal("oidc|7f3a", frozenset({"dsr_chair"}), name="Casey Ng"),
                    NOW + timedelta(minutes=62))  # a new name is noted at once
    teams.signed_in(engine, Principal("oidc|7f3a", frozenset({"dsr_chair"})), NOW + timedelta(hours=3))  # no name
    assert noted() == [("dsr_panel", "Casey Ng", NOW + timedelta(hours=3))]
    teams.signed_in(engine, Principal("oidc|0000", frozenset()), NOW)  # no role: no team to note them in
    assert len(noted()) == 1


def test_noting_a_person_never_fails_their_request_nor_logs_their_name(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no team_members: every note fails
    casey = Principal("oidc|7f3a", frozenset({"front_door"}), name="Casey Nguyen")
    try:
        teams.signed_in(unmigrated, casey, NOW)
        teams.signed_in(unmigrated, casey, NOW + timedelta(seconds=1))  # not remembered as noted: tried again
    finally:
        unmigrated.dispose()
    logged = caplog.text + "".join(capsys.readouterr())
    assert logged.count("team member not noted") == 2 and "Casey" not in logged

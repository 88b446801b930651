"""Find a child, who finds whom (issue 23, item 1), the authorization matrix of the three searches on the services'
real apps (in-process, one migrated SQLite database): the front door, MASH and the DSR panel search every child;
a service's workers only the children of their own service's requests, never one held for MASH; the panel finds
people on the register (adults too), never one whose consent was withdrawn; referrers, managers and administrators
find nobody. Every search is audited with the children it showed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.common.tables import AuditChild, AuditEntry
from services.dsr.main import create_app as dsr_app
from services.dsr.tables import DsrEntry
from services.intake.main import create_app as intake_app
from services.worklists.main import create_app as worklists_app
from tests.handlers.test_dsr import new_entry
from tests.handlers.test_worklists import put

SEARCHES = {"intake": "/children/search", "worklists": "/worklists/salt/search", "dsr": "/dsr/search"}
# Which roles each search admits (anyone else: 403, and the refusal is audited)
ADMITTED = {
    "intake": {"front_door", "worker:safeguarding", "dsr_panel"},
    "worklists": {"worker:salt"},
    "dsr": {"dsr_panel"},
}
ROLES = ["referrer", "manager", "admin", "front_door", "dsr_panel", "dsr_referrer", "worker:salt", "worker:semh",
         "worker:safeguarding"]


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url))


@pytest.fixture
async def apps(engine: Engine, settings: Settings) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made = {"intake": intake_app, "worklists": worklists_app, "dsr": dsr_app}
    clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app(settings, engine=engine)),
                                       base_url=f"http://{name}") for name, app in made.items()}
    yield clients
    for client in clients.values():
        await client.aclose()


def as_role(settings: Settings, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=f'{role}-1', roles=[role])}"}


def request(session: Session, service: str, child: uuid.UUID, name: str, *, held: bool = False,
            school: str | None = None, nhs_number: str | None = None) -> None:
    item = put(session, service, held=held)
    given, family = name.split(" ", 1)
    item.child_id = child
    item.details = {"given_name": given, "family_name": family, "date_of_birth": "2015-07-03", "postcode": "TS1 3BA",
                    **({"education_setting_name": school} if school else {}),
                    **({"nhs_number": nhs_number} if nhs_number else {})}
    session.add(item)
    session.commit()


ZOE, SAM, AMY = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def stored(engine: Engine) -> dict[str, Any]:
    """Salt has Zoe's request and Sam's, held for MASH; SEMH has Amy's. The register has an adult and a person whose
    consent was withdrawn."""
    with Session(engine, expire_on_commit=False) as session:
        request(session, "salt", ZOE, "Zoë Smith-Jones", school="Linthorpe Primary")
        request(session, "salt", SAM, "Sam Smith-Jones", held=True, nhs_number="9434765919")
        request(session, "semh", AMY, "Amy Smith-Jones")
        adult = new_entry(session)
        adult.given_name, adult.family_name, adult.date_of_birth = "Jordan", "Smith-Jones", date(1990, 4, 2)
        hidden = new_entry(session)
        hidden.given_name, hidden.family_name, hidden.suppressed = "Hidden", "Smith-Jones", True
        session.add_all([adult, hidden])
        session.commit()
        return {"adult": adult, "hidden": hidden}


def found(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(r["given_name"], r["child_id"]) for r in answer.json()["results"]]


def last_audit(engine: Engine) -> tuple[AuditEntry, set[uuid.UUID]]:
    with Session(engine) as s:
        row = s.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
        assert row is not None
        return row, set(s.exec(select(AuditChild.child_id).where(AuditChild.audit_id == row.id)).all())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("search", SEARCHES)
async def test_each_search_admits_only_its_roles(apps: dict[str, httpx.AsyncClient], settings: Settings,
                                                 engine: Engine, stored: dict[str, Any], search: str,
                                                 role: str) -> None:
    answer = await apps[search].get(SEARCHES[search], params={"q": "Smith Jones"}, headers=as_role(settings, role))
    assert answer.status_code == (200 if role in ADMITTED[search] else 403)
    assert "Smith" not in answer.text or answer.status_code == 200
    row, shown = last_audit(engine)
    assert (row.role, row.outcome, row.status) == (role, "allowed" if answer.status_code == 200 else "refused",
                                                   answer.status_code)
    assert shown == {uuid.UUID(r["child_id"]) for r in (answer.json()["results"] if answer.status_code == 200 else [])}


async def test_a_worker_finds_only_its_own_services_children_and_never_one_held_for_mash(
        apps: dict[str, httpx.AsyncClient], settings: Settings, engine: Engine, stored: dict[str, Any]) -> None:
    salt, semh = as_role(settings, "worker:salt"), as_role(settings, "worker:semh")
    search = apps["worklists"]
    assert found(await search.get("/worklists/salt/search", params={"q": "smith jones"}, headers=salt)) == [
        ("Zoë", str(ZOE))]
    row, shown = last_audit(engine)
    assert (row.action, shown) == ("worklist.search.name", {ZOE})
    for held in ("Sam Smith-Jones", "943 476 5919", "3/7/2015"):  # Sam's request waits for MASH: not by any key
        assert str(SAM) not in {c for _, c in found(await search.get("/worklists/salt/search", params={"q": held},
                                                                      headers=salt))}
    assert found(await search.get("/worklists/semh/search", params={"q": "smith jones"}, headers=semh)) == [
        ("Amy", str(AMY))]
    refused = await search.get("/worklists/semh/search", params={"q": "smith jones"}, headers=salt)
    assert refused.status_code == 403  # another service's search is not theirs to use


async def test_a_workers_result_shows_what_tells_children_apart_and_nothing_more(
        apps: dict[str, httpx.AsyncClient], settings: Settings, stored: dict[str, Any]) -> None:
    answer = await apps["worklists"].get("/worklists/salt/search", params={"q": "Zoe Smith-Jones"},
                                         headers=as_role(settings, "worker:salt"))
    assert answer.json()["results"] == [{
        "child_id": str(ZOE), "given_name": "Zoë", "family_name": "Smith-Jones", "date_of_birth": "2015-07-03",
        "school": "Linthorpe Primary", "postcode_district": "TS1", "matched": "name"}]


async def test_the_panel_finds_people_on_the_register_adults_too_never_one_whose_consent_was_withdrawn(
        apps: dict[str, httpx.AsyncClient], settings: Settings, engine: Engine, stored: dict[str, Any]) -> None:
    panel = as_role(settings, "dsr_panel")
    adult: DsrEntry = stored["adult"]
    answer = await apps["dsr"].get("/dsr/search", params={"q": "jordan smith jones"}, headers=panel)
    assert found(answer) == [("Jordan", str(adult.child_id))]
    assert answer.json()["results"][0]["entry_id"] == str(adult.id)
    assert found(await apps["dsr"].get("/dsr/search", params={"q": "2/4/1990"}, headers=panel)) == [
        ("Jordan", str(adult.child_id))]
    assert found(await apps["dsr"].get("/dsr/search", params={"q": "Hidden Smith-Jones"}, headers=panel)) == [
        ("Jordan", str(adult.child_id))]  # the family name alone finds Jordan; the hidden person is not found at all
    row, shown = last_audit(engine)
    assert (row.action, shown) == ("dsr.search.name", {adult.child_id})

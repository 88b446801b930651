"""Find a child (issue 23, item 1), intake's search on SQLite and on PostgreSQL alike (TEST_DATABASE_URL; pg_trgm
pre-selects there, the same ranking decides on both): a table of queries that find the right children, a merge and
its undo, the index of referrals stored before the search existed, and the API with its audit rows."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from services.common.auth import mint_dev_token
from services.common.db import alembic_config, make_engine
from services.common.logging import configure_logging
from services.common.search import reference_of
from services.common.settings import Settings
from services.common.tables import AuditChild, AuditEntry
from services.demo import sample_nhs_number
from services.intake.children import handlers as children
from services.intake.main import create_app as intake_app
from services.intake.referrals import handlers
from services.intake.search import views
from services.intake.tables import ReferralRecord
from tests.databases import POSTGRES, postgres_schema
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import DAY, decided, submit

NHS = sample_nhs_number(31)
SPACED_NHS = f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}"
UPN = "H801200001001"
FRONT_DOOR = principal("fd-1", "front_door")

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES.startswith("postgresql"), reason="needs PostgreSQL (TEST_DATABASE_URL)"))]


@pytest.fixture(params=DATABASES)
def db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database of the test's own: SQLite (the handler tests' copy) or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield request.getfixturevalue("engine")
        return
    with postgres_schema("frontdoor_search") as (_, engine):
        yield engine


def school(name: str) -> dict[str, Any]:
    return {"name": name, "has_mhst": False}


CHILDREN: dict[str, dict[str, Any]] = {
    "Zoë Smith-Jones": dict(child__date_of_birth="2015-07-03", child__nhs_number=NHS, child__upn=UPN,
                            child__postcode="TS1 3BA", child__education_setting=school("Linthorpe Primary")),
    "Amy Smith-Jones": dict(child__date_of_birth="2013-01-09", child__nhs_number=..., child__postcode="TS1 4DE",
                            child__education_setting=school("Linthorpe Primary")),
    "Sam Lee": dict(child__date_of_birth="2015-03-07", child__nhs_number=..., child__postcode="SS7 3QZ",
                    child__education_setting=school("Seaview Infants")),
    "Samuel Leigh": dict(child__date_of_birth="2014-05-01", child__nhs_number=..., child__postcode="TS10 1AA",
                         child__education_setting=...),
    "Siobhán O'Brien": dict(child__date_of_birth="2016-11-30", child__nhs_number=..., child__postcode="SS7 1AB",
                            child__education_setting=school("Seaview Infants")),
}


def referred(session: Session) -> dict[str, ReferralRecord]:
    made = {}
    for name, changes in CHILDREN.items():
        given, family = name.split(" ", 1)
        made[name] = submit(session, child__given_name=given, child__family_name=family, **changes)
    return made


def names(answer: dict[str, Any]) -> list[str]:
    return [f"{r['given_name']} {r['family_name']}" for r in answer["results"]]


CASES = [
    ("zoe smith jones", ["Zoë Smith-Jones", "Amy Smith-Jones"]),  # accents and hyphens ignored; her sister after
    ("Zoë Smith-Jones", ["Zoë Smith-Jones", "Amy Smith-Jones"]),
    ("smithjones", ["Amy Smith-Jones", "Zoë Smith-Jones"]),
    ("Smith Jones", ["Amy Smith-Jones", "Zoë Smith-Jones"]),
    ("Zoey Smyth-Jones", ["Zoë Smith-Jones", "Amy Smith-Jones"]),  # misspelt
    ("Sma Lee", ["Sam Lee"]),  # misspelt
    ("samuel", ["Samuel Leigh", "Sam Lee"]),
    ("siobhan obrien", ["Siobhán O'Brien"]),
    ("Shiobhan O Brian", ["Siobhán O'Brien"]),
    (SPACED_NHS, ["Zoë Smith-Jones"]),  # spaces in an NHS number
    (UPN.lower(), ["Zoë Smith-Jones"]),
    ("3/7/2015", ["Zoë Smith-Jones", "Sam Lee"]),  # as typed, then day and month swapped
    ("03-07-2015", ["Zoë Smith-Jones", "Sam Lee"]),
    ("2015-03-07", ["Sam Lee", "Zoë Smith-Jones"]),
    ("TS1", ["Amy Smith-Jones", "Zoë Smith-Jones"]),  # a district: not TS10
    ("ts1 3ba", ["Zoë Smith-Jones", "Amy Smith-Jones"]),  # the postcode, then the rest of its district
    ("Nobody Known", []),
    ("999 999 9999", []),  # not an NHS number: nothing
]


@pytest.mark.parametrize(("typed", "found"), CASES)
def test_a_query_finds_the_right_children_on_either_database(db: Engine, typed: str, found: list[str]) -> None:
    with Session(db, expire_on_commit=False) as session:
        referred(session)
        assert names(views.find(session, typed)) == found


def test_a_reference_finds_its_child_and_a_result_shows_only_what_tells_children_apart(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        zoe = referred(session)["Zoë Smith-Jones"]
        answer = views.find(session, reference_of(zoe.id).lower())
    assert answer == {"looked_for": ["reference"], "more": False, "results": [{
        "child_id": str(zoe.child_id), "given_name": "Zoë", "family_name": "Smith-Jones", "date_of_birth": "2015-07-03",
        "school": "Linthorpe Primary", "postcode_district": "TS1", "matched": "reference"}]}


def test_a_merged_child_is_found_as_its_survivor_and_again_as_itself_after_the_undo(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        robin = submit(session, child__given_name="Robin", child__family_name="Historytest", child__nhs_number=...)
        typo = submit(session, child__given_name="Robni", child__family_name="Historytest", child__nhs_number=...)
        assert typo.possible_duplicates == [str(robin.child_id)]
        typo.submitted_at = NOW + DAY / 2  # the later referral: the merged child is shown as it names the child
        session.add(typo)
        session.commit()

        def found() -> list[tuple[str, str]]:
            return [(r["child_id"], r["given_name"]) for r in views.find(session, "robni historytest")["results"]]

        assert found() == [(str(typo.child_id), "Robni"), (str(robin.child_id), "Robin")]
        merge = children.merge(session, robin.child_id, typo.child_id, reason="The same child: a typo", by=FRONT_DOOR,
                               now=NOW + DAY)
        session.commit()
        assert found() == [(str(robin.child_id), "Robni")]  # one child, as its latest referral names it
        children.undo(session, merge.id, by=FRONT_DOOR, now=NOW + 2 * DAY)
        session.commit()
        assert found() == [(str(typo.child_id), "Robni"), (str(robin.child_id), "Robin")]


def test_completing_missing_information_keeps_the_index_current(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        record = submit(session, child__given_name="Kit", child__family_name="Marlowe", child__nhs_number=...,
                        child__education_setting=...)
        handlers.apply_decision(session, decided(record, outcome="needs_information", missing=("child",)), NOW)
        session.commit()
        assert views.find(session, "kit marlowe")["results"][0]["school"] is None
        handlers.complete_missing(session, record.id, {"child": {"education_setting": school("Marlowe Academy")}},
                                  by=principal("school-a", "referrer"), now=NOW + DAY)
        session.commit()
        [found] = views.find(session, "kit marlowe")["results"]
    assert found["school"] == "Marlowe Academy"


def test_the_migration_indexes_the_referrals_already_stored(tmp_path: Any) -> None:
    """Referrals stored before 0013 are found once it has run (the search's own table is filled from them)."""
    url = f"sqlite:///{tmp_path / 'before.db'}"
    command.upgrade(alembic_config(url), "0012")
    engine = make_engine(url)
    child_id, referral_id = uuid.uuid4(), uuid.uuid4()
    body = {"child": {"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "2015-12-10",
                      "postcode": "TS1 3BA", "nhs_number": NHS, "education_setting": school("Difference Engine")}}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO children (id, nhs_number, given_key, family_key, date_of_birth, postcode_key, "
                          "created_at) VALUES (:id, :nhs, 'ada', 'lovelace', '2015-12-10', 'TS13BA', :at)"),
                     {"id": child_id.hex, "nhs": NHS, "at": datetime(2026, 1, 1)})
        conn.execute(text("INSERT INTO referrals (id, child_id, submitted_by, submitted_at, event_id, referral, "
                          "fingerprint, matched_on, possible_duplicates, status) VALUES (:id, :child, 'school-a', :at, "
                          ":event, :body, 'f', 'new', '[]', 'submitted')"),
                     {"id": referral_id.hex, "child": child_id.hex, "at": datetime(2026, 1, 1),
                      "event": uuid.uuid4().hex, "body": json.dumps(body)})
    command.upgrade(alembic_config(url), "head")
    with Session(engine) as session:
        answer = views.find(session, "ada lovelace")
    engine.dispose()
    assert [(r["child_id"], r["school"], r["date_of_birth"]) for r in answer["results"]] == [
        (str(child_id), "Difference Engine", date(2015, 12, 10).isoformat())]


# --- the API and its audit ------------------------------------------------------------------------------------------

@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url))


@pytest.fixture
async def intake(engine: Engine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=intake_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


def as_role(settings: Settings, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=f'{role}-1', roles=[role])}"}


def audit_rows(engine: Engine) -> list[tuple[AuditEntry, set[uuid.UUID]]]:
    with Session(engine) as s:
        rows = s.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        return [(r, set(s.exec(select(AuditChild.child_id).where(AuditChild.audit_id == r.id)).all())) for r in rows]


@pytest.mark.parametrize("role", ["front_door", "worker:safeguarding", "dsr_panel"])
async def test_the_front_door_mash_and_the_panel_search_and_each_search_is_audited_with_every_child_shown(
        engine: Engine, settings: Settings, intake: httpx.AsyncClient, role: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        made = referred(session)
    logs = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=logs)
    answer = await intake.get("/children/search", params={"q": "Smith Jones"}, headers=as_role(settings, role))
    assert answer.status_code == 200
    assert names(answer.json()) == ["Amy Smith-Jones", "Zoë Smith-Jones"]
    assert not {"nhs_number", "upn", "postcode"} & {k for r in answer.json()["results"] for k in r}
    [(row, shown)] = audit_rows(engine)
    assert (row.actor, row.role, row.action, row.outcome, row.status) == (f"{role}-1", role, "search.name", "allowed",
                                                                          200)
    assert shown == {made["Amy Smith-Jones"].child_id, made["Zoë Smith-Jones"].child_id}
    assert "/children/search" in logs.getvalue()  # its line is there, without what was typed: personal data
    assert "Smith" not in logs.getvalue() and "smith" not in logs.getvalue()


async def test_a_search_that_finds_nobody_is_audited_too_and_says_what_it_looked_for(
        engine: Engine, settings: Settings, intake: httpx.AsyncClient) -> None:
    answer = await intake.get("/children/search", params={"q": "3/7/2015"}, headers=as_role(settings, "front_door"))
    assert answer.json() == {"looked_for": ["date_of_birth"], "results": [], "more": False}
    [(row, shown)] = audit_rows(engine)
    assert (row.action, row.outcome, shown) == ("search.date_of_birth", "allowed", set())


@pytest.mark.parametrize("role", ["referrer", "manager", "admin", "worker:salt", "dsr_referrer"])
async def test_other_roles_are_refused_and_the_refusal_is_audited(
        engine: Engine, settings: Settings, intake: httpx.AsyncClient, role: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        referred(session)
    answer = await intake.get("/children/search", params={"q": "Smith Jones"}, headers=as_role(settings, role))
    assert answer.status_code == 403
    assert "Smith" not in answer.text
    [(row, shown)] = audit_rows(engine)
    assert (row.role, row.outcome, row.status, shown) == (role, "refused", 403, set())


@pytest.mark.parametrize("q", ["", "   ", "x" * 201])
async def test_an_empty_or_overlong_query_is_refused_without_echoing_it(
        settings: Settings, intake: httpx.AsyncClient, q: str) -> None:
    answer = await intake.get("/children/search", params={"q": q}, headers=as_role(settings, "front_door"))
    assert answer.status_code == 422
    assert "xxxx" not in answer.text


@pytest.mark.skipif(not POSTGRES.startswith("postgresql"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_on_postgresql_pg_trgm_pre_selects_and_outlives_a_dropped_test_schema() -> None:
    with postgres_schema("frontdoor_search") as (_, engine):
        with Session(engine) as session:
            assert views.trigram_schema(session) == '"public"'  # so names are pre-selected by its trigram indexes
            plan = "\n".join(str(r[0]) for r in session.execute(text(
                "EXPLAIN SELECT referral_id FROM child_search WHERE names OPERATOR(public.%) 'zoe smithjones'")))
            indexes = set(session.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'child_search' AND indexdef LIKE '%gin_trgm_ops%'"
            )).scalars())
    assert "child_search" in plan
    assert indexes == {f"ix_child_search_{c}_trgm" for c in ("names", "given_key", "family_key")}
    admin = make_engine(POSTGRES)
    with admin.connect() as conn:  # the schema and its tables are gone; the extension other runs use is not
        assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 1
    admin.dispose()

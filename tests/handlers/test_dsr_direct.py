"""The all-age register over HTTP on migrated SQLite (the in-process app): adding a person directly
(POST /dsr/entries) makes one entry per person, a second addition is a note (with escalation when higher),
the very same body sent twice changes nothing, every problem is listed in one 422; a dsr_referrer sees only
the people they added; the return, the counts and the agenda know age bands; a children's referral about a
person added directly is noted on their entry and links it to the child's record."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from schemas import TOPIC_DSR_CHANGES
from schemas.referral import LONDON
from services.common.auth import mint_dev_token
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.common.tables import OutboxMessage
from services.dsr import handlers
from services.dsr.domain import person_id_for
from services.dsr.main import create_app
from services.dsr.tables import DsrConsent, DsrEntry, DsrTimelineItem
from services.dsr.views import COUNTS_COLUMNS, EXPORT_COLUMNS
from tests.handlers.conftest import NOW
from tests.handlers.test_dsr import decision, outcome

TODAY = datetime.now(LONDON).date()
NHS = "9434765919"


def born_aged(years: int) -> date:
    return date(TODAY.year - years, 1, 1)  # that age on every day of this year


def body(**changes: Any) -> dict[str, Any]:
    """A 40-year-old autistic adult at risk of admission, added by adult social care."""
    return {
        "nhs_number": NHS, "given_name": "Robin", "family_name": "Quayle", "date_of_birth": born_aged(40).isoformat(),
        "diagnoses": ["autism"], "risks": ["mh_admission_risk"], "has_ehcp": False, "consent": "given",
        "consent_given_by": "The person", "referring_agency": "Adult social care",
        "referrer_contact": "duty.team@example.gov.uk", "reason": "Placement at risk after two crises this month",
        "current_setting": "community",
    } | changes


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(database_url=str(engine.url))


@pytest.fixture
async def api(engine: Engine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://dsr") as client:
        yield client


def as_(settings: Settings, role: str, subject: str | None = None) -> dict[str, str]:
    token = mint_dev_token(settings, subject=subject or f"{role}-1", roles=[role])
    return {"Authorization": f"Bearer {token}"}


def entries(engine: Engine) -> list[DsrEntry]:
    with Session(engine) as s:
        return list(s.exec(select(DsrEntry).order_by(col(DsrEntry.created_at))).all())


def timeline(engine: Engine, entry_id: str) -> list[DsrTimelineItem]:
    with Session(engine) as s:
        query = select(DsrTimelineItem).where(DsrTimelineItem.entry_id == uuid.UUID(entry_id))
        return list(s.exec(query.order_by(col(DsrTimelineItem.id))).all())


def changes(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.topic == TOPIC_DSR_CHANGES)
                      .order_by(col(OutboxMessage.created_at))).all()
        return [json.loads(r.payload) for r in rows]


async def test_a_40_year_old_added_directly_gets_one_pending_entry_on_the_ctr_track(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    answer = await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer"))
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made == {"entry_id": made["entry_id"], "outcome": "created", "review_track": "CTR", "age_band": "26+",
                    "status": "pending_review", "suggested_rating": "amber", "escalation_suggested": False}
    [entry] = entries(engine)
    assert (str(entry.id), entry.source, entry.added_by, entry.child_id) == (
        made["entry_id"], "direct", "dsr_referrer-1", person_id_for(entry.id))
    assert (entry.referring_agency, entry.diagnoses, entry.risks, entry.current_setting, entry.rating) == (
        "Adult social care", ["autism"], ["mh_admission_risk"], "community", None)  # the meeting sets the rating
    with Session(engine) as s:
        assert [(c.basis, c.given_by) for c in s.exec(select(DsrConsent)).all()] == [("given", "The person")]
    [created] = changes(engine)
    assert (created["event_type"], created["source"], created["entry_id"]) == (
        "dsr.entry_created", "direct", made["entry_id"])
    assert "Robin" not in json.dumps(created) and NHS not in json.dumps(created)


@pytest.mark.parametrize(("changes_", "status", "rating", "track", "band"), [
    ({"consent": "needed", "consent_given_by": None}, "pending_consent", "amber", "CTR", "26+"),
    ({"consent": "best_interests", "consent_given_by": "Best-interests meeting"}, "pending_review", "amber", "CTR",
     "26+"),
    ({"current_setting": "inpatient"}, "pending_review", "blue", "CTR", "26+"),  # an inpatient: blue
    ({"risks": ["mh_admission_risk", "self_harm_recent"]}, "pending_review", "red", "CTR", "26+"),
    ({"risks": ["criminal_justice_involvement"]}, "pending_review", "green", "CTR", "26+"),
    ({"has_ehcp": True, "date_of_birth": born_aged(22).isoformat()}, "pending_review", "amber", "CETR", "18-25"),
    ({"nhs_number": None, "date_of_birth": born_aged(15).isoformat()}, "pending_review", "amber", "CETR", "0-17"),
])
async def test_what_an_addition_says_decides_status_suggestion_and_track(
        api: httpx.AsyncClient, settings: Settings, changes_: dict[str, Any], status: str, rating: str, track: str,
        band: str) -> None:
    answer = await api.post("/dsr/entries", json=body(**changes_), headers=as_(settings, "dsr_panel"))
    assert answer.status_code == 201, answer.text
    assert [answer.json()[k] for k in ("status", "suggested_rating", "review_track", "age_band")] == [
        status, rating, track, band]


async def test_the_same_person_added_again_is_a_note_with_escalation_never_a_second_entry(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    first = (await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_panel"))).json()
    again = body(given_name="Rob", risks=["mh_admission_risk", "suicide_plan_or_intent"],
                 referring_agency="Community mental health team")
    answer = await api.post("/dsr/entries", json=again, headers=as_(settings, "dsr_panel", "panel-2"))
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"entry_id": None} == {
        "entry_id": None, "outcome": "noted", "review_track": "CTR", "age_band": "26+", "status": "pending_review",
        "suggested_rating": "red", "escalation_suggested": True}
    assert answer.json()["entry_id"] == first["entry_id"]
    [entry] = entries(engine)
    assert (entry.suggested_rating, entry.escalation_suggested) == ("red", True)
    assert entry.next_review_due is not None and entry.next_review_due <= TODAY + timedelta(days=4)
    lines = timeline(engine, first["entry_id"])
    assert [line.kind for line in lines] == ["direct", "direct"]
    assert lines[1].summary == ("Added again directly (already on the register) by Community mental health team: "
                                "autism; risks: risk of a mental health hospital admission, a suicide plan or intent; "
                                "setting: community; suggested rating red; escalation suggested")
    assert [c["event_type"] for c in changes(engine)] == ["dsr.entry_created", "dsr.candidate_noted"]
    view = (await api.get(f"/dsr/entries/{first['entry_id']}", headers=as_(settings, "dsr_panel"))).json()
    assert (view["timeline"][1]["reason"], view["timeline"][1]["contact"]) == (  # the meeting reads the note's words
        again["reason"], again["referrer_contact"])
    lower = await api.post("/dsr/entries", json=body(risks=["placement_breakdown"]), headers=as_(settings, "dsr_panel"))
    assert lower.status_code == 200 and lower.json()["outcome"] == "noted"
    assert (lower.json()["suggested_rating"], lower.json()["escalation_suggested"], len(entries(engine))) == (
        "red", True, 1)  # a lower suggestion changes neither


async def test_another_nhs_number_is_another_person_even_with_the_same_name(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_panel"))
    answer = await api.post("/dsr/entries", json=body(nhs_number="4010232137"), headers=as_(settings, "dsr_panel"))
    assert answer.status_code == 201 and len(entries(engine)) == 2


async def test_a_referrer_noting_on_someone_elses_entry_learns_only_that_the_person_is_on_the_register(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    first = (await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer", "asc-1"))).json()
    answer = await api.post("/dsr/entries", json=body(risks=["mh_admission_risk", "self_harm_recent"]),
                            headers=as_(settings, "dsr_referrer", "cmht-1"))
    assert answer.status_code == 200
    assert answer.json() == {"outcome": "noted"}  # issue 20, item 8: not the entry, its track or age band either
    [entry] = entries(engine)
    assert entry.escalation_suggested is True  # the panel sees it
    read = await api.get(f"/dsr/entries/{first['entry_id']}", headers=as_(settings, "dsr_referrer", "cmht-1"))
    assert read.status_code == 404
    own = await api.post("/dsr/entries", json=body(current_setting="inpatient"),
                         headers=as_(settings, "dsr_referrer", "asc-1"))  # on their own entry: what they may read
    assert (own.json()["outcome"], own.json()["suggested_rating"], own.json()["status"]) == (
        "noted", "blue", "pending_review")


ALL_OF_IT = {"entry_id", "outcome", "age_band", "review_track", "status", "suggested_rating", "escalation_suggested"}


@pytest.mark.parametrize(("first", "second", "shown"), [
    (("dsr_referrer", "asc-1"), ("dsr_referrer", "cmht-1"), {"outcome"}),  # another practitioner's entry
    (("dsr_panel", "panel-1"), ("dsr_referrer", "cmht-1"), {"outcome"}),
    (("dsr_referrer", "asc-1"), ("dsr_referrer", "asc-1"), ALL_OF_IT),  # the practitioner who added it
    (("dsr_referrer", "asc-1"), ("dsr_panel", "panel-1"), ALL_OF_IT),  # the panel
])
async def test_a_second_addition_tells_only_the_panel_and_the_adder_about_the_entry(
        api: httpx.AsyncClient, settings: Settings, first: tuple[str, str], second: tuple[str, str],
        shown: set[str]) -> None:
    """Issue 20, item 8: a 22-year-old with an EHCP. Told the age band and track, a second practitioner would learn
    the person is 18-25 with an EHCP; anyone but the panel and the adder learns only that they are on the register."""
    person = body(date_of_birth=born_aged(22).isoformat(), has_ehcp=True)
    made = await api.post("/dsr/entries", json=person, headers=as_(settings, *first))
    assert made.status_code == 201 and set(made.json()) == ALL_OF_IT  # the adder's own answer is whole
    again = await api.post("/dsr/entries", json=person | {"reason": "Lost her college place after a crisis"},
                           headers=as_(settings, *second))
    assert again.status_code == 200, again.text
    assert set(again.json()) == shown
    assert again.json()["outcome"] == "noted"
    if shown == ALL_OF_IT:
        assert (again.json()["age_band"], again.json()["review_track"]) == ("18-25", "CETR")


async def test_the_very_same_body_sent_twice_by_the_same_person_changes_nothing(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    answers = [await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer")) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    [entry] = entries(engine)
    assert len(timeline(engine, str(entry.id))) == 1 and len(changes(engine)) == 1
    other = await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer", "someone-else"))
    assert other.json()["outcome"] == "noted"  # another person's same words are their own addition


@pytest.mark.parametrize(("changes_", "problems"), [
    ({"nhs_number": None}, {"nhs_number": "is required for a person aged 18 or over"}),
    ({"nhs_number": "9434765918"}, {"nhs_number": None}),  # a wrong check digit
    ({"nhs_number": None, "diagnoses": [], "risks": ["psychosis_signs"], "consent_given_by": " ", "reason": "short",
      "current_setting": "hospital", "referring_agency": "", "extra": 1},
     {"nhs_number": "is required for a person aged 18 or over", "diagnoses": None, "risks.0": None,
      "consent_given_by": "is required when consent is given or a best-interests decision is recorded",
      "reason": None, "current_setting": None, "referring_agency": None, "extra": None}),
    ({"date_of_birth": (TODAY + timedelta(days=1)).isoformat()}, {"date_of_birth": "must not be in the future"}),
    ({"date_of_birth": "1890-01-01"}, {"date_of_birth": "must give an age of at most 120"}),
    ({"date_of_birth": "not a date", "consent": "maybe"}, {"date_of_birth": None, "consent": None}),
    ({"diagnoses": ["autism", "autism"], "given_name": "\u202eRobin"}, {"diagnoses": None, "given_name": None}),
])
async def test_every_problem_is_listed_in_one_422(api: httpx.AsyncClient, settings: Settings, engine: Engine,
                                                  changes_: dict[str, Any], problems: dict[str, str | None]) -> None:
    answer = await api.post("/dsr/entries", json=body(**changes_), headers=as_(settings, "dsr_referrer"))
    assert answer.status_code == 422, answer.text
    errors = {e["field"]: e["problem"] for e in answer.json()["errors"]}
    assert set(errors) == set(problems), errors
    for field, problem in problems.items():
        assert problem is None or errors[field] == problem, (field, errors[field])
    assert "Robin" not in answer.text and "9434765918" not in answer.text
    assert entries(engine) == []


async def test_a_child_without_an_nhs_number_is_accepted_and_the_form_is_tolerant(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    child = body(nhs_number=None, date_of_birth=born_aged(17).isoformat(), given_name="  Robin ",
                 diagnoses=["learning_disability", "autism"], consent="needed")
    del child["consent_given_by"], child["has_ehcp"]
    answer = await api.post("/dsr/entries", json=child, headers=as_(settings, "dsr_panel"))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["review_track"]) == ("pending_consent", "CETR")
    same = body(nhs_number=None, date_of_birth=born_aged(17).isoformat(), given_name="ROBIN", family_name="Quáyle")
    noted = await api.post("/dsr/entries", json=same, headers=as_(settings, "dsr_panel"))
    assert (noted.status_code, noted.json()["entry_id"]) == (200, answer.json()["entry_id"])  # name + date of birth
    spaced = await api.post("/dsr/entries", json=body(nhs_number="401 023 2137"), headers=as_(settings, "dsr_panel"))
    assert spaced.status_code == 201
    assert {e.nhs_number for e in entries(engine)} == {None, "4010232137"}


async def test_a_dsr_referrer_sees_only_the_people_they_added(api: httpx.AsyncClient, settings: Settings) -> None:
    mine = (await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer", "asc-1"))).json()
    theirs = (await api.post("/dsr/entries", json=body(nhs_number="4010232137", given_name="Kit"),
                             headers=as_(settings, "dsr_referrer", "cmht-1"))).json()
    panels = (await api.post("/dsr/entries", json=body(nhs_number=None, date_of_birth=born_aged(12).isoformat(),
                                                        given_name="Jo"), headers=as_(settings, "dsr_panel"))).json()
    listed = await api.get("/dsr/entries", headers=as_(settings, "dsr_referrer", "asc-1"))
    assert listed.status_code == 200
    assert listed.json() == [{"entry_id": mine["entry_id"], "name": "Robin Quayle",
                              "date_of_birth": born_aged(40).isoformat(), "age_band": "26+",
                              "status": "pending_review", "created_at": listed.json()[0]["created_at"],
                              "source": "direct"}]
    own = await api.get(f"/dsr/entries/{mine['entry_id']}", headers=as_(settings, "dsr_referrer", "asc-1"))
    assert own.status_code == 200
    assert {k: own.json()[k] for k in ("source", "age_band", "review_track", "referring_agency", "added_by",
                                      "current_setting", "diagnoses", "risks", "reason")} == {
        "source": "direct", "age_band": "26+", "review_track": "CTR", "referring_agency": "Adult social care",
        "added_by": "asc-1", "current_setting": "community", "diagnoses": ["autism"], "risks": ["mh_admission_risk"],
        "reason": "Placement at risk after two crises this month"}
    missing = await api.get(f"/dsr/entries/{uuid.uuid4()}", headers=as_(settings, "dsr_referrer", "asc-1"))
    for other in (theirs, panels):
        refused = await api.get(f"/dsr/entries/{other['entry_id']}", headers=as_(settings, "dsr_referrer", "asc-1"))
        assert (refused.status_code, refused.json()) == (404, missing.json())
    every = await api.get("/dsr/entries", headers=as_(settings, "dsr_panel"))
    assert [e["entry_id"] for e in every.json()] == [mine["entry_id"], theirs["entry_id"], panels["entry_id"]]
    assert (await api.get(f"/dsr/entries/{theirs['entry_id']}", headers=as_(settings, "dsr_panel"))).status_code == 200
    direct = await api.get("/dsr/entries?source=triage", headers=as_(settings, "dsr_panel"))
    assert direct.json() == []


PANEL_ONLY = [("GET", "/dsr/agenda"), ("GET", "/dsr/export.csv"), ("GET", "/dsr/counts"), ("GET", "/dsr/counts.csv"),
              ("POST", "/dsr/entries/{id}/reviews"), ("POST", "/dsr/entries/{id}/consent"),
              ("POST", "/dsr/entries/{id}/consent/withdraw"), ("POST", "/dsr/entries/{id}/close")]
NEW = [("POST", "/dsr/entries"), ("GET", "/dsr/entries"), ("GET", "/dsr/entries/{id}")]


@pytest.mark.parametrize(("role", "routes"), [
    ("dsr_referrer", PANEL_ONLY),
    *[(role, NEW + PANEL_ONLY) for role in ("referrer", "front_door", "manager", "worker:salt", "admin")],
])
async def test_who_may_use_what(api: httpx.AsyncClient, settings: Settings, role: str,
                                routes: list[tuple[str, str]]) -> None:
    entry_id = (await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_panel"))).json()["entry_id"]
    for method, path in routes:
        answer = await api.request(method, path.format(id=entry_id), headers=as_(settings, role),
                                   json=body() if method == "POST" else None)
        assert answer.status_code == 403, (role, method, path)


async def add(api: httpx.AsyncClient, settings: Settings, years: int, nhs: str | None, **more: Any) -> str:
    answer = await api.post("/dsr/entries", json=body(date_of_birth=born_aged(years).isoformat(), nhs_number=nhs,
                                                      **more), headers=as_(settings, "dsr_panel"))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


async def test_the_return_counts_and_agenda_know_age_bands(api: httpx.AsyncClient, settings: Settings) -> None:
    child = await add(api, settings, 12, None, given_name="Jo")
    young = await add(api, settings, 20, "4010232137", given_name="Kit", has_ehcp=True)
    adult = await add(api, settings, 40, NHS)
    panel = as_(settings, "dsr_panel")
    export = await api.get("/dsr/export.csv", headers=panel)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert list(rows[0]) == EXPORT_COLUMNS and {"age_band", "source"} <= set(EXPORT_COLUMNS)
    assert {r["entry_id"]: (r["age_band"], r["source"], r["review_track"]) for r in rows} == {
        child: ("0-17", "direct", "CETR"), young: ("18-25", "direct", "CETR"), adult: ("26+", "direct", "CTR")}
    counts = await api.get("/dsr/counts.csv?weeks=2", headers=panel)
    assert counts.status_code == 200 and counts.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(counts.text)))
    assert list(table[0]) == COUNTS_COLUMNS
    assert [(r["age_band"], r["unrated"]) for r in table] == [("0-17", "0"), ("18-25", "0"), ("26+", "0"),
                                                              ("0-17", "1"), ("18-25", "1"), ("26+", "1")]
    weekly = (await api.get("/dsr/counts?weeks=1&age_band=26%2B", headers=panel)).json()
    assert weekly == [{"week_ending": table[-1]["week_ending"], "red": 0, "amber": 0, "green": 0, "blue": 0,
                       "unrated": 1}]
    assert (await api.get("/dsr/counts?weeks=1", headers=panel)).json()[0]["unrated"] == 3
    assert (await api.get("/dsr/counts?age_band=40", headers=panel)).status_code == 422

    async def agenda(query: str) -> list[str]:
        answer = await api.get(f"/dsr/agenda{query}", headers=panel)
        assert answer.status_code == 200, answer.text
        return sorted(item["entry_id"] for item in answer.json())

    assert await agenda("") == sorted([child, young, adult])
    assert await agenda("?age_band=0-17") == [child]
    assert await agenda("?age_band=26%2B") == [adult]
    assert await agenda("?track=CETR") == sorted([child, young])  # 20 with an EHCP: CETR
    assert await agenda("?track=CTR&age_band=18-25") == []
    assert (await api.get("/dsr/agenda?track=ctr", headers=panel)).status_code == 422
    [item] = (await api.get("/dsr/agenda?track=CTR", headers=panel)).json()
    assert {k: item[k] for k in ("age_band", "source", "review_track", "referring_agency", "current_setting")} == {
        "age_band": "26+", "source": "direct", "review_track": "CTR", "referring_agency": "Adult social care",
        "current_setting": "community"}


async def test_a_childrens_referral_about_a_person_added_directly_is_noted_and_links_the_record(
        api: httpx.AsyncClient, settings: Settings, engine: Engine) -> None:
    added = (await api.post("/dsr/entries", json=body(
        given_name="Sam", family_name="Example", date_of_birth="2012-05-01", nhs_number=None, consent="needed",
        consent_given_by=None), headers=as_(settings, "dsr_referrer"))).json()
    child = uuid.uuid4()
    event = decision(child, "red")  # Sam Example, born 1 May 2012, with an NHS number the entry does not have
    with Session(engine, expire_on_commit=False) as s:
        assert handlers.apply_decision(s, event, NOW) is True
        assert handlers.apply_outcome(s, outcome(child), NOW) is True  # the child's outcomes reach the entry now
        s.commit()
    [entry] = entries(engine)
    assert (str(entry.id), entry.child_id, entry.suggested_rating, entry.escalation_suggested) == (
        added["entry_id"], child, "red", True)
    assert [line.kind for line in timeline(engine, added["entry_id"])] == [
        "direct", "linked", "referral", "service_outcome"]
    with Session(engine) as s:  # linked once: a second referral is found by its child id, no second link line
        assert handlers.apply_decision(s, decision(child, "amber"), NOW) is True
        s.commit()
    assert [line.kind for line in timeline(engine, added["entry_id"])].count("linked") == 1
    assert len(entries(engine)) == 1


async def test_a_childrens_referral_about_a_person_on_the_register_under_another_record_is_noted(
        engine: Engine) -> None:
    """Identity matching applies to every open entry, not only those added directly (no link: it has a child)."""
    first = decision(uuid.uuid4(), "amber")
    other = decision(uuid.uuid4(), "amber")
    assert first.dsr.person is not None and other.dsr.person is not None
    same = other.dsr.person.model_copy(update={"nhs_number": first.dsr.person.nhs_number})  # another record
    other = other.model_copy(update={"dsr": other.dsr.model_copy(update={"person": same})})
    with Session(engine) as s:
        assert handlers.apply_decision(s, first, NOW) and handlers.apply_decision(s, other, NOW)
        s.commit()
    [entry] = entries(engine)
    assert entry.child_id == first.child_id
    assert [line.kind for line in timeline(engine, str(entry.id))] == ["referral", "referral"]


async def test_no_personal_data_in_the_logs(api: httpx.AsyncClient, settings: Settings) -> None:
    buffer = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=buffer)
    await api.post("/dsr/entries", json=body(), headers=as_(settings, "dsr_referrer"))
    await api.post("/dsr/entries", json=body(risks=["self_harm_recent", "mh_admission_risk"]),
                   headers=as_(settings, "dsr_referrer", "other"))
    await api.post("/dsr/entries", json=body(nhs_number="9434765918", given_name="Robin\u202e"),
                   headers=as_(settings, "dsr_referrer"))
    text = buffer.getvalue()
    assert "http request" in text
    for personal in ("Robin", "Quayle", NHS, "9434765918", born_aged(40).isoformat(), "duty.team"):
        assert personal not in text, personal

"""Advice without a formal referral (issue 14) through intake's API, in-process on migrated SQLite: asking (with
warnings, never a block), who sees and answers what (404 for other referrers and other services' workers), one
answer only (409), every problem of a form at once (422), "make a referral from this" (only from your own advice),
the front-door queue's advice reason, and that the question never reaches the logs."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.intake.advice.tables import AdviceRequest
from services.intake.front_door.views import queue
from services.intake.main import create_app
from services.intake.tables import ReferralRecord
from tests.factories import referral_body

QUESTION = "Quillonish sounds: he says tat for cat. Is this a speech and language referral or one for class?"
NHS_QUESTION = "His NHS number is 943 476 5919 and he struggles with sounds in class. What should we try?"
SALT = {"question": QUESTION, "concerns": ["speech_sounds"], "year_group": 1, "age": 6,
        "education_setting": {"name": "Seaview Primary", "urn": "123456"}}


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Any]:
    settings = Settings(database_url=str(engine.url), small_number_threshold=1)
    app = create_app(settings, engine=engine)

    async def call(method: str, path: str, who: str, *roles: str, name: str | None = None,
                   **kwargs: Any) -> httpx.Response:
        token = mint_dev_token(settings, subject=who, roles=list(roles), name=name)
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield call


async def ask(api: Any, who: str = "senco-a", **changes: Any) -> dict[str, Any]:
    answer = await api("POST", "/advice", who, "referrer", json=SALT | changes)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_question_goes_to_the_service_its_concerns_point_to_with_its_due_day(api: Any) -> None:
    salt = await ask(api)
    assert salt["service"] == "salt" and salt["warnings"] == []
    uuid.UUID(salt["advice_id"])
    # asked on a weekday: 5 working days later (the reference ruleset's level), weekends skipped
    assert len(salt["answer_due"]) == 10
    both = await ask(api, concerns=["speech_sounds", "anxiety"])  # SALT and SEMH: the front door only
    nowhere = await ask(api, concerns=["domestic_abuse"])  # on no advice list: the front door only
    semh = await ask(api, concerns=["anxiety", "low_mood"])
    assert (both["service"], nowhere["service"], semh["service"]) == (None, None, "semh")


async def test_identifying_details_are_warned_about_but_the_question_is_still_accepted(
    api: Any, engine: Engine, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    checked = await api("POST", "/advice/check", "senco-a", "referrer", json=SALT | {"question": NHS_QUESTION})
    assert checked.status_code == 200
    assert [w["kind"] for w in checked.json()["warnings"]] == ["nhs_number"]
    with Session(engine) as s:
        assert s.exec(select(AdviceRequest)).all() == []  # a check saves nothing
    asked = await ask(api, question=NHS_QUESTION + " Born 3rd of March 2019.")
    assert [w["kind"] for w in asked["warnings"]] == ["nhs_number", "date_of_birth"]
    assert "5919" not in str(asked["warnings"]) and "Remove it before sending" in asked["warnings"][0]["message"]
    await ask(api)
    logged = caplog.text + "".join(capsys.readouterr())
    assert "943 476" not in logged and "Quillonish" not in logged  # the question never reaches the logs


async def test_a_form_with_problems_is_a_422_listing_every_one(api: Any) -> None:
    answer = await api("POST", "/advice", "senco-a", "referrer", json={
        "question": "  short  ", "concerns": [], "age": 30, "year_group": "five", "given_name": "Sam"})
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"question", "concerns", "age", "year_group", "given_name"}
    duplicate = await api("POST", "/advice", "senco-a", "referrer", json=SALT | {"concerns": ["voice", "voice"]})
    assert duplicate.status_code == 422
    assert (await api("POST", "/advice", "fd", "front_door", json=SALT)).status_code == 403


async def test_who_sees_which_requests(api: Any) -> None:
    salt, semh = await ask(api), await ask(api, concerns=["anxiety"])
    other = await ask(api, who="senco-b", concerns=["bullying"])

    async def ids(who: str, *roles: str, **params: str) -> list[str]:
        answer = await api("GET", "/advice", who, *roles, params=params)
        assert answer.status_code == 200, answer.text
        return [i["advice_id"] for i in answer.json()]

    assert set(await ids("senco-a", "referrer")) == {salt["advice_id"], semh["advice_id"]}
    assert await ids("senco-b", "referrer") == [other["advice_id"]]
    assert set(await ids("fd", "front_door")) == {salt["advice_id"], semh["advice_id"], other["advice_id"]}
    assert await ids("w", "worker:salt") == [salt["advice_id"]]
    assert await ids("w", "worker:counselling") == [other["advice_id"]]
    assert await ids("w", "worker:early_help") == []
    for who, roles in (("senco-b", ("referrer",)), ("w", ("worker:semh",)), ("w", ("worker:early_help",))):
        answer = await api("GET", f"/advice/{salt['advice_id']}", who, *roles)
        assert answer.status_code == 404, (who, roles)
    for who, roles in (("senco-a", ("referrer",)), ("fd", ("front_door",)), ("w", ("worker:salt",))):
        answer = await api("GET", f"/advice/{salt['advice_id']}", who, *roles)
        assert answer.status_code == 200 and answer.json()["question"] == QUESTION
    assert (await api("GET", "/advice", "m", "manager")).status_code == 403


async def test_the_service_answers_once_and_the_senco_sees_the_answer(api: Any) -> None:
    salt = await ask(api)
    path = f"/advice/{salt['advice_id']}/answer"
    body = {"answer": "Try these sound games daily for six weeks, then refer if no change.",
            "next_step": "make_referral", "refer_to": "salt"}
    assert (await api("POST", path, "w", "worker:semh", json=body)).status_code == 404  # another service's
    assert (await api("POST", path, "senco-a", "referrer", json=body)).status_code == 403
    refused = await api("POST", path, "w", "worker:salt", json=body | {"next_step": "try_strategies", "answer": "ok"})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"answer", "refer_to"}
    answered = await api("POST", path, "salt-1", "worker:salt", name="Kim Evans", json=body)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered" and answered.json()["answered_by"] == "salt-1"
    assert answered.json()["answerer"] == "Kim Evans, Speech and language therapy"  # issue 22, item 7
    read = await api("GET", f"/advice/{salt['advice_id']}", "fd", "front_door")
    assert read.json()["answerer"] == "Kim Evans, Speech and language therapy"
    again = await api("POST", path, "fd", "front_door", json=body)
    assert again.status_code == 409
    mine = (await api("GET", "/advice", "senco-a", "referrer")).json()
    assert [(i["state"], i["answer"], i["next_step"], i["refer_to"], i["referral_id"]) for i in mine] == [
        ("answered", body["answer"], "make_referral", "salt", None)]
    assert [i["answerer"] for i in mine] == ["Speech and language therapy"]  # the asker sees the team only
    asked = await api("GET", f"/advice/{salt['advice_id']}", "senco-a", "referrer")
    assert asked.json()["answerer"] == "Speech and language therapy" and "Kim Evans" not in asked.text
    waiting = (await api("GET", "/advice", "w", "worker:salt")).json()
    assert waiting == []  # the default is unanswered
    assert len((await api("GET", "/advice", "w", "worker:salt", params={"state": "answered"})).json()) == 1
    assert len((await api("GET", "/advice", "fd", "front_door", params={"state": "all"})).json()) == 1


async def test_a_referral_made_from_advice_keeps_its_id_only_from_your_own_advice(api: Any, engine: Engine) -> None:
    mine = await ask(api)
    theirs = await ask(api, who="senco-b")
    for advice_id in (theirs["advice_id"], str(uuid.uuid4())):
        refused = await api("POST", "/referrals", "senco-a", "referrer",
                            json=referral_body() | {"advice_request_id": advice_id})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["advice_request_id"]
    made = await api("POST", "/referrals", "senco-a", "referrer",
                     json=referral_body() | {"advice_request_id": mine["advice_id"]})
    assert made.status_code == 201, made.text
    referral_id = made.json()["referral_id"]
    with Session(engine) as s:
        record = s.get(ReferralRecord, uuid.UUID(referral_id))
        assert record is not None and str(record.advice_request_id) == mine["advice_id"]
        assert "advice_request_id" not in record.referral  # intake's own record, not the referral sent on
    listed = (await api("GET", "/advice", "senco-a", "referrer")).json()
    assert listed[0]["referral_id"] == referral_id
    one = (await api("GET", f"/advice/{mine['advice_id']}", "senco-a", "referrer")).json()
    assert one["referral_id"] == referral_id


async def test_unanswered_advice_is_on_the_front_door_queue_until_answered(api: Any, engine: Engine) -> None:
    from services.common.tables import utcnow

    salt = await ask(api)
    with Session(engine) as s:
        shown = queue(s, utcnow(), chase_after_working_days=5, chase_again_working_days=3, dead_letters=[])
    assert shown["counts"]["advice"] == 1
    (item,) = [i for i in shown["items"] if i["reason"] == "advice"]
    assert item["advice"] == {"advice_id": salt["advice_id"]} and item["services"] == ["salt"]
    assert item["school"] == "Seaview Primary" and item["age_band"] == "5-10" and not item["clock"]["overdue"]
    assert "Quillonish" not in str(item)
    body = {"answer": "Try these sound games daily for six weeks."}
    assert (await api("POST", f"/advice/{salt['advice_id']}/answer", "fd", "front_door", json=body)).status_code == 200
    with Session(engine) as s:
        assert queue(s, utcnow(), chase_after_working_days=5, chase_again_working_days=3,
                     dead_letters=[])["counts"]["advice"] == 0


async def test_the_advice_report_lists_every_school_by_concern_and_a_none_reads_as_a_few(engine: Engine) -> None:
    """Issue 20, item 9: with suppression on (threshold 5), Seaview's anxiety row - nobody asked - is listed, and
    reads exactly as Eastwood's one anxiety question does, in JSON and CSV; the API description says so."""
    settings = Settings(database_url=str(engine.url), small_number_threshold=5)
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        def as_(who: str, role: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {mint_dev_token(settings, subject=who, roles=[role])}"}
        east = SALT | {"education_setting": {"name": "Eastwood Academy"}}
        for body in [SALT] * 6 + [east] * 6 + [east | {"concerns": ["anxiety"]}]:
            assert (await client.post("/advice", json=body, headers=as_("senco", "referrer"))).status_code == 201
        report = await client.get("/reports/advice", headers=as_("m-1", "manager"))
        rows = {(r["school"], r["concern"]): r for r in report.json()}
        assert len(rows) == len(report.json()) == 1 + 2 * 2  # this week: totals, 2 schools x 2 concerns
        counts = ("requests", "answered_within_level", "answered_late", "awaiting_answer",
                  "became_referral_within_12_weeks")
        assert rows[("Seaview Primary", "anxiety")] == rows[("Eastwood Academy", "anxiety")] | {
            "school": "Seaview Primary"} == {"week_starting": rows[("all", "all")]["week_starting"],
                                             "school": "Seaview Primary", "concern": "anxiety",
                                             **dict.fromkeys(counts, None), "suppressed": True}
        text = (await client.get("/reports/advice", params={"format": "csv"}, headers=as_("m-1", "manager"))).text
        anxiety = [r for r in csv.DictReader(io.StringIO(text)) if r["concern"] == "anxiety"]
        assert [r["school"] for r in anxiety] == ["Eastwood Academy", "Seaview Primary"]
        assert all([r[c] for c in counts] == ["suppressed"] * 5 for r in anxiety), text
        described = app.openapi()["paths"]["/reports/advice"]["get"]["description"]
        assert "zeros included" in described and "suppresses a zero alike" in described

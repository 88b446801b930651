"""Issue 14's Done-when for advice, on PostgreSQL through intake's API: a SENCO asks about speech sounds, the
request goes to SALT's advice list (the ruleset's advice section) and SALT answers it; the SENCO sees the answer;
a referral made from it keeps the advice request's id and the advice report counts it (threshold 1: nothing
suppressed; tests/unit/test_advice_report.py checks the counting and the suppression by hand)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from schemas.referral import LONDON
from services.common.auth import mint_dev_token
from services.common.settings import Settings
from services.intake.main import create_app
from tests.factories import referral_body

pytestmark = pytest.mark.integration
QUESTION = "He says tat for cat and dod for dog. Is this a speech and language referral or one for class?"


@pytest.fixture(scope="module")
async def api(fresh_database_url: str) -> AsyncIterator[Any]:
    settings = Settings(database_url=fresh_database_url, small_number_threshold=1)
    app = create_app(settings)

    async def call(method: str, path: str, who: str, role: str, **kwargs: Any) -> httpx.Response:
        token = mint_dev_token(settings, subject=who, roles=[role])
        return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield call


async def test_advice_answered_by_the_service_seen_by_the_senco_and_counted_with_its_referral(api: Any) -> None:
    asked = await api("POST", "/advice", "senco-1", "referrer", json={
        "question": QUESTION, "concerns": ["speech_sounds", "expressive_language"], "year_group": 1, "age": 6,
        "education_setting": {"name": "Seaview Primary"}})
    assert asked.status_code == 201, asked.text
    advice_id = asked.json()["advice_id"]
    assert asked.json()["service"] == "salt"

    on_the_list = (await api("GET", "/advice", "salt-1", "worker:salt")).json()
    assert [i["advice_id"] for i in on_the_list] == [advice_id]
    assert (await api("GET", "/advice", "semh-1", "worker:semh")).json() == []
    answered = await api("POST", f"/advice/{advice_id}/answer", "salt-1", "worker:salt", json={
        "answer": "This sounds like a speech sound delay: please refer to SALT community.",
        "next_step": "make_referral", "refer_to": "salt"})
    assert answered.status_code == 200, answered.text
    assert (await api("POST", f"/advice/{advice_id}/answer", "fd-1", "front_door",
                      json={"answer": "A second answer, too late."})).status_code == 409

    (seen,) = (await api("GET", "/advice", "senco-1", "referrer")).json()
    assert (seen["state"], seen["answered_by"], seen["next_step"], seen["refer_to"], seen["overdue"]) == (
        "answered", "salt-1", "make_referral", "salt", False)
    assert seen["answer"].startswith("This sounds like a speech sound delay")

    made = await api("POST", "/referrals", "senco-1", "referrer", json=referral_body(
        concerns=["speech_sounds", "expressive_language"]) | {"advice_request_id": advice_id})
    assert made.status_code == 201, made.text
    refused = await api("POST", "/referrals", "senco-2", "referrer",
                        json=referral_body() | {"advice_request_id": advice_id})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "advice_request_id"
    seen = (await api("GET", f"/advice/{advice_id}", "senco-1", "referrer")).json()
    assert seen["referral_id"] == made.json()["referral_id"]

    report = await api("GET", "/reports/advice", "m-1", "manager", params={"weeks": 2})
    assert report.status_code == 200, report.text
    today = datetime.now(LONDON).date()
    week = (today - timedelta(days=today.weekday())).isoformat()
    assert report.json() == [
        {"week_starting": week, "school": school, "concern": concern, "requests": 1, "answered_within_level": 1,
         "answered_late": 0, "awaiting_answer": 0, "became_referral_within_12_weeks": 1, "suppressed": False}
        for school, concern in (("all", "all"), ("Seaview Primary", "expressive_language"),
                                ("Seaview Primary", "speech_sounds"))]
    csv = await api("GET", "/reports/advice", "m-1", "admin", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "became_referral_within_12_weeks" in csv.text
    assert (await api("GET", "/reports/advice", "senco-1", "referrer")).status_code == 403

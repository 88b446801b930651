"""Issue 20, item 3: an emergency says something to the person who made it. On the referral form where an emergency
risk is chosen (the risks page, check answers), on the confirmation and on the referral's page of an emergency, the
GOV.UK warning text with the council's contacts (settings, shown on "How we decide" too), and the due time in hours.
The portal runs on a migrated SQLite file; intake is stood in for (portal_standins)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine

from services.common.settings import Settings
from services.policy.ruleset import DEFAULT_RULESET
from services.portal.main import create_app
from tests.factories import referral_body
from tests.handlers import portal_standins
from tests.handlers.portal_standins import BASE, StandIn, page, sign_in

REFERRAL_ID = uuid.UUID("8d1c2f3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
WARNING = '<div class="govuk-warning-text'
DANGER = "If the child is in immediate danger, call 999."
COUNCIL = {"emergency_duty_number": "01234 567890", "emergency_out_of_hours_number": "01234 000111",
           "emergency_crisis_line_name": "Seaview crisis line", "emergency_crisis_line_number": "0800 000 0000",
           "emergency_danger_text": "If a child is in danger now, call 999 straight away."}


def portal_with(engine: Engine, standin: StandIn, **settings: Any) -> httpx.AsyncClient:
    app = create_app(Settings(database_url=str(engine.url), portal_url=BASE, **settings), engine=engine,
                     transport=httpx.MockTransport(standin.handle))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


standin = portal_standins.standin  # the fixture


@pytest.fixture
async def portal(engine: Engine, standin: StandIn) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_with(engine, standin) as client:
        yield client


def warning(html: str) -> str:
    """The text of the page's GOV.UK warning ("" when it has none)."""
    found = re.search(r'<strong class="govuk-warning-text__text">(.*?)</strong>', html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&#x27;", "'")


def assert_contacts(html: str, **council: str) -> None:
    words = text(html)
    shown = {"danger": DANGER, "duty": "01632 960 001", "out_of_hours": "01632 960 002", "crisis": "111"}
    if council:
        shown = {"danger": council["emergency_danger_text"], "duty": council["emergency_duty_number"],
                 "out_of_hours": council["emergency_out_of_hours_number"],
                 "crisis": council["emergency_crisis_line_number"]}
        assert council["emergency_crisis_line_name"] in words
    assert warning(html) == "Warning " + shown["danger"]
    for what in ("duty", "out_of_hours", "crisis"):
        assert f"Telephone: {shown[what]}" in words, what


def view(*, decision: dict[str, Any] | None, requests: list[dict[str, Any]], risks: list[str]) -> dict[str, Any]:
    """The referral as GET /referrals/{referral_id} answers it (schemas.views.referrals.ReferralView), its decision's
    routes those of its requests."""
    child_id = str(uuid.uuid4())
    routes = [{"service": r["service"], "pathway": r["pathway"], "priority": r["priority"], "due_by": r["due_by"],
               "held": r["held"], "reasons": ["semh.emergency"], "service_request_id": r["service_request_id"]}
              for r in requests]
    return {"referral_id": str(REFERRAL_ID), "child_id": child_id, "status": "decided",
            "submitted_at": "2030-12-07T11:40:00+00:00", "client_reference": "portal-x",
            "referral": referral_body(risks=risks),
            "decision": decision and decision | {"referral_id": str(REFERRAL_ID), "child_id": child_id,
                                                 "routes": routes},
            "original_decision": None, "front_door_decisions": [], "service_requests": requests, "timeline": []}


def decided(outcome: str) -> dict[str, Any]:
    return {"outcome": outcome, "decided_at": "2030-12-07T11:40:05+00:00", "ruleset_version": "ref-1", "missing": [],
            "dsr": {"candidate": False},
            "explanation": [{"rule_id": "semh.emergency", "because": "A suicide plan or intent is reported."}]}


def crisis(due_by: str, priority: str = "emergency") -> dict[str, Any]:
    return {"service_request_id": str(uuid.uuid4()), "service": "semh", "pathway": "crisis", "priority": priority,
            "due_by": due_by, "held": False, "status": "created", "breached": False, "redirect_of": None}


EMERGENCY = view(decision=decided("emergency"), requests=[crisis("2030-12-07T15:40:00+00:00")],
                 risks=["suicide_plan_or_intent"])


async def test_the_risks_page_warns_near_the_emergency_risks_of_the_ruleset_in_force(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    html = (await portal.get("/referrals/new/needs")).text
    assert_contacts(html)
    lead = text(html[html.index('name="risks"'):html.index(WARNING)])  # after the risks, before the warning
    assert "If you tick “A suicide plan or intent” or “Signs of psychosis”, the child needs help now" in lead
    assert html.count(WARNING) == 1
    other = await portal.get("/referrals/new/child")  # no emergency risk is asked there
    assert WARNING not in other.text


async def test_the_warning_follows_the_council_s_ruleset_and_settings(engine: Engine, standin: StandIn,
                                                                      tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_RULESET.read_text())
    data["groups"]["EMERGENCY"].append("risk_to_others")
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    async with portal_with(engine, standin, ruleset_path=path, **COUNCIL) as client:
        await sign_in(client, "senco-seaview")
        html = (await client.get("/referrals/new/needs")).text
    assert_contacts(html, **COUNCIL)
    assert "If you tick “A suicide plan or intent”, “Signs of psychosis” or “Risk to others”" in text(html)
    assert "01632 960" not in html  # the council's numbers, not the placeholders


async def test_check_answers_warns_only_when_an_emergency_risk_is_chosen(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    for risks, warned in ((["self_harm_recent"], False), (["self_harm_recent", "psychosis_signs"], True)):
        _, token = await page(portal, "/referrals/new/needs")
        answered = await portal.post("/referrals/new/needs", data={
            "concerns": "low_mood", "impact": "severe", "duration": "under_1_month", "risks": risks,
            "csrf_token": token})
        assert answered.status_code == 303
        html = (await portal.get("/referrals/new/check")).text
        assert (WARNING in html) is warned, risks
        if warned:
            assert_contacts(html)
            assert html.index(WARNING) < html.index("Accept and send")


async def test_the_confirmation_of_an_undecided_emergency_warns(portal: httpx.AsyncClient, standin: StandIn) -> None:
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200,
               view(decision=None, requests=[], risks=["suicide_plan_or_intent"]))
    await sign_in(portal, "senco-seaview")
    html = (await portal.get(f"/referrals/{REFERRAL_ID}/confirmation")).text
    assert "Referral received" in html and str(REFERRAL_ID)[:8].upper() in html
    assert_contacts(html)
    assert html.index("govuk-panel") < html.index(WARNING)


async def test_the_confirmation_of_a_decided_emergency_gives_the_due_time(portal: httpx.AsyncClient,
                                                                          standin: StandIn) -> None:
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, EMERGENCY)
    await sign_in(portal, "senco-seaview")
    html = (await portal.get(f"/referrals/{REFERRAL_ID}/confirmation")).text
    assert_contacts(html)
    assert "Mental health (SEMH), crisis, is asked to respond by 3:40pm on 7 December 2030" in text(html)


@pytest.mark.parametrize("answer", [
    (200, view(decision=decided("routed"), requests=[crisis("2030-12-20T17:00:00+00:00", "urgent")],
               risks=["suicide_plan_or_intent"])),  # a person made it urgent: the decision stands
    (200, view(decision=None, requests=[], risks=["self_harm_recent"])),
    (503, {"title": "Intake is not answering"}),  # the referral was sent: the confirmation still shows
])
async def test_the_confirmation_of_anything_else_has_no_warning(portal: httpx.AsyncClient, standin: StandIn,
                                                                answer: tuple[int, Any]) -> None:
    standin.on("GET", f"/referrals/{REFERRAL_ID}", *answer)
    await sign_in(portal, "senco-seaview")
    confirmation = await portal.get(f"/referrals/{REFERRAL_ID}/confirmation")
    assert confirmation.status_code == 200 and "Referral received" in confirmation.text
    assert WARNING not in confirmation.text


async def test_the_referral_page_of_an_emergency_warns_and_gives_the_due_time(portal: httpx.AsyncClient,
                                                                              standin: StandIn) -> None:
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, EMERGENCY)
    await sign_in(portal, "senco-seaview")
    html = (await portal.get(f"/referrals/{REFERRAL_ID}")).text
    assert_contacts(html)
    assert "govuk-tag--red" in html and "Emergency" in html  # not the pale tag of any other decision
    words = text(html)
    assert "Mental health (SEMH), crisis, is asked to respond by 3:40pm on 7 December 2030" in words
    assert re.search(r"<td [^>]*>\s*3:40pm on 7 December 2030\s*</td>", html)  # the table's "Due by", in hours


async def test_an_emergency_due_within_hours_is_due_today_or_tomorrow(portal: httpx.AsyncClient,
                                                                      standin: StandIn) -> None:
    due = (datetime.now(UTC) + timedelta(hours=4)).replace(second=0, microsecond=0)
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200,
               EMERGENCY | {"service_requests": [crisis(due.isoformat())]})
    await sign_in(portal, "senco-seaview")
    words = text((await portal.get(f"/referrals/{REFERRAL_ID}")).text)
    assert re.search(r"is asked to respond by (\d{1,2}(:\d\d)?(am|pm)|midday) (today|tomorrow)", words) or (
        "by midnight tonight" in words), words


async def test_any_other_referral_page_has_no_warning(portal: httpx.AsyncClient, standin: StandIn) -> None:
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200,
               view(decision=decided("routed"), requests=[crisis("2030-12-20T17:00:00+00:00", "urgent")],
                    risks=["self_harm_recent"]))
    await sign_in(portal, "senco-seaview")
    html = (await portal.get(f"/referrals/{REFERRAL_ID}")).text
    assert WARNING not in html and "govuk-tag--red" not in html
    assert re.search(r"<td [^>]*>\s*20 December 2030\s*</td>", html)  # a day, as before


async def test_how_we_decide_shows_the_council_s_contacts(engine: Engine, standin: StandIn) -> None:
    async with portal_with(engine, standin) as client:
        shipped = await client.get("/how-we-decide")
    assert shipped.status_code == 200
    assert_contacts(shipped.text)
    async with portal_with(engine, standin, **COUNCIL) as client:
        council = await client.get("/how-we-decide")
    assert_contacts(council.text, **COUNCIL)
    assert "If you tick" not in council.text
    assert "A referral is an emergency when it reports “A suicide plan or intent” or “Signs of psychosis”" in text(
        council.text)

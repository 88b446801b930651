"""The portal's advice pages (issue 14, part 2), with the intake API stood in for: asking (the form, check answers
with the warning when the question seems to identify a child, sending anyway, the confirmation's answer-by date),
"My referrals and questions", reading the answer and "Make a referral from this" (the referral form filled in and
the advice id sent with the referral), answering (the front door's and a service's lists, the answer's body, the
API's 422 and 409), and who may see each page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
import pytest

from schemas.messages import sentence
from tests.handlers import portal_standins
from tests.handlers.portal_standins import NO_COUNTS, StandIn, assert_refused, page, problems, sign_in

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures

ADVICE = "6f1c1f0e-2b7a-4a55-9d1e-0a5b7c9d3e21"
QUESTION = "Pupil born 03/03/2015 in Year 5 is very hard to understand; is this a SALT referral or class strategies?"
ITEM: dict[str, Any] = {
    "advice_id": ADVICE, "asked_at": "2026-11-23T09:30:00Z", "question": QUESTION,
    "concerns": ["speech_sounds", "expressive_language"], "year_group": 5, "age": 9,
    "school": "Seaview Primary Academy", "service": "salt", "answer_due": "2026-11-30", "overdue": False,
    "state": "awaiting_answer", "answer": None,
    "next_step": None, "refer_to": None, "answered_by": None, "answered_at": None, "referral_id": None}
ANSWERED = ITEM | {"state": "answered", "answer": "This sounds like a speech sound difficulty: please refer to SALT.",
                   "next_step": "make_referral", "refer_to": "salt", "answered_by": "worker-salt",
                   "answerer": "Speech and language therapy", "answered_at": "2026-11-24T14:00:00Z"}


async def ask(portal: httpx.AsyncClient, question: str = QUESTION) -> str:
    html, token = await page(portal, "/advice/new")
    assert 'data-module="govuk-character-count"' in html and 'data-maxlength="2000"' in html
    assert 'name="given_name"' not in html and 'name="nhs_number"' not in html  # no child's identity is asked
    saved = await portal.post("/advice/new", data={"question": question, "concerns": ["speech_sounds",
                              "expressive_language"], "year_group": "5", "age": "9",
                              "school": "Seaview Primary Academy", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"] == "/advice/new/check"
    return (await page(portal, "/advice/new/check"))[0]


async def test_a_question_with_a_date_of_birth_is_warned_about_and_can_still_be_sent(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    check = await ask(portal)
    assert "govuk-warning-text" in check and "could be a date of birth" in check
    assert "03/03/2015" in check  # their own words, shown back to them to change
    assert 'href="/advice/new#question"' in check and "Send anyway" in check
    standin.on("POST", "/advice", 201, {"advice_id": ADVICE, "service": "salt", "answer_due": "2026-11-30",
                                        "warnings": [{"kind": "date_of_birth", "message": "..."}]})
    standin.on("GET", f"/advice/{ADVICE}", 200, ITEM)
    token = re.search(r'name="csrf_token" value="([^"]+)"', check).group(1)  # type: ignore[union-attr]
    sent = await portal.post("/advice/new/check", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"] == f"/advice/{ADVICE}/sent"
    assert standin.sent("POST", "/advice") == [{"question": QUESTION, "concerns": ["speech_sounds",
                                                "expressive_language"], "age": "9", "year_group": "5",
                                                "education_setting": {"name": "Seaview Primary Academy"}}]
    done = (await page(portal, sent.headers["location"]))[0]
    assert "Question sent" in done and "30 November 2026" in done and "speech and language therapy" in done


async def test_a_question_without_identifying_details_has_no_warning(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    check = await ask(portal, "A Year 5 pupil is very hard to understand; should we try strategies for 2 weeks first?")
    assert "govuk-warning-text" not in check and "Send question" in check


async def test_the_api_s_422_shows_the_form_again_with_every_problem_at_its_field(portal: httpx.AsyncClient,
                                                                                   standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    check = await ask(portal)
    standin.on("POST", "/advice", 422, problems("question", "concerns", "age", "year_group", "education_setting.name"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', check).group(1)  # type: ignore[union-attr]
    shown = await portal.post("/advice/new/check", data={"csrf_token": token})
    assert shown.status_code == 422
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', shown.text, re.DOTALL).group(1)  # type: ignore[union-attr]
    assert re.findall(r'href="([^"]+)"', summary) == ["#question", "#concerns", "#age", "#year_group", "#school"]
    for target in ("question", "concerns", "age", "year_group", "school"):
        assert f'id="{target}"' in shown.text, target
    for field in ("question", "concerns", "age", "year_group", "education_setting.name"):  # in the summary and beside
        assert unescape(shown.text).count(sentence(field, "missing", form="advice")) == 2, field


async def test_my_referrals_and_questions_and_the_answer(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    standin.on("GET", "/advice", 200, [ANSWERED, ITEM | {"advice_id": "7" + ADVICE[1:]}])
    mine, _ = await page(portal, "/referrals")
    assert "My referrals and questions" in mine and f'href="/advice/{ADVICE}"' in mine
    assert "Answered" in mine and "Awaiting answer" in mine and "Speech sounds" in mine and "30 November 2026" in mine
    standin.on("GET", f"/advice/{ADVICE}", 200, ANSWERED)
    one, _ = await page(portal, f"/advice/{ADVICE}")
    assert "please refer to SALT" in one and "Make a referral to Speech and language therapy" in one
    assert "24 November 2026" in one and "Make a referral from this" in one
    assert "Answered by" in one and "Speech and language therapy" in one  # who answered: the team, for the asker
    assert "worker-salt" not in one  # never a login id (issue 22, item 7)


async def test_make_a_referral_from_this_fills_in_the_referral_and_sends_the_advice_id(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    standin.on("GET", f"/advice/{ADVICE}", 200, ANSWERED)
    _, token = await page(portal, f"/advice/{ADVICE}")
    started = await portal.post(f"/advice/{ADVICE}/refer", data={"csrf_token": token})
    assert started.status_code == 303 and started.headers["location"] == "/referrals/new/child"
    setting, _ = await page(portal, "/referrals/new/setting")
    assert re.search(r'name="child-education_setting-year_group">.*?<option value="5" selected', setting,
                     flags=re.DOTALL)  # the year group's list (issue 22, item 5), Year 5 chosen
    assert 'value="Seaview Primary Academy"' in setting
    needs, _ = await page(portal, "/referrals/new/needs")
    for concern in ("speech_sounds", "expressive_language"):
        assert re.search(rf'value="{concern}" checked', needs), concern
    assert not re.search(r'value="anxiety" checked', needs)
    check, token = await page(portal, "/referrals/new/check")
    standin.on("POST", "/referrals", 422, problems("child.given_name"))
    await portal.post("/referrals/new/check", data={"csrf_token": token})
    body = standin.sent("POST", "/referrals")[0]
    assert body["advice_request_id"] == ADVICE and body["concerns"] == ["speech_sounds", "expressive_language"]
    assert body["child"]["education_setting"] == {"name": "Seaview Primary Academy", "year_group": "5"}


async def test_an_unfinished_referral_is_not_replaced_without_saying_so(portal: httpx.AsyncClient,
                                                                        standin: StandIn) -> None:
    """Making a referral from advice starts a new draft: with another referral half done, the page warns first;
    pressing the button again once the referral from this advice is under way goes on with it, not afresh."""
    await sign_in(portal, "senco-seaview")
    standin.on("GET", f"/advice/{ADVICE}", 200, ANSWERED)
    _, token = await page(portal, "/referrals/new/child")
    await portal.post("/referrals/new/child", data={"child-given_name": "Ada", "csrf_token": token})
    one, token = await page(portal, f"/advice/{ADVICE}")
    assert "You have a referral you have not finished" in one and "Replace it and make a referral from this" in one
    await portal.post(f"/advice/{ADVICE}/refer", data={"csrf_token": token})
    child, token = await page(portal, "/referrals/new/child")
    assert 'value="Ada"' not in child
    setting, token = await page(portal, "/referrals/new/setting")
    await portal.post("/referrals/new/setting", data={"child-education_setting-name": "Seaview Junior",
                                                      "child-education_setting-year_group": "6", "csrf_token": token})
    again, token = await page(portal, f"/advice/{ADVICE}")
    assert "You have a referral you have not finished" not in again  # it is this advice's own referral
    await portal.post(f"/advice/{ADVICE}/refer", data={"csrf_token": token})
    setting, _ = await page(portal, "/referrals/new/setting")
    assert 'value="Seaview Junior"' in setting  # the referral under way goes on, with its changes


@pytest.mark.parametrize(("user", "path"), [("front-door-hub", "/advice"), ("worker-salt", "/work/salt/advice")])
async def test_the_answering_lists_filter_by_state(portal: httpx.AsyncClient, standin: StandIn, user: str,
                                                   path: str) -> None:
    await sign_in(portal, user)
    standin.on("GET", "/advice", 200, [ITEM | {"overdue": True}])
    html, _ = await page(portal, path + "?state=all")
    assert [params for _, p, _, params in standin.calls if p == "/advice"] == [{"state": "all"}]
    assert "Overdue" in html and f'href="/advice/{ADVICE}"' in html and f'<form method="get" action="{path}"' in html
    await page(portal, path + "?state=whatever")
    assert [params for _, p, _, params in standin.calls if p == "/advice"][-1] == {"state": "unanswered"}


@pytest.mark.parametrize("user", ["front-door-hub", "worker-salt"])
async def test_answering_sends_the_answer_and_shows_the_api_s_refusals(portal: httpx.AsyncClient, standin: StandIn,
                                                                       user: str) -> None:
    await sign_in(portal, user)
    standin.on("GET", f"/advice/{ADVICE}", 200, ITEM)
    html, token = await page(portal, f"/advice/{ADVICE}")
    assert "Answer this question" in html and 'name="next_step"' in html and 'name="refer_to"' in html
    assert "Make a referral from this" not in html
    path = f"/advice/{ADVICE}/answer"
    standin.on("POST", path, 200, ANSWERED)
    done = await portal.post(path, data={"answer": "Try these strategies in class.", "next_step": "try_strategies",
                                         "refer_to": "salt", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == f"/advice/{ADVICE}?done=answer"
    await portal.post(path, data={"answer": "Refer to SALT please.", "next_step": "make_referral", "refer_to": "salt",
                                  "csrf_token": token})
    await portal.post(path, data={"answer": "No referral is needed.", "next_step": "", "csrf_token": token})
    assert standin.sent("POST", path) == [
        {"answer": "Try these strategies in class.", "next_step": "try_strategies", "refer_to": None},
        {"answer": "Refer to SALT please.", "next_step": "make_referral", "refer_to": "salt"},
        {"answer": "No referral is needed.", "next_step": None, "refer_to": None}]
    standin.on("POST", path, 422, problems("answer", "refer_to"))
    refused = await portal.post(path, data={"answer": "short", "next_step": "make_referral", "csrf_token": token})
    assert refused.status_code == 422 and refused.text.count(sentence("answer", "missing", form="advice_answer")) == 2
    assert refused.text.count(sentence("refer_to", "missing", form="advice_answer")) == 2
    assert 'href="#refer_to"' in refused.text and "is wrong" not in refused.text
    standin.on("POST", path, 409, {"title": "This request has already been answered"})
    again = await portal.post(path, data={"answer": "A second answer here.", "csrf_token": token})
    assert again.status_code == 409 and "already been answered" in again.text


async def test_a_request_the_api_does_not_show_is_not_found(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "worker-semh")
    standin.on("GET", f"/advice/{ADVICE}", 404, {"title": "Not found"})
    assert (await portal.get(f"/advice/{ADVICE}")).status_code == 404
    _, token = await page(portal, "/work/semh/advice")
    standin.on("POST", f"/advice/{ADVICE}/answer", 404, {"title": "Not found"})
    refused = await portal.post(f"/advice/{ADVICE}/answer", data={"answer": "An answer of mine.", "csrf_token": token})
    assert refused.status_code == 404


@pytest.mark.parametrize(("user", "path"), [
    *((u, p) for u in ("worker-salt", "front-door-hub", "dsr-chair", "asc-practitioner", "commissioning", "fd-admin")
      for p in ("/advice/new", "/advice/new/check", f"/advice/{ADVICE}/sent")),
    *((u, "/advice") for u in ("senco-seaview", "worker-salt", "dsr-chair", "asc-practitioner", "commissioning")),
    *((u, f"/advice/{ADVICE}") for u in ("dsr-chair", "asc-practitioner", "commissioning", "fd-admin")),
    ("worker-semh", "/work/salt/advice"), ("front-door-hub", "/work/salt/advice"),
    ("senco-seaview", "/work/salt/advice"),
])
async def test_other_roles_are_refused(portal: httpx.AsyncClient, standin: StandIn, user: str, path: str) -> None:
    await assert_refused(portal, standin, user, path)


@pytest.mark.parametrize(("user", "path"), [("senco-seaview", f"/advice/{ADVICE}/answer"),
                                            ("dsr-chair", f"/advice/{ADVICE}/answer"),
                                            ("worker-salt", f"/advice/{ADVICE}/refer"),
                                            ("front-door-hub", f"/advice/{ADVICE}/refer")])
async def test_other_roles_cannot_answer_or_refer(portal: httpx.AsyncClient, standin: StandIn, user: str,
                                                  path: str) -> None:
    await sign_in(portal, user)
    _, token = await page(portal, "/how-we-decide")  # any page: the session's token
    refused = await portal.post(path, data={"answer": "An answer of mine.", "csrf_token": token})
    assert refused.status_code == 403 and standin.sent("POST", path) == []


async def test_the_front_door_queue_shows_a_question_with_its_clock_and_a_link_to_answer_it(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "front-door-hub")
    item = {"reason": "advice", "referral_id": None, "child_id": None, "submitted_at": "2026-11-23T09:30:00Z",
            "clock": {"due_at": "2026-12-01T00:00:00+00:00", "overdue": False,
                      "text": "Answer due by the end of 30 November 2026"}, "outcome": None, "services": ["salt"],
            "school": "Seaview Primary Academy", "school_urn": None, "age_band": "5-10",
            "summary": "A question asking for advice. Concerns: Speech sounds.", "advice": {"advice_id": ADVICE}}
    standin.on("GET", "/front-door/queue", 200, {"items": [item], "total": 1, "notes": [],
                                                 "counts": NO_COUNTS | {"advice": 1}})
    html, _ = await page(portal, "/front-door")
    assert "Asked for advice" in html and 'data-reason="advice" data-count="1"' in html
    assert html.count(f'href="/advice/{ADVICE}"') == 2 and "Answer due by the end of 30 November 2026" in html

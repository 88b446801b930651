"""Issue 22, items 1, 3, 4 and 5: the referral form checks each page as it is answered, by the contract's rules and in
the words of one catalogue; "Change" comes back to check answers; Back after sending shows the referral sent, not an
empty form to send; an empty "Give the missing information" is refused (in the portal and at intake); "About you"
starts from the signed-in person; the year group is a list; the concerns come under headings; "None of these" on the
risks and the services involved; the parents and carers. The portal runs on a migrated SQLite file; intake is stood
in for (portal_standins), but for the intake PATCH, which runs intake's own app."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from schemas.enums import Concern
from schemas.labels import LONDON
from services.intake.referrals import handlers
from services.portal import questions
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import decided, submit
from tests.handlers.portal_standins import StandIn, page, portal, sign_in, standin
from tests.handlers.test_http_security import intake, token

__all__ = ["intake", "portal", "standin"]  # the fixtures
REFERRAL_ID = uuid.UUID("3f6c1a2b-9d8e-4f70-a1b2-c3d4e5f60718")
CHILD_ID = uuid.UUID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
LIBRARY_WORDS = ("Input should", "Field required", "value_error", "check digit", "Value error", "String should",
                 "List should", "outside expected range", "Check the child", "Check your answer")
VALID: dict[str, dict[str, Any]] = {
    "child": {"child-given_name": "Ada", "child-family_name": "Formtest", "dob-day": "31", "dob-month": "3",
              "dob-year": "2017", "child-nhs_number": "943 476 5919", "child-postcode": "ss1 2ab"},
    "contacts": {},
    "setting": {"child-education_setting-name": "Seaview Primary Academy",
                "child-education_setting-year_group": "4"},
    "needs": {"concerns": ["stammering"], "impact": "moderate", "duration": "over_6_months", "risks": ["none"],
              "known_services": ["none"]},
    "consent": {"consent-basis": "parent_with_pr", "consent-child_aware": "yes"},
    "reason": {"reason": "Ada's stammer has got worse this term and she no longer answers in class."},
    "referrer": {"referrer-name": "Sam Patel", "referrer-role": "school_senco"},
}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&#x27;", "'")


def summary(html: str) -> list[tuple[str, str]]:
    """The error summary's (link, words)."""
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, flags=re.DOTALL)
    if not found:
        return []
    return [(href, " ".join(text(words).split()))
            for href, words in re.findall(r'<a href="([^"]+)">(.*?)</a>', found.group(1), flags=re.DOTALL)]


def assert_words_for_people(html: str) -> None:
    for words in LIBRARY_WORDS:
        assert words not in html, words


def input_tag(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, name
    return found.group(0)


async def answer(client: httpx.AsyncClient, slug: str, data: dict[str, Any], query: str = "") -> httpx.Response:
    _, token_ = await page(client, f"/referrals/new/{slug}{query}")
    return await client.post(f"/referrals/new/{slug}{query}", data=data | {"csrf_token": token_})


async def fill_in(client: httpx.AsyncClient, **changes: dict[str, Any]) -> None:
    for slug, data in VALID.items():
        done = await answer(client, slug, data | changes.get(slug, {}))
        assert done.status_code == 303, (slug, summary(done.text))


# Item 1: each page checked as it is answered, with the contract's rules and words for people

async def test_the_first_page_refuses_an_impossible_date_a_wrong_nhs_number_and_a_postcode_that_does_not_exist(
        portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    refused = await answer(portal, "child", VALID["child"] | {
        "dob-day": "31", "dob-month": "2", "dob-year": "2017", "child-nhs_number": "485 777 3456",
        "child-postcode": "ZZ1 1ZZ"})
    assert refused.status_code == 422
    assert summary(refused.text) == [
        ("#child-date_of_birth-day", "The child's date of birth must be a real date"),
        ("#child-nhs_number", "Enter a real NHS number: check each digit against their records"),
        ("#child-postcode", "Enter a real postcode, like SS1 2AB")]
    assert_words_for_people(refused.text)
    html = refused.text
    assert "govuk-input--error" in input_tag(html, "dob-day") and 'value="31"' in input_tag(html, "dob-day")
    assert "govuk-input--error" not in input_tag(html, "dob-month") + input_tag(html, "dob-year")
    assert 'id="child-date_of_birth-day"' in html  # the summary's link goes to the part in error
    assert "govuk-input--error" in input_tag(html, "child-postcode") and 'value="ZZ1 1ZZ"' in html


@pytest.mark.parametrize(("day", "month", "year", "said", "parts"), [
    ("3", "", "2016", "The child's date of birth must include a month", ["month"]),
    ("", "", "2016", "The child's date of birth must include a day and month", ["day", "month"]),
    ("3", "4", "16", "Year must include 4 numbers", ["year"]),
    ("3", "13", "2016", "The child's date of birth must be a real date", ["month"]),
    ("3", "four", "2016", "The child's date of birth must be a real date", ["month"]),
    ("", "", "", "Enter the child's date of birth", ["day", "month", "year"]),
    ("1", "1", "1990", "The child must be under 26: check their date of birth", ["day", "month", "year"]),
])
async def test_a_date_s_problem_is_said_in_words_on_the_part_in_error(
        portal: httpx.AsyncClient, day: str, month: str, year: str, said: str, parts: list[str]) -> None:
    await sign_in(portal, "senco-seaview")
    refused = await answer(portal, "child", VALID["child"] | {"dob-day": day, "dob-month": month, "dob-year": year})
    assert refused.status_code == 422
    assert summary(refused.text) == [(f"#child-date_of_birth-{parts[0]}", said)]
    for part in ("day", "month", "year"):
        assert ("govuk-input--error" in input_tag(refused.text, f"dob-{part}")) is (
            part in parts or parts == ["day", "month", "year"] and not (day or month or year)), part


async def test_a_date_in_the_future_is_refused(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    refused = await answer(portal, "child", VALID["child"] | {
        "dob-day": str(tomorrow.day), "dob-month": str(tomorrow.month), "dob-year": str(tomorrow.year)})
    assert refused.status_code == 422
    assert summary(refused.text) == [("#child-date_of_birth-day",
                                      "The child's date of birth must be today or in the past")]


async def test_every_page_is_checked_before_going_on(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    empty = {"child": 4, "setting": 0, "contacts": 0, "needs": 3, "consent": 1, "reason": 1, "referrer": 2}
    for slug, problems in empty.items():
        done = await answer(portal, slug, {})
        assert (done.status_code, len(summary(done.text))) == ((422, problems) if problems else (303, 0)), slug
        assert_words_for_people(done.text)
    reason = await answer(portal, "reason", {"reason": "Too short"})
    assert summary(reason.text) == [("#reason", "The reason for the referral must be 20 characters or more")]
    setting = await answer(portal, "setting", {"child-education_setting-urn": "12"})
    assert [words for _, words in summary(setting.text)] == [
        "Enter the name of the child's school or setting", "Enter the school's URN as 6 digits, like 100000"]


async def test_check_answers_shows_the_date_in_words(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    await fill_in(portal)
    check = text((await portal.get("/referrals/new/check")).text)
    assert "31 March 2017" in check and "2017-" not in check and "943 476 5919" in check
    assert "SS1 2AB" in check and "ss1 2ab" not in check  # as the contract keeps it, not as typed
    assert "Year 4" in check


async def test_after_a_failed_send_each_error_link_opens_its_page_showing_the_error(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    await fill_in(portal)
    assert (await answer(portal, "child", VALID["child"] | {"child-postcode": "ZZ1 1ZZ"})).status_code == 422
    _, token_ = await page(portal, "/referrals/new/check")  # left by the menu, then sent from check answers
    standin.on("POST", "/referrals", 422, {"title": "The referral has problems", "errors": [
        {"field": "child.postcode", "problem": "must be a UK postcode, like SS1 2AB", "type": "value_error"}]})
    refused = await portal.post("/referrals/new/check", data={"csrf_token": token_})
    assert refused.status_code == 422
    [(href, words)] = summary(refused.text)
    assert (href, words) == ("/referrals/new/child?change=1#child-postcode", "Enter a real postcode, like SS1 2AB")
    opened = await portal.get(href.split("#")[0])
    assert summary(opened.text) == [("#child-postcode", "Enter a real postcode, like SS1 2AB")]
    assert "govuk-input--error" in input_tag(opened.text, "child-postcode")
    fixed = await answer(portal, "child", VALID["child"], "?change=1")
    assert fixed.headers["location"] == "/referrals/new/check"


async def test_a_refusal_the_portal_cannot_place_is_still_said_in_words(portal: httpx.AsyncClient,
                                                                        standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    await fill_in(portal)
    _, token_ = await page(portal, "/referrals/new/check")
    standin.on("POST", "/referrals", 422, {"title": "The referral has problems", "errors": [
        {"field": "child.date_of_birth", "problem": "must give an age under 26 at submission", "type": "value_error"}]})
    refused = await portal.post("/referrals/new/check", data={"csrf_token": token_})
    assert summary(refused.text) == [("/referrals/new/child?change=1#child-date_of_birth",
                                      "The child must be under 26: check their date of birth")]


# Item 3: Change comes back; Back after sending; an empty completion refused

async def test_change_returns_to_check_answers(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    await fill_in(portal)
    check = (await portal.get("/referrals/new/check")).text
    changes = re.findall(r'<a class="govuk-link" href="([^"]+)">Change', check)
    assert changes and all("?change=1#" in href for href in changes)
    assert "/referrals/new/child?change=1#child-date_of_birth-day" in changes
    setting = await portal.get("/referrals/new/setting?change=1")
    assert 'href="/referrals/new/check"' in setting.text  # its Back link too
    changed = await answer(portal, "setting", VALID["setting"] | {"child-education_setting-year_group": "5"},
                           "?change=1")
    assert (changed.status_code, changed.headers["location"]) == (303, "/referrals/new/check")
    assert "Year 5" in text((await portal.get("/referrals/new/check")).text)
    on = await answer(portal, "setting", VALID["setting"])  # not from check answers: on to the next page
    assert on.headers["location"] == "/referrals/new/needs"


async def test_back_after_sending_shows_the_referral_sent_and_never_sends_an_empty_one(
        portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    nothing = await portal.get("/referrals/new/check")  # no draft, nothing sent: the form's first page
    assert (nothing.status_code, nothing.headers["location"]) == (303, "/referrals/new/child")
    await fill_in(portal)
    standin.on("POST", "/referrals", 201, {"referral_id": str(REFERRAL_ID), "child_id": str(CHILD_ID),
                                           "status": "submitted", "links": {"self": f"/referrals/{REFERRAL_ID}"}})
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, needing(["consent"]))
    _, token_ = await page(portal, "/referrals/new/check")
    sent = await portal.post("/referrals/new/check", data={"csrf_token": token_})
    assert sent.headers["location"] == f"/referrals/{REFERRAL_ID}/confirmation"
    back = await portal.get("/referrals/new/check")
    again = f"/referrals/{REFERRAL_ID}/confirmation?again=1"
    assert (back.status_code, back.headers["location"]) == (303, again)
    resent = await portal.post("/referrals/new/check", data={"csrf_token": token_})
    assert (resent.status_code, resent.headers["location"]) == (303, again)
    assert len(standin.sent("POST", "/referrals")) == 1
    shown = text((await portal.get(again)).text)
    assert "You have already sent this referral" in shown and "Accept and send" not in shown


def needing(missing: list[str]) -> dict[str, Any]:
    from tests.handlers.test_portal_emergency import decided as decision
    from tests.handlers.test_portal_emergency import view

    found = view(decision=decision("needs_information") | {"missing": missing}, requests=[], risks=[])
    return found | {"referral_id": str(REFERRAL_ID),
                    "decision": found["decision"] | {"referral_id": str(REFERRAL_ID)}}


@pytest.mark.parametrize(("missing", "said"), [
    (["consent"], [("#consent-basis", "Select who has agreed to this referral")]),
    (["parental_consent", "child_agreement"], [("#consent-basis", "Select who has agreed to this referral"), (
        "#consent-child_aware", "Select whether the child knows about this referral")]),
])
async def test_an_empty_give_the_missing_information_is_refused(portal: httpx.AsyncClient, standin: StandIn,
                                                                missing: list[str],
                                                                said: list[tuple[str, str]]) -> None:
    await sign_in(portal, "senco-seaview")
    standin.on("GET", f"/referrals/{REFERRAL_ID}", 200, needing(missing))
    _, token_ = await page(portal, f"/referrals/{REFERRAL_ID}/complete")
    refused = await portal.post(f"/referrals/{REFERRAL_ID}/complete", data={"csrf_token": token_})
    assert refused.status_code == 422
    assert summary(refused.text) == said
    assert 'class="govuk-error-message"' in refused.text
    assert standin.sent("PATCH", f"/referrals/{REFERRAL_ID}") == []  # nothing recorded, triage not run again


async def test_intake_refuses_an_empty_patch(intake: Any, engine: Engine) -> None:
    api, settings = intake
    with Session(engine, expire_on_commit=False) as session:
        record = submit(session)
        handlers.apply_decision(session, decided(record, outcome="needs_information", missing=("consent",)), NOW)
        session.commit()
    async with api:
        for body in (b"{}", b'{"consent": {}}'):
            refused = await api.patch(f"/referrals/{record.id}", content=body,
                                      headers=token(settings) | {"content-type": "application/merge-patch+json"})
            assert refused.status_code == 422, body
            assert [e["field"] for e in refused.json()["errors"]] == ["consent"]


# Item 5: About you, the year group, the concerns, "None of these"

async def test_about_you_starts_from_the_signed_in_person_and_keeps_what_they_change(
        portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    html = (await portal.get("/referrals/new/referrer")).text
    assert 'value="Sam Patel"' in input_tag(html, "referrer-name")
    assert 'value="Seaview Primary Academy"' in input_tag(html, "referrer-organisation")
    assert 'value="sam.patel@seaview.example.org"' in input_tag(html, "referrer-email")
    assert re.search(r'<option value="school_senco" selected', html)
    saved = await answer(portal, "referrer", {"referrer-name": "Samira Patel", "referrer-role": "teacher",
                                              "referrer-organisation": ""})
    assert saved.status_code == 303
    again = (await portal.get("/referrals/new/referrer")).text
    assert 'value="Samira Patel"' in input_tag(again, "referrer-name")
    assert 'value=""' in input_tag(again, "referrer-organisation") or "value=" not in input_tag(
        again, "referrer-organisation")  # left blank on purpose: not filled in again
    assert re.search(r'<option value="teacher" selected', again)


async def test_the_year_group_is_chosen_from_the_advice_form_s_list(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    html = (await portal.get("/referrals/new/setting")).text
    select = re.search(r'<select[^>]*id="child-education_setting-year_group".*?</select>', html, flags=re.DOTALL)
    assert select
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))
    assert options == [("", "Choose a year group"), *questions.YEAR_GROUPS]
    assert options[1] == ("-2", "Nursery (age 2 to 3)") and options[-1] == ("14", "Year 14")
    advice = (await portal.get("/advice/new")).text
    assert all(f'<option value="{v}"' in advice for v, _ in questions.YEAR_GROUPS)


def test_every_concern_is_under_exactly_one_heading() -> None:
    grouped = [c for _, group in questions.CONCERN_GROUPS for c in group]
    assert sorted(grouped) == sorted(Concern) and len(grouped) == len(set(grouped))
    assert [heading for heading, _ in questions.CONCERN_GROUPS] == [
        "Mental health and behaviour", "Life events and relationships", "Speech, language and communication",
        "Family and home"]


async def test_concerns_come_under_headings_and_none_of_these_is_an_answer(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    html = (await portal.get("/referrals/new/needs")).text
    for heading, group in questions.CONCERN_GROUPS:
        section = html[html.index(f">{heading}</h3>"):]
        assert f'value="{group[0].value}"' in section.split("</h3>", 2)[1], heading
    assert all(html.count(f'name="concerns" type="checkbox" value="{c.value}"') == 1 for c in Concern)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for name in ("risks", "known_services"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*value="none"[^>]*>', html)
        assert box and 'data-behaviour="exclusive"' in box.group(0), name
    assert html.count('<div class="govuk-checkboxes__divider">or</div>') == 2
    both = await answer(portal, "needs", VALID["needs"] | {"risks": ["none", "self_harm_recent"]})
    assert summary(both.text) == [("#risks", "Select the risks you know about, or select ‘None of these’")]
    await fill_in(portal)
    rows = dict(re.findall(r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*'
                           r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
                           (await portal.get("/referrals/new/check")).text, flags=re.DOTALL))
    assert (rows["Risks"], rows["Services already involved"]) == ("None", "None")


# Item 4: the parents and carers

async def test_the_parents_and_carers_are_asked_checked_and_shown(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    html = (await portal.get("/referrals/new/contacts")).text
    assert html.count("<legend") >= 2 and "Parent or carer 1" in html and "Parent or carer 2" in html
    mother = {"parents_carers-0-name": "Grace Formtest", "parents_carers-0-relationship": "mother",
              "parents_carers-0-parental_responsibility": "yes", "parents_carers-0-may_contact": "yes",
              "parents_carers-0-preferred_contact": "phone", "parents_carers-0-interpreter_language": "Polish"}
    refused = await answer(portal, "contacts", mother)
    no_phone = "Parent or carer 1: Enter their telephone number, or select another way to contact them"
    assert summary(refused.text) == [("#parents_carers-0-phone", no_phone)]
    assert_words_for_people(refused.text)
    more = await answer(portal, "contacts", mother | {"parents_carers-0-phone": "07700 900 982", "add": "1"})
    assert more.headers["location"] == "/referrals/new/contacts?more=1"
    three = (await portal.get(more.headers["location"])).text
    assert "Parent or carer 3" in three and 'value="Grace Formtest"' in three
    await fill_in(portal, contacts=mother | {"parents_carers-0-phone": "07700 900 982",
                                             "parents_carers-1-name": "Tom Formtest",
                                             "parents_carers-1-relationship": "father",
                                             "parents_carers-1-parental_responsibility": "yes",
                                             "parents_carers-1-may_contact": "no",
                                             "parents_carers-1-do_not_contact_reason": "Court order",
                                             "parents_carers-1-phone": "07700 900 000"})
    check = text((await portal.get("/referrals/new/check")).text)
    assert "Grace Formtest (mother)" in check and "07700 900 982" in check and "Polish" in check
    assert "Tom Formtest (father)" in check and "Must not be contacted: Court order" in check
    assert "07700 900 000" not in check  # typed under "Yes", then "No" chosen: not kept in what is sent


async def test_a_young_person_s_own_contact_is_only_for_16_and_over(portal: httpx.AsyncClient,
                                                                    standin: StandIn) -> None:
    await sign_in(portal, "senco-seaview")
    await fill_in(portal)  # born 2017: under 16
    own = {"young_person_contact-preferred_contact": "email", "young_person_contact-email": "ada@example.org"}
    refused = await answer(portal, "contacts", own)
    assert refused.status_code == 422 and summary(refused.text) == [(
        "#young_person_contact-preferred_contact",
        "Only give the young person's own contact details if they are 16 or over")]
    assert_words_for_people(refused.text)
    assert 'id="young_person_contact-preferred_contact"' in refused.text and "govuk-error-message" in refused.text
    await answer(portal, "child", VALID["child"] | {"dob-year": "2008"})
    assert (await answer(portal, "contacts", own)).status_code == 303
    _, token_ = await page(portal, "/referrals/new/check")
    standin.on("POST", "/referrals", 422, {"title": "x", "errors": []})
    await portal.post("/referrals/new/check", data={"csrf_token": token_})
    [body] = standin.sent("POST", "/referrals")
    assert body["young_person_contact"] == {"preferred_contact": "email", "email": "ada@example.org"}
    assert body["risks"] == [] and body["known_services"] == [] and body["child"]["date_of_birth"] == "2008-03-31"


@pytest.mark.parametrize(("path", "prefix"), [
    ("parents_carers.0.phone", "Parent or carer 1: "), ("parents_carers.1.email", "Parent or carer 2: "),
    ("parents_carers.3", "Parent or carer 4: "), ("parents_carers", ""), ("young_person_contact.phone", ""),
    ("child.given_name", ""),
])
def test_a_problem_says_which_parent_or_carer_it_is_about(path: str, prefix: str) -> None:
    """With two people on the page, "Enter their telephone number" alone does not say whose."""
    assert questions.whose(path) == prefix

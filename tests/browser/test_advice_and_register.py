"""Issue 14's pages in a real browser, against the whole stack as `make run DEMO=1` starts it: an adult-services
practitioner (dsr_referrer) adds a 40-year-old to the register (the form, its error summary, check answers, the
confirmation) and finds them in "People I have added"; the DSR panel filters the agenda to adults on the CTR
track and opens the entry; a SENCO asks for advice with a date of birth in the question, is warned and sends it
anyway; the SALT worker answers it from the service's advice list; the SENCO reads the answer and "Make a
referral from this" opens the referral form with the concerns and year group filled in. Every page is scanned
with axe-core and must have no violations at all; screenshots go to test-artifacts/advice_and_register/."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.demo import sample_nhs_number
from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration
TODAY = date.today()
NHS = sample_nhs_number(777_001)
QUESTION = ("A Year 5 pupil, born 03/03/2015, is very hard to understand and has started refusing to read aloud. "
            "Is this a speech and language referral, or something we should try in class first?")
ANSWER = "This sounds like a speech sound difficulty beyond what class strategies will fix: please refer to SALT."
FOUND: dict[str, str] = {}  # what one test leaves for the next (the advice request's id)


class StrictVisit(Visit):
    """As Visit, and axe must find nothing at all on these pages (not only nothing serious)."""

    def check(self, name: str) -> Any:
        page = super().check(name)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.who}-{name}".lower()).strip("-")[:80]
        violations = json.loads((self.artifacts / f"{slug}.axe.json").read_text())
        assert violations == [], (name, [(v["id"], v["impact"]) for v in violations])
        return page


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "advice_and_register"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_dsr_referrer_adds_an_adult_and_sees_them_among_the_people_they_added(
        browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "dsr-referrer")
    v.sign_in("asc-practitioner")
    page = v.go("/dsr/add")
    page.click("button:has-text('Continue')")  # nothing filled in: the form again with every problem, not check answers
    v.check("add-errors")
    assert page.url.endswith("/dsr/add")
    assert page.locator(".govuk-error-summary").is_visible()
    problems = page.locator(".govuk-error-summary__list a")
    assert problems.count() >= 6
    for i in range(problems.count()):  # every problem links to a field on the page
        target = problems.nth(i).get_attribute("href")
        assert target and page.locator(target).count() == 1, target
    page.fill("#nhs_number", f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}")
    page.fill("#given_name", "Owen")
    page.fill("#family_name", "Browsertest-Adult")
    page.fill("#date_of_birth", "15")
    page.fill("input[name='dob-month']", "1")
    page.fill("input[name='dob-year']", str(TODAY.year - 41))
    page.check("input[name='diagnosis'][value='both']")
    page.check("input[name='risks'][value='mh_admission_risk']")
    page.check("input[name='risks'][value='placement_breakdown']")
    page.check("input[name='has_ehcp'][value='no']")
    page.check("input[name='current_setting'][value='community']")
    page.check("input[name='consent'][value='given']")
    page.fill("#consent_given_by", "The person themself")
    page.fill("#referring_agency", "Adult social care")
    page.fill("#referrer_contact", "asc.duty@example.gov.uk")
    page.fill("#reason", "His supported living placement is breaking down and an admission has been discussed.")
    page.click("button:has-text('Continue')")
    v.check("add-check")
    shown = page.inner_text("main")
    assert "Owen Browsertest-Adult" in shown and "Autism and a learning disability" in shown
    assert page.locator("a:has-text('Change')").count() == 12
    page.click("button:has-text('Add to the register')")
    v.check("add-confirmation")
    assert page.locator(".govuk-panel__title").inner_text() == "Added to the register"
    assert "Care and treatment review (CTR)" in page.inner_text("main")
    assert "Owen" not in page.url and NHS not in page.url  # nothing personal in the address
    page = v.go("/dsr/entries")
    page.click("a:has-text('Browsertest-Adult')")
    v.check("added-entry")
    assert "Adult social care" in page.inner_text("main") and "26+" in page.inner_text("main")
    assert v.page.goto(portal + "/dsr").status == 403  # the agenda is the panel's


def test_the_panel_filters_the_agenda_to_adults_on_the_ctr_track(browser: Any, portal: str,
                                                                 shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "dsr-panel")
    v.sign_in("dsr-chair")
    page = v.page
    page.select_option("#age_band", "26+")
    page.select_option("#track", "CTR")
    page.click("button:has-text('Filter the agenda')")
    v.check("agenda-adults-ctr")
    assert "age_band=26%2B" in page.url and "track=CTR" in page.url
    rows = page.locator("table", has_text="Entries for this meeting").locator("tbody tr")
    assert rows.count() >= 1 and all("26+" in rows.nth(i).inner_text() for i in range(rows.count()))
    assert "Browsertest-Adult" in page.inner_text("main")
    page.select_option("#age_band", "0-17")
    page.click("button:has-text('Filter the agenda')")
    v.check("agenda-children")
    assert "Browsertest-Adult" not in page.inner_text("main")
    page = v.go("/dsr?age_band=26%2B")
    page.click("a:has-text('Browsertest-Adult')")
    v.check("direct-entry")
    assert "Added directly" in page.inner_text("main") and "Adult social care" in page.inner_text("main")


def test_a_senco_asks_with_a_date_of_birth_is_warned_and_sends_anyway(browser: Any, portal: str,
                                                                      shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "senco-advice")
    v.sign_in("senco-seaview")
    page = v.go("/advice/new")
    page.fill("#question", QUESTION)
    page.check("input[name='concerns'][value='speech_sounds']")
    page.check("input[name='concerns'][value='expressive_language']")
    page.select_option("#year_group", "5")
    page.fill("#age", "9")
    page.fill("#school", "Seaview Primary Academy")
    page.click("button:has-text('Continue')")
    v.check("advice-check")
    warning = page.locator(".govuk-warning-text").inner_text()
    assert "date of birth" in warning and "not a named child" in warning
    assert page.locator("a[href='/advice/new#question']").count() >= 1  # back to change the question
    page.click("button:has-text('Send anyway')")
    v.check("advice-sent")
    assert page.locator(".govuk-panel__title").inner_text() == "Question sent"
    found = re.search(r"/advice/([0-9a-f-]{36})/sent$", page.url)
    assert found and re.search(r"\d{1,2} \w+ \d{4}", page.locator("#answer-due").inner_text())
    FOUND["advice_id"] = found.group(1)
    page = v.go("/referrals")
    row = page.locator("tr", has=page.locator(f"a[href='/advice/{FOUND['advice_id']}']"))
    assert "Awaiting answer" in row.inner_text() and "Speech sounds" in row.inner_text()


def test_the_salt_worker_answers_from_the_service_s_advice_list(browser: Any, portal: str,
                                                                shots: Path) -> None:
    advice_id = FOUND["advice_id"]
    fd = StrictVisit(browser, portal, shots, "front-door-advice")
    fd.sign_in("front-door-hub")
    fd.go("/advice")
    assert fd.page.locator(f"a[href='/advice/{advice_id}']").count() == 1  # the front door sees every question
    v = StrictVisit(browser, portal, shots, "salt-advice")
    v.sign_in("worker-salt")
    page = v.go("/work/salt/advice")
    page.click(f"a[href='/advice/{advice_id}']")
    v.check("advice-answer")
    assert "born 03/03/2015" in page.inner_text("main")  # the asker chose to send it
    page.fill("#answer", ANSWER)
    page.check("input[name='next_step'][value='make_referral']")
    page.select_option("#refer_to", "salt")
    page.click("button:has-text('Send answer')")
    v.check("advice-answered")
    assert "Answer sent" in page.inner_text("main") and ANSWER in page.inner_text("main")


def test_the_senco_reads_the_answer_and_makes_a_referral_from_it(browser: Any, portal: str,
                                                                 shots: Path) -> None:
    advice_id = FOUND["advice_id"]
    v = StrictVisit(browser, portal, shots, "senco-answer")
    v.sign_in("senco-seaview")
    page = v.go("/referrals")
    row = page.locator("tr", has=page.locator(f"a[href='/advice/{advice_id}']"))
    assert "Answered" in row.inner_text()
    page.click(f"a[href='/advice/{advice_id}']")
    v.check("advice-read")
    main = page.inner_text("main")
    answered_by = page.locator(".govuk-summary-list__row", has_text="Answered by").inner_text()
    assert ANSWER in main and "Speech and language therapy" in answered_by  # the team, not who (issue 22, item 7)
    assert "Kim Evans" not in main and "worker-salt" not in main
    assert "Make a referral to Speech and language therapy" in main
    page.click("button:has-text('Make a referral from this')")
    v.check("referral-from-advice")
    assert page.url.endswith("/referrals/new/child")
    page = v.go("/referrals/new/setting")
    assert page.input_value("#child-education_setting-year_group") == "5"
    assert page.input_value("#child-education_setting-name") == "Seaview Primary Academy"
    page = v.go("/referrals/new/needs")
    assert page.is_checked("input[name='concerns'][value='speech_sounds']")
    assert page.is_checked("input[name='concerns'][value='expressive_language']")
    assert not page.is_checked("input[name='concerns'][value='anxiety']")
    page = v.go("/referrals/new/child")  # the rest of the referral, then sent with the advice's id
    page.fill("#child-given_name", "Poppy")
    page.fill("#child-family_name", "Browsertest-Advice")
    page.fill("input[name='dob-day']", "3")
    page.fill("input[name='dob-month']", "3")
    page.fill("input[name='dob-year']", str(TODAY.year - 9))
    page.fill("#child-postcode", "SS1 2AB")
    for step, fill in [("contacts", {}), ("setting", {}),
                       ("needs", {"impact": "moderate", "duration": "over_6_months"}),
                       ("consent", {"consent-basis": "parent_with_pr", "consent-child_aware": "yes"})]:
        page.click("button:has-text('Save and continue')")
        v.check(f"referral-{step}")
        for name, value in fill.items():
            page.check(f"input[name='{name}'][value='{value}']")
    page.click("button:has-text('Save and continue')")
    v.check("referral-reason")
    page.fill("#reason", "Advice from speech and language therapy was to refer: her speech is hard to understand.")
    page.click("button:has-text('Save and continue')")
    v.check("referral-about-you")
    page.fill("#referrer-name", "Sam Patel")
    page.select_option("#referrer-role", "school_senco")
    page.click("button:has-text('Save and continue')")
    v.check("referral-check")
    page.click("button:has-text('Accept and send')")
    v.check("referral-sent")
    assert page.locator(".govuk-panel__title").inner_text() == "Referral received"
    page = v.go(f"/advice/{advice_id}")
    assert "You made a referral from this advice" in page.inner_text("main")  # intake kept the advice's id

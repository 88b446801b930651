"""Issue 22, items 1, 3, 4 and 5 in a real browser, against the whole stack as `make run DEMO=1` starts it: a health
visitor makes a referral trying the wrong things first (nothing, 31 February, a wrong NHS number, ZZ1 1ZZ, a date
in the future), adds a parent, ticks a risk then "None of these"
(the exclusive box clears it), finds "About you" filled in from who they are, changes an answer from check answers
and comes straight back, sends, and presses Back. axe must find nothing at all on any page; each page is shot at
full width and at 200% zoom to var/screenshots/form-*.png."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.labels import LONDON
from tests.browser.test_emergency import StrictVisit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
SAVE = "button:has-text('Save and continue')"


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def summary(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(".govuk-error-summary__list li").all_inner_texts()]


def test_a_referral_is_checked_page_by_page_changed_from_check_answers_and_not_sent_twice(
        browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "form")
    v.sign_in("hv-east")
    page = v.go("/referrals/new")
    page.click(SAVE)
    v.check("child-empty")
    assert summary(page) == ["Enter the child's first name", "Enter the child's last name",
                             "Enter the child's date of birth", "Enter the child's home postcode"]
    page.fill("#child-given_name", "Iris")
    page.fill("#child-family_name", "Formbrowser")
    for part, typed in (("day", "31"), ("month", "2"), ("year", "2017")):
        page.fill(f"input[name='dob-{part}']", typed)
    page.fill("#child-nhs_number", "485 777 3456")
    page.fill("#child-postcode", "ZZ1 1ZZ")
    page.click(SAVE)
    v.check("child-errors")
    assert summary(page) == ["The child's date of birth must be a real date",
                             "Enter a real NHS number: check each digit against their records",
                             "Enter a real postcode, like SS1 2AB"]
    page.click(".govuk-error-summary__list a >> nth=0")  # the link goes to the day, the part in error
    assert page.evaluate("document.activeElement.name") == "dob-day"
    assert "govuk-input--error" in (page.get_attribute("input[name='dob-day']", "class") or "")
    assert "govuk-input--error" not in (page.get_attribute("input[name='dob-month']", "class") or "")
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    for part, number in (("day", tomorrow.day), ("month", tomorrow.month), ("year", tomorrow.year)):
        page.fill(f"input[name='dob-{part}']", str(number))
    page.fill("#child-nhs_number", "")
    page.fill("#child-postcode", "ss1 2ab")
    page.click(SAVE)
    assert summary(page) == ["The child's date of birth must be today or in the past"]
    for part, typed in (("day", "14"), ("month", "5"), ("year", "2016")):
        page.fill(f"input[name='dob-{part}']", typed)
    page.click(SAVE)

    v.check("contacts")
    page.fill("#parents_carers-0-name", "Rose Formbrowser")
    page.select_option("#parents_carers-0-relationship", "mother")
    page.check("#parents_carers-0-parental_responsibility")
    page.check("#parents_carers-0-may_contact")
    page.check("input[name='parents_carers-0-preferred_contact'][value='phone']")
    page.click(SAVE)
    v.check("contacts-errors")
    assert summary(page) == ["Parent or carer 1: Enter their telephone number, or select another way to contact them"]
    page.fill("#parents_carers-0-phone", "07700 900 982")
    page.click(SAVE)

    v.check("setting")
    page.fill("#child-education_setting-name", "Seaview Primary Academy")
    page.select_option("#child-education_setting-year_group", label="Year 3")
    page.click(SAVE)

    v.check("needs")
    headings = page.locator("fieldset h3").all_inner_texts()
    assert headings == ["Mental health and behaviour", "Life events and relationships",
                        "Speech, language and communication", "Family and home"]
    page.check("input[name='concerns'][value='stammering']")
    page.check("input[name='impact'][value='moderate']")
    page.check("input[name='duration'][value='over_6_months']")
    page.check("input[name='risks'][value='self_harm_recent']")
    page.check("input[name='risks'][value='none']")  # exclusive: clears the risk ticked before
    assert not page.is_checked("input[name='risks'][value='self_harm_recent']")
    page.check("input[name='known_services'][value='none']")
    page.click(SAVE)

    v.check("consent")
    page.check("input[name='consent-basis'][value='parent_with_pr']")
    page.check("input[name='consent-child_aware'][value='yes']")
    page.click(SAVE)
    v.check("reason")
    page.fill("#reason", "Iris's stammer has got worse since Easter and she has stopped talking at nursery.")
    page.click(SAVE)

    v.check("about-you")  # filled in from who signed in, and can be changed
    assert page.input_value("#referrer-name") == "Jo Clarke"
    assert page.input_value("#referrer-role") == "health_visitor"
    assert page.input_value("#referrer-organisation") == "East locality health visiting"
    page.click(SAVE)

    v.check("check-answers")
    shown = " ".join(page.locator("main").inner_text().split())
    for words in ("14 May 2016", "Year 3", "Rose Formbrowser (mother)", "07700 900 982", "Jo Clarke"):
        assert words in shown, words
    assert "2016-05-14" not in shown
    risks = page.locator(".govuk-summary-list__row", has_text="Risks")
    assert risks.locator(".govuk-summary-list__value").inner_text().strip() == "None"
    page.locator(".govuk-summary-list__row", has_text="Year group").locator("a:has-text('Change')").click()
    v.check("change-setting")
    assert page.get_attribute(".govuk-back-link", "href") == "/referrals/new/check"
    page.select_option("#child-education_setting-year_group", label="Year 4")
    page.click(SAVE)
    assert page.url.split("#")[0].endswith("/referrals/new/check")  # straight back, not through the later pages
    assert "Year 4" in page.locator(".govuk-summary-list__row", has_text="Year group").inner_text()

    page.click("button:has-text('Accept and send')")
    v.check("confirmation")
    reference = page.locator("#reference").inner_text()
    page.go_back()  # to check answers, which has nothing left to send: the referral just sent instead
    v.check("back-after-sending")
    assert "You have already sent this referral" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("#reference").inner_text() == reference
    assert page.locator("button:has-text('Accept and send')").count() == 0
    page.reload()
    assert page.locator("button:has-text('Accept and send')").count() == 0

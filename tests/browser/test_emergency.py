"""Issue 20, item 3 in a real browser, against the whole stack as `make run DEMO=1` starts it: the seeded SENCO makes
a referral reporting a suicide plan. The risks page warns (GOV.UK warning text, the council's contacts) beside the
emergency risks, check answers warns, and after sending so do the confirmation and the referral's page, where the
emergency is due at a time ("by 3:40pm today"), 4 hours after sending. axe must find nothing at all on any of these
pages; screenshots (also at 200% zoom) go to test-artifacts/emergency/."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.portal.emergency import due_when
from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration
DANGER = "If the child is in immediate danger, call 999."
ZOOMED = {"width": 640, "height": 900}  # a 1280-pixel window at 200% zoom


class StrictVisit(Visit):
    """As Visit, and axe must find nothing at all (not only nothing serious); each page is also shot at 200% zoom."""

    def check(self, name: str) -> Any:
        page = super().check(name)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.who}-{name}".lower()).strip("-")[:80]
        violations = json.loads((self.artifacts / f"{slug}.axe.json").read_text())
        assert violations == [], (name, [(v["id"], v["impact"]) for v in violations])
        size = page.viewport_size
        page.set_viewport_size(ZOOMED)
        page.screenshot(path=str(self.artifacts / f"{slug}-zoom-200.png"), full_page=True)
        page.set_viewport_size(size)
        return page


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "emergency"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def warned(page: Any) -> str:
    """The visible GOV.UK warning's text, checked to come with the council's contacts."""
    warning = page.locator(".govuk-warning-text")
    assert warning.count() == 1 and warning.is_visible()
    help_ = page.locator(".app-emergency-help").inner_text()
    for number in ("Telephone: 111", "Telephone: 01632 960 001", "Telephone: 01632 960 002"):
        assert number in help_, number
    return " ".join(warning.inner_text().split())


def test_a_senco_s_referral_with_a_suicide_plan_warns_on_the_form_and_after_sending(
        browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "senco")
    v.sign_in("senco-seaview")
    page = v.go("/referrals/new")
    page.fill("#child-given_name", "Ellis")
    page.fill("#child-family_name", "Emergencytest")
    page.fill("input[name='dob-day']", "12")
    page.fill("input[name='dob-month']", "5")
    page.fill("input[name='dob-year']", "2011")
    page.fill("#child-postcode", "ss1 2ab")
    page.click("button:has-text('Save and continue')")
    v.check("contacts")  # parents and carers: optional
    page.click("button:has-text('Save and continue')")
    v.check("setting")
    page.fill("#child-education_setting-name", "Seaview Primary Academy")
    page.click("button:has-text('Save and continue')")
    v.check("needs")
    # the warning is there before anything is ticked, with or without JavaScript, just after the risks
    assert DANGER in warned(page)
    risks = page.locator("fieldset", has=page.locator("input[name='risks']"))
    assert risks.bounding_box()["y"] < page.locator(".govuk-warning-text").bounding_box()["y"]
    lead = page.locator(".app-emergency-help p").first.inner_text()
    assert "“A suicide plan or intent” or “Signs of psychosis”" in lead
    page.check("input[name='concerns'][value='low_mood']")
    page.check("input[name='impact'][value='severe']")
    page.check("input[name='duration'][value='1_to_6_months']")
    page.check("input[name='risks'][value='suicide_plan_or_intent']")
    page.click("button:has-text('Save and continue')")
    v.check("consent")
    page.check("input[name='consent-basis'][value='parent_with_pr']")
    page.check("input[name='consent-child_aware'][value='yes']")
    page.click("button:has-text('Save and continue')")
    v.check("reason")
    page.fill("#reason", "Ellis told a teaching assistant today that he has a plan to end his life this weekend.")
    page.click("button:has-text('Save and continue')")
    v.check("about-you")
    page.fill("#referrer-name", "Sam Patel")
    page.select_option("#referrer-role", "school_senco")
    page.click("button:has-text('Save and continue')")
    v.check("check-answers")
    assert DANGER in warned(page)
    assert page.locator("h2", has_text="This referral is an emergency").is_visible()
    sent_at = datetime.now(UTC)
    page.click("button:has-text('Accept and send')")
    v.check("confirmation")
    assert page.locator(".govuk-panel__title").inner_text() == "Referral received"
    assert DANGER in warned(page)
    page.click("text=See the decision for this referral")
    for _ in range(40):
        if "is asked to respond" in page.content():
            break
        time.sleep(0.5)
        page.reload()
    v.check("referral-emergency")
    assert DANGER in warned(page)
    assert "govuk-tag--red" in (page.locator(".govuk-summary-list .govuk-tag").first.get_attribute("class") or "")
    said = " ".join(page.locator("main").inner_text().split())
    due = re.search(r"Mental health \(SEMH\), crisis, is asked to respond by (.+?)\.", said)
    assert due, said
    # 4 hours after sending (the reference ruleset's emergency clock), in hours and minutes
    expected = {due_when(sent_at + timedelta(hours=4, minutes=m), datetime.now(UTC)) for m in range(-1, 3)}
    assert due.group(1) in expected, (due.group(1), expected)
    assert re.fullmatch(r"(\d{1,2}(:\d\d)?(am|pm)|midday|midnight) (today|tomorrow|tonight)", due.group(1))
    row = page.locator("tr", has_text="Crisis")
    assert due.group(1) in row.inner_text()  # the table's "Due by" too

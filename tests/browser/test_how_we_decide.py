"""Issue 15, item 4 and issue 22, item 13 in a real browser against the shared stack (`make run DEMO=1`): anyone, not
signed in, reaches "How we decide" from the footer: the version for a child's family (short sentences, the council's
emergency contacts), then by its link the exact rules for professionals, and back; both printable. axe must find
nothing at all on either page. Screenshots go to var/screenshots/ (how-we-decide-*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_advice_and_register import StrictVisit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
SHOTS = ROOT / "var" / "screenshots"
ZOOMED = {"width": 640, "height": 900}  # a 1280-pixel window at 200% zoom


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_a_family_reads_how_we_decide_and_a_professional_the_exact_rules(browser: Any, portal: str,
                                                                        shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "how-we-decide")
    page = v.go("/sign-in")
    page.click("a:has-text('Rules in force:')")
    v.check("family")
    assert page.url.endswith("/how-we-decide")
    assert page.locator("h1").inner_text() == "How we decide"
    main = page.locator("main").inner_text()
    assert "We send a request to speech and language therapy when" in main
    assert "The service looks at it within 90 working days." in main
    assert "Telephone: 111" in page.locator(".app-emergency-help").inner_text()
    assert "(rule " not in main and "not (" not in main and "GB-ENG" not in main
    page.set_viewport_size(ZOOMED)
    page.screenshot(path=str(shots / "how-we-decide-family-zoom-200.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("a:has-text('The exact rules, for professionals')")
    v.check("rules")
    assert page.url.endswith("/how-we-decide/rules")
    assert page.locator("h1").inner_text() == "How we decide: the exact rules"
    assert page.locator("text=due within 90 working days").count() >= 1
    assert page.locator("text=(rule fall_through.front_door_decides)").count() == 1
    assert page.locator("footer.govuk-footer").is_visible()
    page.emulate_media(media="print")  # the print stylesheet: the content only, no menu or footer
    assert not page.locator("footer.govuk-footer").is_visible()
    assert page.locator("h1").is_visible()
    page.screenshot(path=str(shots / "how-we-decide-rules-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.click("a.govuk-back-link")
    v.check("family-again")
    assert page.url.endswith("/how-we-decide")

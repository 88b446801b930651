"""Events not processed, in a real browser on the demo stack (issue 23, item 10): the demo's event that failed
twice is one row, "failed 2 times"; Discard opens a page saying what the event is in words (never its content) and
that it stays in the log; an empty reason is refused in the catalogue's words; Back returns to the list with
nothing changed; with a reason it is discarded, leaves the list and shows under "Show discarded events" with who,
when and why. The demo's other dead letter (no event headers) stays, for the front door's queue test. Every page
is scanned with axe-core; screenshots in var/screenshots/dlq-*.png."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
ROW = "A new referral, failed 2 times"
REASON = "Schema version 99 was never released: a supplier's test event"


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def listed(v: Visit) -> Any:
    """The list, once triage has set the demo's event aside twice (it is dead-lettered while the demo seeds)."""
    page = v.go("/admin/dead-letters")
    for _ in range(40):
        if ROW in page.inner_text("#letters"):
            break
        time.sleep(0.5)
        page.reload()
    return v.check("list")


def test_an_administrator_discards_an_event_that_failed_twice(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "dlq")
    v.sign_in("fd-admin")
    page = listed(v)
    letters = page.inner_text("#letters")
    assert page.locator("#letters tbody tr", has_text=ROW).count() == 1
    assert "An event of unknown type, failed once" in letters
    assert "It does not match its contract" in letters and "malformed" not in letters  # why, never the content
    assert "Show discarded events (0)" in page.inner_text("main")

    page.locator("#letters tr", has_text=ROW).locator("a:has-text('Discard')").click()
    v.check("confirm")
    assert page.inner_text("h1") == "Discard this event"
    shown = page.inner_text("main")
    for words in ("A new referral", "2 times", "It does not match its contract",
                  "It stays in the log but will not be offered again"):
        assert words in shown, words
    assert "99" not in page.inner_text(".govuk-summary-list")  # the event's content is not shown

    page.click("button:has-text('Discard')")  # no reason
    v.check("empty-reason")
    said = page.locator(".govuk-error-summary").inner_text().splitlines()
    assert said[-1] == "Enter why you are discarding this event"
    assert page.title().startswith("Error: ")
    assert page.locator("#reason-error").count() == 1

    page.click(".govuk-back-link")  # Back: the list, nothing discarded
    v.check("back")
    assert page.url.endswith("/admin/dead-letters") and ROW in page.inner_text("#letters")

    page.locator("#letters tr", has_text=ROW).locator("a:has-text('Discard')").click()
    page.fill("#reason", REASON)
    page.click("button:has-text('Discard')")
    v.check("discarded")
    assert "Event discarded. It stays in the log but will not be offered again." in page.inner_text("main")
    row = page.locator("#letters tr", has_text=ROW).inner_text()
    assert "Chris Lee" in row and REASON in row

    page.click("a:has-text('Show events waiting')")
    v.check("waiting-after")
    assert ROW not in page.inner_text("#letters") and "Show discarded events (1)" in page.inner_text("main")
    assert "An event of unknown type" in page.inner_text("#letters")


def test_the_list_reflows_at_200_percent_zoom(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "dlq-zoom")
    v.page.set_viewport_size({"width": 640, "height": 900})  # a 1280-wide window at 200%
    v.sign_in("fd-admin")
    page = v.go("/admin/dead-letters")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow

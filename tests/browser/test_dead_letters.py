"""Events not processed, in a real browser on the demo stack (issue 23, item 10): the demo's event that failed
twice is one row, "failed 2 times"; Discard opens a page saying what the event is in words (never its content) and
that it stays in the log; an empty reason is refused in the catalogue's words; Back returns to the list with
nothing changed; with a reason it is discarded, leaves the list and shows under "Show discarded events" with who,
when and why. The demo's triage decision set aside by a passing failure is sent again: it leaves the events waiting
for "Events sent again", saying when and by whom, and a refresh sends nothing more; the front door's queue no longer
lists it. The demo's other dead letter (no event headers) stays, for the front door's queue test. Every page is
scanned with axe-core (nothing found at all); screenshots in var/screenshots/dlq-*.png."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
ROW = "A new referral, failed 2 times"
SENT = "A triage decision, failed once"  # the demo's: a copy of a decision intake had processed, so it succeeds
REASON = "A supplier's test event, sent without its referral: nothing to process"


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def listed(v: Visit, row: str = ROW) -> Any:
    """The list, once triage has set the demo's event aside twice (it is dead-lettered while the demo seeds)."""
    page = v.go("/admin/dead-letters")
    for _ in range(40):
        if row in page.inner_text("#letters"):
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
    assert "supplier-test" not in page.inner_text(".govuk-summary-list")  # the event's content is not shown

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


def nothing_found_by_axe(shots: Path, prefix: str) -> None:
    """Not only nothing serious: axe found nothing at all on any page the test checked."""
    found = {p.name: [v["id"] for v in json.loads(p.read_text())] for p in shots.glob(f"{prefix}-*.axe.json")}
    assert found and not any(found.values()), found


def test_an_administrator_sends_an_event_again_and_sees_it_sent_again(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "dlq-sent-again")
    v.sign_in("fd-admin")
    page = listed(v, SENT)
    row = page.locator("#letters tr", has_text=SENT)
    assert row.count() == 1 and "Processing it failed with an unexpected error" in row.inner_text()
    assert "Show events sent again (0)" in page.inner_text("main")
    row.locator("label").click()
    form = page.locator("#letters form", has=page.locator("tr", has_text=SENT))
    form.locator("button:has-text('Send the chosen events again')").click()
    v.check("sent")
    assert page.inner_text("h1") == "Events sent again"
    assert "1 event sent again to be processed" in page.inner_text(".govuk-notification-banner")
    sent = page.locator("#letters tr", has_text=SENT).inner_text()
    assert re.search(r"Sent again on \d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}(:\d\d)?[ap]m by Chris Lee", sent), sent
    assert page.locator("#letters input[type=checkbox]").count() == 0  # not offered again here

    page.reload()  # a refresh is a GET: nothing is sent again
    v.check("sent-refreshed")
    assert page.locator("#letters tr", has_text=SENT).count() == 1
    time.sleep(3)  # had it failed again, intake would have set it aside by now: it is still sent again
    page.reload()
    assert page.locator("#letters tr", has_text=SENT).count() == 1

    page.click("a:has-text('Show events waiting')")
    v.check("waiting-after")
    assert SENT not in page.inner_text("#letters") and "Show events sent again (1)" in page.inner_text("main")
    nothing_found_by_axe(shots, "dlq-sent-again")

    fd = Visit(browser, portal, shots, "dlq-sent-again-queue")
    fd.sign_in("front-door-hub")
    queue = fd.go("/front-door?reason=dead_letter").inner_text("main")
    assert "A triage decision that could not be processed" not in queue
    assert "An event of unknown type that could not be processed (failed once)" in queue
    assert not re.search(r"\b\d+:\d+\b|frontdoor\.", queue)  # no partition:offset, no topic names

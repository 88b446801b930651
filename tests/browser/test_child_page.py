"""One page per child and who saw this child, in a real browser against the stack `make run DEMO=1` starts (issue 23,
items 2 and 8): the front door finds Ava Demo-Hart and opens her page (who she is, her referrals, requests and one
timeline, newest first, with links); a speech and language therapist opens a child of their own requests and sees only
their service's; the front-door manager opens who saw her from her page (the people by name, the front door's view of
her among them, one row per look) and downloads it as CSV (every recorded read). axe finds nothing at all on any page,
at 200% zoom too; screenshots in var/screenshots/child-*.png."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_advice_and_register import StrictVisit
from tests.browser.test_mash_held import zoomed

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def child_found(v: StrictVisit, typed: str) -> str:
    """The address of the first child the search finds (the demo's referrals may still be arriving)."""
    page = v.page
    for _ in range(60):
        v.go(f"/find-a-child?q={typed}")
        link = page.locator("#children-results tbody tr a")
        if link.count():
            href = link.first.get_attribute("href")
            assert href and href.startswith("/children/")
            return str(href)
        time.sleep(1)
    raise AssertionError(f"nobody found for {typed!r}")


def test_the_front_door_and_a_worker_open_a_childs_page_and_the_manager_who_saw_it(
        browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "child")
    v.sign_in("front-door-hub")
    ava = child_found(v, "ava demo hart")
    page = v.go(ava)
    v.check("front-door")
    main = page.inner_text("main")
    assert page.locator("h1").inner_text() == "Ava Demo-Hart"
    assert "Eastwood Academy" in main and "SS2" in main and "SS2 6HX" not in main and "NHS number" in main
    assert page.locator("#timeline + ol li").count() >= 2
    assert page.locator("a[href^='/front-door/referrals/']").count() >= 1  # the referral's page
    assert page.locator("#who-saw").count() == 0  # the front door does not read the audit trail
    zoomed(v, "child-front-door")

    w = StrictVisit(browser, portal, shots, "child-worker")
    w.sign_in("worker-salt")
    own = child_found(w, "oscar")
    page = w.go(own)
    w.check("salt")
    assert page.locator("a[href^='/work/salt/']").count() >= 1
    assert page.locator("a[href^='/front-door/']").count() == 0 and "Referrals" not in page.inner_text("main")
    assert w.go(ava).locator("h1").inner_text() == "Child not found"  # not a child of their service's requests
    w.check("not-theirs")

    m = StrictVisit(browser, portal, shots, "child-who-saw")
    m.sign_in("front-door-manager")
    page = m.go(ava)
    page.click("#who-saw")
    m.check("trail")
    trail = page.inner_text("#trail")
    assert "Dana Wright" in trail and "front-door-hub" not in trail and "Viewed" in trail
    assert "Kim Evans" in trail and "Refused" in trail  # the therapist's attempt at a child not theirs
    assert "login ID" not in trail  # everyone here is known by name
    assert "The download has every recorded access" in page.inner_text("main")
    looks = [row for row in page.locator("#trail tbody tr").all_inner_texts()
             if "Dana Wright" in row and "Viewed" in row]
    zoomed(m, "child-who-saw")
    csv = page.context.request.get(portal + page.locator("#who-saw-csv").get_attribute("href"))
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert '"Dana Wright"' in csv.text() and '"audit.who_saw"' in csv.text()  # its own opening, before the download
    reads = [line for line in csv.text().splitlines() if '"Dana Wright"' in line and '"Viewed"' in line]
    assert 1 <= len(looks) < len(reads)  # her look at the page: one row on the page, each of its reads in the CSV
    page.reload()
    assert "Downloaded who saw this child" in page.inner_text("#trail")
    m.check("after-download")

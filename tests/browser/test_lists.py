"""A worker's lists beyond today and the panel's whole register (issue 23, item 9), in a real browser on the demo
(`make run DEMO=1`): early help's worker filters the worklist to declined requests (the demo's declined one, with its
age and date received) with no JavaScript needed; SEMH's worker is asked before accepting (the due date and its
clock), goes Back without accepting, accepts, and going Back to the question after accepting cannot accept again; the
DSR chair filters the whole register by rating. axe finds nothing at all on any of these pages; screenshots, also at
200% zoom (a 1280-pixel window: 640 CSS pixels, where the tables reflow into cards), in var/screenshots/lists-*."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ZOOMED = {"width": 640, "height": 900}  # a 1280-pixel window at 200% zoom


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "lists"
    folder.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return folder


def looked_at(v: Visit, name: str, *, zoom: bool = False) -> Any:
    """As Visit.check, axe finding nothing at all, kept as var/screenshots/lists-<name>.png (and -zoom-200.png)."""
    page = v.check(name)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{v.who}-{name}".lower()).strip("-")[:80]
    assert json.loads((v.artifacts / f"{slug}.axe.json").read_text()) == [], slug
    page.screenshot(path=str(SHOTS / f"lists-{name}.png"), full_page=True)
    if zoom:
        size = page.viewport_size
        page.set_viewport_size(ZOOMED)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        page.screenshot(path=str(SHOTS / f"lists-{name}-zoom-200.png"), full_page=True)
        page.set_viewport_size(size)
        assert width <= ZOOMED["width"], (name, width)  # nothing scrolls sideways
    return page


def test_a_worker_filters_the_worklist_to_declined_requests(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "early-help")
    v.sign_in("worker-early_help")
    page = looked_at(v, "worklist-open", zoom=True)
    assert page.locator("input[name='status'][value='open']").is_checked()
    assert page.locator("input[name='days'][value='90']").is_checked()
    declined_label = page.locator("label[for^='status']", has_text="Declined").inner_text()
    assert re.fullmatch(r"Declined \(\d+\)", declined_label), declined_label
    page.uncheck("input[name='status'][value='open']")
    page.check("input[name='status'][value='declined']")
    page.click("button:has-text('Apply filters')")
    page = looked_at(v, "worklist-declined", zoom=True)
    assert "status=declined" in page.url and "days=90" in page.url
    assert "Declined requests received in the last 90 days" in page.inner_text("caption")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    first = rows.nth(0).inner_text()
    assert "Declined on" in first, first
    assert re.search(r"\d+ years|\d+ months?|Not shared|Shown once MASH releases it", first), first
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}", first), first  # the date received, a GOV.UK date


def test_accept_asks_first_and_back_cannot_accept_twice(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "semh")
    v.sign_in("worker-semh")
    page = v.page
    new = page.locator("tbody tr", has_text="New").filter(has_not_text="Held for MASH").filter(
        has_not_text="Emergency").first  # an emergency's clock is hours; the other tests' emergencies stay as they are
    new.wait_for(timeout=30_000)
    new.locator("a").first.click()
    v.check("request")
    request_url = page.url
    page.click("a.govuk-button:has-text('Accept')")
    page = looked_at(v, "accept-confirm", zoom=True)
    text = page.inner_text("main")
    assert "Are you sure you want to accept this request?" in text
    assert re.search(r"The first contact is (was )?due by \w+day \d{1,2} [A-Z][a-z]+ \d{4} \(\d+ working days? from "
                     r"when it was received\)", text), text
    page.go_back()  # changed their mind: nothing accepted
    v.check("request-again")
    assert page.url == request_url and page.locator("a.govuk-button:has-text('Accept')").count() == 1
    page.go_forward()
    v.check("accept-confirm-again")
    page.click("button:has-text('Yes, accept this request')")
    page = looked_at(v, "accepted")
    assert "Request accepted" in page.inner_text("main")
    page.reload()  # refresh: accepts nothing more
    v.check("accepted-refreshed")
    page.go_back()  # back to the question after accepting
    page = looked_at(v, "accept-again")
    assert "This request has already been accepted" in page.inner_text("h1")
    assert page.locator("button:has-text('Yes, accept')").count() == 0


def test_the_panel_filters_the_whole_register(browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "dsr")
    v.sign_in("dsr-chair")
    page = v.page
    page.click("nav a:has-text('The register')")
    page = looked_at(v, "register", zoom=True)
    caption = page.inner_text("caption")
    total = int(re.search(r"Showing (\d+) of (\d+) open entries", caption).group(2))  # type: ignore[union-attr]
    assert total >= 1
    red = page.locator("label[for^='rating']", has_text="Red").inner_text()
    reds = int(re.search(r"\((\d+)\)", red).group(1))  # type: ignore[union-attr]
    page.check("input[name='rating'][value='red']")
    page.click("button:has-text('Apply filters')")
    page = looked_at(v, "register-red", zoom=True)
    assert f"Showing {reds} of {total} open entries" in page.inner_text("main")
    ratings = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert ratings and all(r.startswith("Red") for r in ratings), ratings
    assert page.locator("a:has-text('Clear filters')").count() == 1

"""Issue 22, items 8 to 10, in a real browser against the shared stack (`make run DEMO=1`): the DSR chart draws each
rating in its own GOV.UK colour, with a pattern and a name on every part (never colour alone); an unknown address is
GOV.UK's "Page not found"; the timeout warning opens two minutes before the end, is read as a modal dialog and "Stay
signed in" extends the session; and the wide pages reflow at 320 CSS pixels (a 1280-pixel window at 400% zoom,
WCAG 1.4.10): nothing wider than the window. axe must find nothing on any of them. Screenshots go to
var/screenshots/ (dsr-*, failing-*, reflow-*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_advice_and_register import StrictVisit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
SHOTS = ROOT / "var" / "screenshots"
# GOV.UK Frontend 6's colours (settings/_colours-palette--internal.scss, each "primary"), one for each rating.
RATING_COLOURS = {"Red": "#ca3535", "Amber": "#f47738", "Green": "#0f7a52", "Blue": "#1d70b8"}
NARROW = {"width": 320, "height": 900}

# Every coloured shape of a chart (a rect with a colour, not a pattern) with the words nearest it: a legend key's
# name is the text after it; a bar's part names itself in a <title>.
CHART_PARTS = """(svg) => [...svg.querySelectorAll('rect')].filter(r => /^#[0-9a-f]{6}$/i.test(r.getAttribute('fill')))
  .map(r => {
    let next = r.nextElementSibling
    while (next && next.tagName.toLowerCase() === 'rect') next = next.nextElementSibling
    const title = r.querySelector('title')
    return {fill: r.getAttribute('fill').toLowerCase(), title: title ? title.textContent : null,
            key: next && next.tagName.toLowerCase() === 'text' ? next.textContent : null,
            patterned: !!r.parentElement.querySelector('rect[fill^="url("]')}
  })"""


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_the_dsr_chart_draws_each_rating_in_its_own_colour(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "dsr")
    v.sign_in("dsr-chair")
    page = v.go("/dsr")
    v.check("agenda")
    parts = page.locator("svg.app-chart").first.evaluate(CHART_PARTS)
    keys = {p["key"]: p["fill"] for p in parts if p["key"] in RATING_COLOURS}
    assert keys == RATING_COLOURS, f"the legend draws ratings in these colours: {keys}"
    segments = [p for p in parts if p["title"]]
    assert segments, "no part of a bar says which rating it is"
    for segment in segments:
        rating = segment["title"].split(":")[0]
        others = {name: c for name, c in RATING_COLOURS.items() if name != rating}
        assert segment["fill"] not in others.values(), f"{segment['title']} is drawn in another rating's colour"
        if rating in RATING_COLOURS:
            assert segment["fill"] == RATING_COLOURS[rating], segment
    assert all(p["patterned"] for p in parts if p["key"] in RATING_COLOURS or p["title"]), "colour alone"
    page.click("a:has-text('Leo Demo-Okafor')")  # the demo's entry a meeting has reviewed (rated red)
    v.check("entry")
    main = page.inner_text("main")
    assert "Reviews" in main and "Who attended" in main  # the meeting's review, its attendees and actions shown
    assert page.locator("input[name='next_review_due-day']").count() == 1  # GOV.UK date input, not type=date
    page = v.go("/dsr/add")
    page.click("button:has-text('Continue')")  # nothing filled in: the errors come first, on the form
    v.check("add-errors")
    assert page.url.endswith("/dsr/add") and page.locator(".govuk-error-summary").is_visible()


def test_an_unknown_address_is_page_not_found(browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "failing")
    page = v.go("/no-such-page")
    assert page.locator("h1").inner_text() == "Page not found"
    assert "If you typed the web address, check it is correct." in page.inner_text("main")
    v.sign_in("front-door-hub")
    page = v.go("/front-door/no-such-page")
    assert page.locator("h1").inner_text() == "Page not found"
    assert "Signed in as Dana Wright" in page.inner_text("body")


def test_the_timeout_warning_opens_before_the_end_and_stay_signed_in_extends(
        browser: Any, portal: str, shots: Path) -> None:
    v = StrictVisit(browser, portal, shots, "failing")
    v.sign_in("dsr-chair")
    page = v.go("/dsr/add")
    page.fill("#given_name", "Typed before the warning")
    assert not page.locator("dialog.app-timeout-warning__dialog").is_visible()  # 30 minutes left: no warning
    page.evaluate("() => window.frontDoorTimeoutWarning.start(122)")  # as if the page had been open 28 minutes
    dialog = page.locator("dialog.app-timeout-warning__dialog[open]")
    dialog.wait_for(state="visible", timeout=10_000)
    assert page.evaluate("() => document.querySelector('dialog[open]').matches(':modal')")
    assert "We will sign you out in" in page.locator(".app-timeout-warning__live").inner_text()
    assert "minute" in dialog.locator(".app-timeout-warning__countdown").inner_text()
    v.check("timeout-warning")
    page.click("dialog button:has-text('Stay signed in')")
    dialog.wait_for(state="detached", timeout=10_000)
    assert page.input_value("#given_name") == "Typed before the warning"  # the page and its answers stay
    left = page.evaluate("() => Math.round((window.frontDoorTimeoutWarning.endsAt - Date.now()) / 1000)")
    assert 1780 <= left <= 1800  # the session was extended: 30 minutes again
    page.evaluate("() => window.frontDoorTimeoutWarning.start(1)")  # the time runs out
    page.locator("dialog[open] h2:has-text('You have been signed out')").wait_for(timeout=10_000)
    assert not page.locator("dialog button:has-text('Stay signed in')").is_visible()  # nothing left to extend
    v.check("timeout-ended")


@pytest.mark.parametrize(("who", "path"), [
    ("front-door-hub", "/front-door"), ("dsr-chair", "/dsr"), ("worker-salt", "/work/salt"),
    ("commissioning", "/reports"),
])
def test_wide_pages_reflow_at_320_css_pixels(browser: Any, portal: str, shots: Path, who: str, path: str) -> None:
    v = StrictVisit(browser, portal, shots, "reflow")
    v.page.set_viewport_size(NARROW)
    v.sign_in(who)
    page = v.go(path)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
      .filter(e => e.getBoundingClientRect().right > 320.5).slice(0, 5)
      .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} `
        + `${Math.round(e.getBoundingClientRect().right)}`)""")
    assert width <= 320, (path, width, wide)

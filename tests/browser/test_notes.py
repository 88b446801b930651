"""Case notes in a real browser on the demo stack (issue 23, item 4): on the front-door referral page (the demo's item
for a person to decide), a SALT worker's request page and a register entry's page, each showing the demo's notes
newest first with name, team and date and time; on each, an empty note and a too-long one (the character count
says so too) are refused in the catalogue's words, a note is added ("Note added", at the top of the list), a refresh
adds nothing, and Back then "Add note" again adds nothing either. Every page is scanned with axe-core; screenshots in
var/screenshots/notes-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import test_referral_form
from tests.browser.test_portal import Visit

pytestmark = pytest.mark.integration
shots = test_referral_form.shots  # the fixture: var/screenshots
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def notes(page: Any) -> list[str]:
    return [n.inner_text() for n in page.locator(".app-notes__note").all()]


def with_demo_notes(v: Visit, listing: str, link: str, words: str) -> Any:
    """The page among those `listing` links to (hrefs matching `link`) that holds the demo's note `words`;
    `child:NAME` lists the links of that child's page, found as a person finds it (Find a child)."""
    if listing.startswith("child:"):
        found = v.go("/find-a-child?q=" + quote(listing.removeprefix("child:")))
        listing = found.get_attribute("main a[href^='/children/']", "href")
    page = v.go(listing)
    hrefs = dict.fromkeys(h for h in page.eval_on_selector_all("main a", "as => as.map(a => a.getAttribute('href'))")
                          if h and re.fullmatch(link, h))
    for href in hrefs:
        page.goto(v.base + href)
        if words in page.inner_text("main"):
            return page
    raise AssertionError(f"no page under {listing} has the demo's note {words!r}")


def add_notes(v: Visit, page: Any, where: str, *, demo: list[tuple[str, str]]) -> None:
    """The demo's notes (who, words) newest first; empty and too long refused; one added; refresh; Back and again."""
    v.check(f"{where}-page")
    home = page.url.split("?")[0].split("#")[0]
    listed = notes(page)
    assert len(listed) >= len(demo), listed
    for shown, (who, words) in zip(listed, demo, strict=False):
        assert shown.startswith(who) and words in shown, (shown, who)
        assert re.search(r"\d{1,2} \w+ \d{4}, \d{1,2}(:\d{2})?(am|pm)", shown), shown  # when, in words
    before = len(listed)

    page.click("button:has-text('Add note')")  # nothing written
    v.check(f"{where}-empty")
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").inner_text().splitlines()[-1] == "Enter the note"
    assert "Enter the note" in page.locator("#note-text-error").inner_text()

    page.fill("#note-text", "x" * 5001)
    page.wait_for_function("() => document.querySelector('.govuk-character-count__status')"
                           ".textContent.includes('too many')")
    assert "You have 1 character too many" in page.inner_text(".govuk-character-count__status")
    page.click("button:has-text('Add note')")
    v.check(f"{where}-too-long")
    assert page.locator(".govuk-error-summary").inner_text().splitlines()[-1] == (
        "The note must be 5,000 characters or fewer")
    assert page.input_value("#note-text") == "x" * 5001  # the words kept, to shorten
    assert len(notes(page)) == before

    page.goto(home)  # the page afresh: Back below comes back to this form
    v.check(f"{where}-afresh")
    words = f"Browser test note on the {where} page.\nA second line."
    page.fill("#note-text", words)
    sent_key = page.input_value("input[name=key]")
    page.click("button:has-text('Add note')")
    v.check(f"{where}-added")
    assert "Note added" in page.inner_text(".govuk-notification-banner")
    assert "done=note" in page.url
    after = notes(page)
    assert len(after) == before + 1
    assert f"Browser test note on the {where} page." in after[0] and "A second line." in after[0]

    page.reload()  # a refresh: the page again, nothing sent
    v.check(f"{where}-refreshed")
    assert len(notes(page)) == before + 1

    page.go_back()  # Back to the form as it was sent, and send it again: the same words, so no second note
    page.wait_for_load_state("load")
    assert page.input_value("input[name=key]") != sent_key  # the page fetched again, with a new key
    assert page.input_value("#note-text") == words  # and the words: as a hurried second click sends them
    page.click("button:has-text('Add note')")
    v.check(f"{where}-back-and-again")
    assert len(notes(page)) == before + 1, notes(page)


PAGES = {  # where -> who signs in, the list that links to the page, its links, and the demo's notes, newest first
    # the child's page, not the queue: other tests may have decided the demo's referral, which leaves the queue
    "front-door": ("front-door-hub", "child:Harry Demo-Singh", rf"/front-door/referrals/{UUID}",
                   [("Jordan Price, front door", "Talked through at the morning huddle"),
                    ("Dana Wright, front door", "Rang the school")]),
    "request": ("worker-salt", "/work/salt", rf"/work/salt/{UUID}",
                [("Kim Evans, Speech and language therapy", "Mum confirmed by phone"),
                 ("Kim Evans, Speech and language therapy", "First appointment offered")]),
    "entry": ("dsr-member", "/dsr", rf"/dsr/{UUID}",
              [("Alex Morgan, DSR meeting", "Addendum: the visit moved to Tuesday"),
               ("Ruth Adeyemi, DSR meeting", "A bed was offered")]),
}


@pytest.mark.parametrize("where", list(PAGES))
def test_notes_on_a_page(browser: Any, portal: str, shots: Path, where: str) -> None:
    user, listing, links, demo = PAGES[where]
    v = Visit(browser, portal, shots, "notes")
    v.sign_in(user)
    add_notes(v, with_demo_notes(v, listing, links, demo[0][1]), where, demo=demo)

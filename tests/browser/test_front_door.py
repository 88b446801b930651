"""The front-door team's pages in a real browser, against the whole stack as `make run DEMO=1` starts
it (the demo puts one item of each kind on the queue): the queue with its counts, filters and clocks,
a person's decision on a manual_review referral (and a refusal shown in the error summary), an override
of an emergency's priority, the emergency contact record, a chase, the duplicate review (merge, undo,
different children), the administrator's dead letters, and the roles kept apart. Every page is scanned
with axe-core (no serious or critical violations); screenshots go to test-artifacts/front_door/."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_portal import Visit
from tests.cases import ROOT

pytestmark = pytest.mark.integration
REASONS = ("emergency", "manual_review", "out_of_scope", "needs_information", "possible_duplicate", "dead_letter")


@pytest.fixture(scope="module")
def shots(artifacts: Path) -> Path:
    folder = artifacts / "front_door"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hub(browser: Any, portal: str, shots: Path, who: str) -> Visit:
    v = Visit(browser, portal, shots, who)
    v.sign_in("front-door-hub")
    return v


def count(page: Any, reason: str) -> int:
    return int(page.get_attribute(f"#counts [data-reason='{reason}']", "data-count"))


def reload_until(v: Visit, text: str, name: str, *also: str, where: str = "main") -> Any:
    """Reload until `where` shows `text` and every one of `also` (a decision's events arrive one at a time: a
    priority change withdraws the old request, then the new one is made)."""
    page = v.page
    for _ in range(40):
        shown = page.inner_text(where) if page.locator(where).count() else ""
        if all(t in shown for t in (text, *also)):
            break
        time.sleep(0.5)
        page.reload()
    return v.check(name)


def test_the_queue_has_every_reason_with_its_count_clock_and_filters(
        browser: Any, portal: str, shots: Path) -> None:
    v = hub(browser, portal, shots, "queue")
    page = v.page
    assert page.url.endswith("/front-door")
    assert all(count(page, reason) >= 1 for reason in REASONS), [count(page, r) for r in REASONS]
    rows = page.locator("#queue tbody tr")
    assert rows.count() >= len(REASONS)
    first = rows.nth(0).inner_text()
    assert "Emergency not answered" in first and re.search(r"\d+ (hours?|minutes?) left", first), first
    waiting = page.locator("#queue tbody tr", has_text="Waiting for information").first.inner_text()
    assert re.search(r"Overdue by \d+ days?", waiting), waiting  # the demo's is two weeks old
    shown = page.inner_text("main")
    for code in ("manual_review", "out_of_scope", "needs_information", "possible_duplicate", "low_mood"):
        assert code not in shown, code  # words, not codes
    page.select_option("#reason", "out_of_scope")
    page.click("button:has-text('Apply filters')")
    v.check("filtered")
    assert "reason=out_of_scope" in page.url
    tags = page.locator("#queue tbody tr td:first-child").all_inner_texts()
    assert tags and set(tags) == {"Out of scope"}, tags
    page.click("text=Clear filters")
    page.select_option("#age_band", "19-25")
    page.click("button:has-text('Apply filters')")
    v.check("filtered-age")
    assert "aged 19 to 25" in page.inner_text("#queue") and "aged 11 to 15" not in page.inner_text("#queue")


def test_a_person_decides_a_manual_review_referral_and_a_refusal_is_explained(
        browser: Any, portal: str, shots: Path) -> None:
    v = hub(browser, portal, shots, "decide")
    page = v.page
    before = count(page, "manual_review")  # the demo's one, and any another module's referrals left for a person
    page.locator("#queue tbody tr", has_text="For a person to decide").first.locator("a:has-text('Decide')").click()
    v.check("manual-review")
    decided = page.url.removeprefix(portal)
    assert "For the front door to decide" in page.inner_text("main")
    page.click("button:has-text('Record decision')")  # nothing chosen: the error summary says what is missing
    v.check("decision-errors")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Choose what you want to change" in summary and "Enter your reasons for this decision" in summary
    page.check("input[name='kind'][value='add_route']")
    page.select_option("#add-route", "salt:community")
    page.select_option("#add-priority", "routine")
    page.fill("#rationale", "Bullying is affecting his speech in class; speech and language therapy should assess.")
    page.click("button:has-text('Record decision')")
    v.check("decision-sent")
    assert "Your decision was sent" in page.inner_text("main")
    reload_until(v, "What the rules decided first", "decision-applied")  # once triage has applied it
    requests = page.inner_text("#requests")
    assert "Speech and language therapy" in requests and "Community" in requests
    assert "What the rules decided first" in page.inner_text("main")
    page.check("input[name='kind'][value='add_route']")  # the same route again: intake refuses it (422)
    page.select_option("#add-route", "salt:community")
    page.select_option("#add-priority", "urgent")
    page.fill("#rationale", "Trying to add the same service a second time.")
    page.click("button:has-text('Record decision')")
    v.check("decision-refused")
    assert "already has an open request" in page.locator(".govuk-error-summary").inner_text()
    v.go("/front-door")
    assert count(page, "manual_review") == before - 1
    assert page.locator(f"#queue a[href='{decided}']").count() == 0  # the decided referral has left the queue


def test_a_person_records_emergency_contact_then_overrides_its_priority(
        browser: Any, portal: str, shots: Path) -> None:
    v = hub(browser, portal, shots, "emergency")
    page = v.page
    before = count(page, "emergency")
    page.locator("#queue tbody tr", has_text="Emergency not answered").first.locator(
        "a:has-text('Record contact')").click()
    v.check("contact-form")
    referral = page.url.removesuffix("/emergency-contact")
    year = page.input_value("#contacted_at-year")  # the form starts at today's date and time
    page.fill("#contacted_at-year", "")
    page.click("button:has-text('Record contact')")
    v.check("contact-errors")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Say who was contacted" in summary and "Choose how" in summary and "date and time" in summary
    page.fill("#contacted", "Mother")
    page.check("input[name='how'][value='phone']")
    page.fill("#contacted_at-year", year)
    page.click("button:has-text('Record contact')")
    v.check("contact-recorded")
    assert "Emergency contact recorded" in page.inner_text("main")
    assert count(page, "emergency") == before - 1
    page.goto(referral)  # then a person overrides the rules: urgent, not an emergency
    v.check("emergency-referral")
    page.check("input[name='kind'][value='change_priority']")
    page.select_option("#change-request", index=1)
    page.select_option("#change-priority", "urgent")
    page.locator("input[name='disagreed_with']").first.check()
    page.fill("#rationale", "Seen by the crisis team this morning; the risk is being managed, urgent is enough.")
    page.click("button:has-text('Record decision')")
    v.check("override-sent")
    reload_until(v, "Withdrawn", "override-applied", "Urgent", where="#requests")
    requests = page.inner_text("#requests")
    assert "Urgent" in requests and "Withdrawn" in requests, requests
    assert "Seen by the crisis team" in page.inner_text("#people")


@pytest.fixture(scope="module")
def evidence() -> Path:
    """Where issue 23's chase and merge screenshots go (var/screenshots/chase-*.png, merge-*.png)."""
    folder = ROOT / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_person_records_a_chase(browser: Any, portal: str, evidence: Path) -> None:
    v = hub(browser, portal, evidence, "chase")
    page = v.page
    row = page.locator("#queue tbody tr", has_text="Waiting for information").first
    assert re.search(r"Overdue by \d+ days?", row.inner_text())  # the demo's waits two weeks
    row.locator("a:has-text('Record a chase')").click()
    v.check("form")
    referrer = page.inner_text("#referrer-contact")
    assert "Demo Referrer" in referrer and "01702 000000" in referrer and "senco@example.sch.uk" in referrer
    assert page.locator("#referrer-contact a[href='tel:01702000000']").count() == 1
    assert "Who to contact about the child" in page.inner_text("#family-contact")
    assert "chase again by" in page.inner_text("#next-action")
    page.click("button:has-text('Record chase')")
    v.check("errors")
    assert "Choose how the referrer was contacted" in page.locator(".govuk-error-summary").inner_text()
    page.check("input[name='how'][value='email']")
    page.fill("#note", "Asked the family's consent by email.")
    page.click("button:has-text('Record chase')")
    v.check("recorded")
    banner = page.inner_text(".govuk-notification-banner")
    assert "Chase recorded" in banner and "chase them again by" in banner, banner
    chased = page.locator("#queue tbody tr", has_text="last chased by email").first.inner_text()
    assert re.search(r"Chase again by \d{1,2} [A-Z][a-z]+ \d{4}", chased) and "Overdue" not in chased, chased


def pair_section(page: Any, name: str) -> Any:
    return page.locator("#pairs section", has_text=name).first


def test_a_person_reviews_a_possible_duplicate(browser: Any, portal: str, evidence: Path) -> None:
    v = hub(browser, portal, evidence, "merge")
    page = v.page
    page.locator("#queue tbody tr", has_text="Possible duplicate child").first.locator("a:has-text('Review')").click()
    v.check("pairs")
    grace = pair_section(page, "Gracie Demo-Wilson")
    compared = grace.locator("table").inner_text()
    for words in ("Grace Demo-Wilson", "Gracie Demo-Wilson", "School", "Postcode district", "SS2", "Referred by",
                  "Concerns", "Stammering", "Requests"):
        assert words in compared, words
    assert "a similar name" in grace.inner_text()
    grace.locator("button:has-text('Same child: merge the records')").click()  # no choice, no reason
    v.check("errors")
    assert "Choose which record to keep" in page.locator(".govuk-error-summary").inner_text()
    grace = pair_section(page, "Gracie Demo-Wilson")
    grace.locator("input[name='survivor']").first.check()
    grace.locator("textarea[name='reason']").first.fill("The school confirmed Gracie is Grace's usual name.")
    grace.locator("button:has-text('Same child: merge the records')").click()
    v.check("confirm")
    assert "Check before you merge these records" in page.inner_text("h1")
    table = page.inner_text("#compare")
    assert "Record you keep" in table and "Record merged into it" in table and "Gracie Demo-Wilson" in table
    page.click(".govuk-back-link")  # Back: the choice and the reason are still there; nothing was merged
    v.check("back")
    grace = pair_section(page, "Gracie Demo-Wilson")
    assert "Grace's usual name" in grace.locator("textarea[name='reason']").first.input_value()
    assert grace.locator("input[name='survivor']").first.is_checked()
    grace.locator("button:has-text('Same child: merge the records')").click()
    page.click("button:has-text('Confirm: merge the records')")
    v.check("merged")
    assert "The two records are now one child" in page.inner_text("main")
    assert "Gracie Demo-Wilson" not in page.inner_text("#pairs")
    page.click("a:has-text('undo this merge')")
    v.check("undo-confirm")
    assert "Are you sure you want to undo this merge?" in page.inner_text("h1")
    page.click("button:has-text('Yes, undo the merge')")
    v.check("undone")
    assert "The merge was undone" in page.inner_text("main")
    page = v.go("/front-door/duplicates")
    grace = pair_section(page, "Gracie Demo-Wilson")
    grace.locator("button:has-text('Different children')").click()
    v.check("different")
    assert "Recorded as different children" in page.inner_text("main")
    assert "Gracie Demo-Wilson" not in page.inner_text("#pairs")
    v.go("/front-door")
    assert count(page, "possible_duplicate") == 0


def test_the_merge_history_names_who_why_when_and_undo(browser: Any, portal: str, evidence: Path) -> None:
    v = hub(browser, portal, evidence, "merge")
    page = v.go("/front-door/merges")
    v.check("history")
    amir = page.locator("#merges tbody tr", has_text="Amir Demo-Rahmann").first.inner_text()
    assert "Dana Wright" in amir and "misspelt" in amir and "Undo" in amir, amir
    ruby = page.locator("#merges tbody tr", has_text="Ruby Demo-Lewes").first.inner_text()
    assert re.search(r"Cannot be undone\. It was undone on \d+ [A-Z][a-z]+ \d{4} by Dana Wright\.", ruby), ruby
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", page.inner_text("main"))  # names, never ids
    for name, width in (("history-zoom-200", 640), ("history-phone", 375)):  # 200% of 1280 px, and a phone
        page.set_viewport_size({"width": width, "height": 900})
        v.check(name)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#merges tbody tr", has_text="Amir Demo-Rahmann").first.locator("a:has-text('Undo')").click()
    v.check("history-undo-confirm")
    page.click("a:has-text('No, keep it')")  # changing one's mind changes nothing
    assert "Undo" in page.locator("#merges tbody tr", has_text="Amir Demo-Rahmann").first.inner_text()
    page.locator("#merges tbody tr", has_text="Amir Demo-Rahmann").first.locator("a:has-text('Undo')").click()
    page.click("button:has-text('Yes, undo the merge')")
    v.check("history-undone")
    amir = page.locator("#merges tbody tr", has_text="Amir Demo-Rahmann").first.inner_text()
    assert "It was undone on" in amir, amir
    page = v.go("/front-door/duplicates")  # the pair is waiting again: merge it back, as the demo had it
    amir_pair = pair_section(page, "Amir Demo-Rahmann")
    amir_pair.locator("input[name='survivor']").first.check()
    amir_pair.locator("textarea[name='reason']").first.fill("Undone by mistake: the school confirmed the spelling.")
    amir_pair.locator("button:has-text('Same child: merge the records')").click()
    page.click("button:has-text('Confirm: merge the records')")
    v.check("remerged")
    history = v.go("/front-door/merges").inner_text("#merges")
    assert "Undone by mistake" in history


def test_an_administrator_sees_the_dead_letters_without_their_content(
        browser: Any, portal: str, shots: Path) -> None:
    v = Visit(browser, portal, shots, "dead-letters")
    v.sign_in("fd-admin")
    page = v.go("/admin/dead-letters")
    letters = page.inner_text("#letters")
    assert "frontdoor.referrals.submitted" in letters and "malformed" not in letters  # where and why, not content
    page.click("button:has-text('Send the chosen events again')")  # nothing chosen
    v.check("replay-errors")
    assert "Select the events to process again" in page.locator(".govuk-error-summary").inner_text()


@pytest.mark.parametrize(
    ("who", "forbidden"),
    [("front-door-hub", ["/referrals", "/referrals/new", "/work/salt", "/dsr", "/reports", "/admin/import",
                         "/admin/dead-letters"]),
     ("senco-seaview", ["/front-door", "/front-door/duplicates"]),
     ("worker-salt", ["/front-door", "/front-door/duplicates"]),
     ("dsr-chair", ["/front-door"]),
     ("commissioning", ["/front-door", "/front-door/duplicates"]),
     ("fd-admin", ["/front-door", "/front-door/duplicates"])],
)
def test_the_front_door_and_the_other_roles_are_refused_each_others_pages(
        browser: Any, portal: str, shots: Path, who: str, forbidden: list[str]) -> None:
    v = Visit(browser, portal, shots, f"refused-{who}")
    v.sign_in(who)
    for path in forbidden:
        response = v.page.goto(portal + path)
        assert response.status == 403, (who, path)
        assert "You cannot see this page" in v.page.content()
    v.check("refused")

"""The DSR meeting's pages (issue 22, item 8): the entry shows each review's attendees and the actions agreed; a
review's dates are GOV.UK date inputs (day, month, year) sent as dates; an empty "Add a person" form shows its errors
on the form before check answers, as the register checks them (its check route), not after."""

from __future__ import annotations

import re

import httpx
from pydantic import ValidationError

from schemas.errors import problems
from services.dsr.direct_routes import DirectForm
from tests.handlers import portal_standins
from tests.handlers.portal_standins import StandIn, page, sign_in
from tests.handlers.test_portal_register import ENTRY, ENTRY_VIEW, FORM

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures
REVIEWED = ENTRY_VIEW | {
    "status": "active", "rating": "amber", "rating_since": "2026-06-01T10:00:00+00:00",
    "reviews": [{"review_id": "7b1e7c1a-2f43-4d55-9c0e-111111111111", "held_on": "2026-06-01", "rating": "amber",
                 "rationale": "Placement at risk; crisis team called twice.", "next_review_due": "2026-06-15",
                 "by": "dsr-chair", "attendees": [{"name": "Chair", "agency": "ICB"},
                                                  {"name": "Social worker", "agency": "Adult social care"}]}],
    "actions": [{"what": "Arrange a care and treatment review", "owner_agency": "ICB", "due": "2026-06-10",
                 "status": "open"}],
}


async def test_the_entry_shows_each_review_s_attendees_and_the_actions_agreed(portal: httpx.AsyncClient,
                                                                              standin: StandIn) -> None:
    await sign_in(portal, "dsr-chair")
    standin.on("GET", f"/dsr/entries/{ENTRY}", 200, REVIEWED)
    html, _ = await page(portal, f"/dsr/{ENTRY}")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Reviews" in text and "1 June 2026" in text
    assert "Chair, ICB" in text and "Social worker, Adult social care" in text
    assert "Actions agreed" in text
    assert "Arrange a care and treatment review" in text and "ICB" in text and "10 June 2026" in text


async def test_a_review_s_dates_are_govuk_date_inputs_sent_as_dates(portal: httpx.AsyncClient,
                                                                    standin: StandIn) -> None:
    await sign_in(portal, "dsr-chair")
    standin.on("GET", f"/dsr/entries/{ENTRY}", 200, REVIEWED)
    html, token = await page(portal, f"/dsr/{ENTRY}")
    assert 'type="date"' not in html
    for prefix in ("next_review_due", "action_due"):
        for part in ("day", "month", "year"):
            assert f'name="{prefix}-{part}"' in html, (prefix, part)
    standin.on("POST", f"/dsr/entries/{ENTRY}/reviews", 201, {"review_id": "7b1e7c1a-2f43-4d55-9c0e-222222222222",
                                                               "next_review_due": "2026-07-03"})
    sent = await portal.post(f"/dsr/{ENTRY}/review", data={
        "csrf_token": token, "rating": "amber", "rationale": "Still at risk of a placement breakdown.",
        "attendees": "Chair, ICB", "action_what": "Book the CETR", "action_owner": "ICB",
        "action_due-day": "9", "action_due-month": "6", "action_due-year": "2026",
        "next_review_due-day": "3", "next_review_due-month": "7", "next_review_due-year": "2026"})
    assert sent.status_code == 303
    body = standin.sent("POST", f"/dsr/entries/{ENTRY}/reviews")[0]
    assert body["next_review_due"] == "2026-07-03"
    assert body["actions"] == [{"what": "Book the CETR", "owner_agency": "ICB", "due": "2026-06-09"}]


async def test_an_empty_add_form_shows_its_errors_before_check_answers(portal: httpx.AsyncClient,
                                                                       standin: StandIn) -> None:
    await sign_in(portal, "asc-practitioner")
    _, token = await page(portal, "/dsr/add")
    try:  # the register's own answer to the empty form, as its check route gives it
        DirectForm.model_validate({})
    except ValidationError as exc:
        standin.on("POST", "/dsr/additions/check", 422, {"title": "The request has problems", "errors": problems(exc)})
    empty = await portal.post("/dsr/add", data={"csrf_token": token})
    assert empty.status_code == 422, empty.headers.get("location")  # was 303 to check answers
    assert "There is a problem" in empty.text
    hrefs = re.findall(r'href="(#[^"]+)"', re.search(r'govuk-error-summary__list">(.*?)</ul>', empty.text,
                                                     re.DOTALL).group(1))  # type: ignore[union-attr]
    assert len(hrefs) >= 6
    for target in hrefs:
        assert f'id="{target[1:]}"' in empty.text, target
    assert standin.sent("POST", "/dsr/entries") == []  # nothing was sent to the register
    assert len(standin.sent("POST", "/dsr/additions/check")) == 1  # checked by the register, not by the portal
    standin.on("POST", "/dsr/additions/check", 204, None)
    fine = await portal.post("/dsr/add", data=FORM | {"csrf_token": token})
    assert fine.status_code == 303 and fine.headers["location"] == "/dsr/add/check"

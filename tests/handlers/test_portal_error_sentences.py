"""Every form's errors are the catalogue's sentences (schemas/messages.py, issue 22 item 2), never a library's text
or a field's code: the real intake, worklists and register APIs behind the portal on one migrated SQLite database,
each form sent empty or with a bad answer, as a person would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from html import unescape
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from tests.handlers import test_portal_need_to_know
from tests.handlers.test_portal_held import request_for
from tests.handlers.test_portal_need_to_know import sign_in
from tests.handlers.test_referrer_view import FIRST, refer

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process

BANNED = ("Field required", "should have at least", "Input should be", "String should", "Value error",
          "List should", "is not a field")
CODE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # a field's code: signpost_text, redirect_to, contacted_at




def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def summary(html: str) -> list[str]:
    """The error summary's messages, as a person reads them."""
    found = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, flags=re.DOTALL)
    assert found, f"no error summary in {html}"
    return [unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(r"<li>(.*?)</li>", found.group(1), flags=re.DOTALL)]


def assert_words(html: str, *expected: str) -> None:
    """The summary says each `expected` sentence, and no library text or field code anywhere on the page's errors."""
    said = summary(html)
    for sentence in expected:
        assert sentence in said, (sentence, said)
    errors = " ".join(said + re.findall(r'class="govuk-error-message">(.*?)</p>', html, flags=re.DOTALL))
    assert not any(b in errors for b in BANNED), said
    assert not CODE.search(errors), said


async def post(portal: httpx.AsyncClient, path: str, page: str, data: Mapping[str, Any]) -> httpx.Response:
    token = token_of((await portal.get(page)).text)
    return await portal.post(path, data={"csrf_token": token, **data})


@pytest.mark.parametrize(("action", "data", "expected"), [
    ("decline", {}, ("Enter the reason for declining", "Enter where the family can go instead")),
    ("decline", {"reason": "No", "signpost": "GP"}, ("The reason for declining must be 3 characters or more",
                                                    "Where the family can go instead must be 3 characters or more")),
    ("redirect", {}, ("Select the service to redirect to", "Enter the reason for redirecting")),
])
async def test_a_workers_decline_and_redirect_say_what_to_do(portal: httpx.AsyncClient, session: Session,
                                                             action: str, data: dict[str, str],
                                                             expected: tuple[str, ...]) -> None:
    request_id = request_for(session, uuid.uuid4(), "semh", "camhs", held=False)
    await sign_in(portal, "worker-semh")
    shown = await post(portal, f"/work/semh/{request_id}/{action}", f"/work/semh/{request_id}", data)
    assert shown.status_code == 422
    assert_words(shown.text, *expected)


async def test_the_register_s_add_form_says_what_is_missing(portal: httpx.AsyncClient) -> None:
    """Sent with a first name only: each missing answer is the catalogue's sentence on the form (before check
    answers, or after it when the register refuses what was sent)."""
    await sign_in(portal, "dsr-chair")
    shown = await post(portal, "/dsr/add", "/dsr/add", {"given_name": "Sam", "dob-day": "31", "dob-month": "2",
                                                        "dob-year": "2010"})
    if shown.status_code == 303:
        shown = await post(portal, "/dsr/add/check", "/dsr/add/check", {})
    assert shown.status_code == 422
    assert_words(shown.text, "Enter their last name", "Select at least one diagnosis", "Select at least one risk",
                 "Enter the referring agency")


async def test_asking_for_advice_says_what_is_missing(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    shown = await post(portal, "/advice/new", "/advice/new", {"question": "Help?"})
    if shown.status_code == 303:
        shown = await post(portal, "/advice/new/check", "/advice/new/check", {})
    assert shown.status_code == 422
    assert_words(shown.text, "Your question must be 10 characters or more", "Select at least one concern",
                 "Enter the child's age in years, like 7")


@pytest.fixture
def referral_id(session: Session) -> uuid.UUID:
    return refer(session, FIRST, 0).id


async def test_the_front_door_s_decision_says_what_is_wrong(portal: httpx.AsyncClient,
                                                              referral_id: uuid.UUID) -> None:
    await sign_in(portal, "front-door-hub")
    here = f"/front-door/referrals/{referral_id}"
    empty = await post(portal, f"{here}/decision", here, {})
    assert empty.status_code == 422
    assert_words(empty.text, "Choose what you want to change", "Enter your reasons for this decision")
    too_long = await post(portal, f"{here}/decision", here, {"kind": "close", "close-signpost": "The school nurse",
                                                             "rationale": "x" * 4001})
    assert too_long.status_code == 422
    assert_words(too_long.text, "Your reasons for this decision must be 4,000 characters or fewer")


async def test_recording_emergency_contact_says_what_is_wrong(portal: httpx.AsyncClient,
                                                              referral_id: uuid.UUID) -> None:
    await sign_in(portal, "front-door-hub")
    here = f"/front-door/referrals/{referral_id}/emergency-contact"
    empty = await post(portal, here, here, {"contacted_at-day": "", "contacted_at-month": "", "contacted_at-year": ""})
    assert empty.status_code == 422
    assert_words(empty.text, "Say who was contacted (a role, for example Mother or Social worker)",
                 "Choose how contact was made",
                 "Enter the date and time of contact, for example 25 11 2026 and 14:30")
    future = await post(portal, here, here, {"contacted": "Mother", "how": "phone", "contacted_at-day": "1",
                                             "contacted_at-month": "1", "contacted_at-year": "2999",
                                             "contact-time": "10:00"})
    assert future.status_code == 422
    assert_words(future.text, "The date and time of contact must be now or in the past")


async def test_recording_a_chase_says_what_is_wrong(portal: httpx.AsyncClient, referral_id: uuid.UUID) -> None:
    await sign_in(portal, "front-door-hub")
    here = f"/front-door/referrals/{referral_id}/chase"
    empty = await post(portal, here, here, {})
    assert empty.status_code == 422
    assert_words(empty.text, "Choose how the referrer was contacted")
    too_long = await post(portal, here, here, {"how": "phone", "note": "x" * 2001})
    assert too_long.status_code == 422
    assert_words(too_long.text, "The note must be 2,000 characters or fewer")

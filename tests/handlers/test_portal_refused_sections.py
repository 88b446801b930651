"""A page shown again with a refused form's errors keeps every section it has when read (issue 23, items 3 and 4):
the "Notes" section and "Who is working on this" on the front-door referral page, a worker's request page (a
decline with no reason) and MASH's request page (a held decision with nothing chosen), and the notes on a register
entry's page (a review, a consent or a close the register refuses). The real services behind the portal."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlmodel import Session

from tests.handlers import test_portal_need_to_know
from tests.handlers.intake_support import submit
from tests.handlers.test_case_notes import request_for
from tests.handlers.test_dsr import applied, decision
from tests.handlers.test_portal_held import referral_with_held
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def refused(portal: httpx.AsyncClient, user: str, page: str, path: str, **form: str) -> str:
    await sign_in(portal, user)
    token = token_of((await portal.get(page)).text)
    answer = await portal.post(path, data={"csrf_token": token, **form})
    assert answer.status_code in (409, 422) and "govuk-error-summary" in answer.text, answer.status_code
    return answer.text


BOTH, NOTES = ('id="notes"', 'id="assignment"'), ('id="notes"',)  # a register entry has no holder


def refusal(session: Session, which: str) -> tuple[str, str, str, dict[str, str], tuple[str, ...]]:
    """Who signs in, the page, the form's path under it, a form it refuses, and the sections the page has."""
    if which == "front door":
        return "front-door-hub", f"/front-door/referrals/{submit(session).id}", "decision", {"kind": "close"}, BOTH
    if which.startswith("request "):
        return ("worker-semh", f"/work/semh/{request_for(session).service_request_id}", which.split()[1], {},
                BOTH)
    if which == "mash held":
        mash, _, _ = referral_with_held(session)
        return "worker-safeguarding", f"/work/safeguarding/{mash}", "held", {"decision": "release"}, BOTH
    return "dsr-member", f"/dsr/{applied(session, decision(uuid.uuid4())).id}", which.split()[1], {}, NOTES


@pytest.mark.parametrize("which", ["front door", "request decline", "request redirect", "mash held",
                                   "entry review", "entry close"])
async def test_a_page_shown_again_with_a_refused_forms_errors_keeps_its_notes_and_holder(
        portal: httpx.AsyncClient, session: Session, which: str) -> None:
    user, page, action, form, sections = refusal(session, which)
    html = await refused(portal, user, page, f"{page}/{action}", **form)
    assert all(section in html for section in sections), [s for s in sections if s not in html]

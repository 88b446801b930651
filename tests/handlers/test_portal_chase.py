"""Recording a chase in the portal (issue 23, item 5), with the real intake behind it: the page shows how to reach
the referrer (phone and email) and the family (each parent or carer, the young person's own contact); recording it
moves the item's next action, so the queue says "Chase again by <date>", not "Overdue by ...", right after."""

from __future__ import annotations

import re
import uuid
from html import unescape

import httpx
from sqlmodel import Session

from tests.handlers import test_portal_need_to_know
from tests.handlers.test_front_door_queue import decide
from tests.handlers.test_portal_error_sentences import post
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process

PARENTS = [{"name": "Rachel Chase-Test", "relationship": "mother", "parental_responsibility": True,
            "may_contact": True, "preferred_contact": "phone", "phone": "07700 900101"},
           {"name": "Tom Chase-Test", "relationship": "father", "parental_responsibility": True, "may_contact": True,
            "preferred_contact": "email", "email": "tom.chase@example.org"}]


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def waiting(session: Session) -> uuid.UUID:
    """A referral waiting for information since 4 March 2026 (long past its chase clock), with contacts."""
    record = decide(session, "needs_information", referrer={
        "name": "Sam Referrer", "role": "school_senco", "organisation": "Example Academy",
        "email": "sam.referrer@example.sch.uk", "phone": "01702 000123"}, parents_carers=PARENTS)
    return record.id


def queue_row(html: str, referral_id: uuid.UUID) -> str:
    rows = [r for r in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", html, flags=re.DOTALL)
            if f"/front-door/referrals/{referral_id}/chase" in r]
    assert len(rows) == 1, html
    return text(rows[0])


async def test_the_chase_page_shows_every_contact(portal: httpx.AsyncClient, session: Session) -> None:
    referral_id = waiting(session)
    await sign_in(portal, "front-door-hub")
    page = await portal.get(f"/front-door/referrals/{referral_id}/chase")
    assert page.status_code == 200
    shown = text(page.text)
    for words in ("Sam Referrer", "01702 000123", "sam.referrer@example.sch.uk", "Rachel Chase-Test",
                  "07700 900101", "Tom Chase-Test", "tom.chase@example.org"):
        assert words in shown, words
    assert 'href="tel:01702000123"' in page.text and 'href="mailto:sam.referrer@example.sch.uk"' in page.text
    assert "chase again by” the end of the working day 3 working days from today" in shown


async def test_a_chase_moves_the_next_action_date(portal: httpx.AsyncClient, session: Session) -> None:
    referral_id = waiting(session)
    await sign_in(portal, "front-door-hub")
    before = queue_row((await portal.get("/front-door")).text, referral_id)
    assert re.search(r"Overdue by \d+ days", before), before
    here = f"/front-door/referrals/{referral_id}/chase"
    done = await post(portal, here, here, {"how": "phone", "note": "Left a voicemail"})
    assert done.status_code == 303
    again = re.search(r"chase_again=(\d{4}-\d{2}-\d{2})", done.headers["location"])
    assert again, done.headers["location"]
    queue = await portal.get(done.headers["location"])
    by = re.search(r"Chase again by (\d{1,2} \w+ \d{4})", queue_row(queue.text, referral_id))
    assert by, queue_row(queue.text, referral_id)
    assert "Overdue" not in queue_row(queue.text, referral_id)
    assert f"If they have not answered, chase them again by {by.group(1)}." in text(queue.text)

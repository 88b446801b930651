"""Who to contact about the child on the portal's pages (issue 22, item 4): a worker's request page and the front door's
referral page show a GOV.UK summary card per parent or carer (relationship, parental responsibility, whether they may be
contacted and why not, preferred contact, phone, email, interpreter) and one for the young person's own contact; a
request whose service does not receive them shows nothing of them. The real intake and worklists APIs stand behind
the portal on one SQLite database (tests/handlers/test_portal_need_to_know.py's `portal`)."""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any

import httpx
from sqlmodel import Session

from schemas import ServiceRequestCreated
from services.worklists.handlers import receive
from tests.handlers.conftest import NOW, principal
from tests.handlers.test_portal_need_to_know import portal, sign_in  # noqa: F401 - the fixture
from tests.handlers.test_referrer_view import refer

MOTHER = {"name": "Amina Okafor", "relationship": "mother", "parental_responsibility": True, "may_contact": True,
          "preferred_contact": "phone", "phone": "07700 900123", "interpreter_language": "Somali"}
FATHER = {"name": "Daniel Okafor", "relationship": "father", "parental_responsibility": True, "may_contact": False,
          "do_not_contact_reason": "A court order forbids contact with the family."}
OWN = {"preferred_contact": "email", "email": "sam.okafor@example.org"}
DETAILS = {"given_name": "Sam", "family_name": "Okafor", "date_of_birth": "2009-06-01"}


def cards(page: str) -> dict[str, dict[str, str]]:
    """Each summary card's title and its rows (key -> value), as text."""
    found = {}
    for title, body in re.findall(r'<h3 class="govuk-summary-card__title">\s*(.*?)\s*</h3>(.*?)</dl>', page, re.S):
        rows = re.findall(r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*'
                          r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>', body, re.S)
        found[unescape(title)] = {unescape(k): " ".join(unescape(re.sub(r"<[^>]+>", "", v)).split()) for k, v in rows}
    return found


def request_for(session: Session, details: dict[str, Any]) -> ServiceRequestCreated:
    event = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=uuid.uuid4(),
        child_id=uuid.uuid4(), service="salt", pathway="community", priority="routine", due_by=NOW, held=False,
        reasons=[{"rule_id": "salt.community", "because": "Speech sounds."}], details=details)
    assert receive(session, event, NOW)
    session.commit()
    return event


EXPECTED = {
    "Amina Okafor": {"Relationship to the child": "Mother", "Parental responsibility": "Yes",
                     "May be contacted": "Yes", "Preferred contact": "Phone", "Phone": "07700 900123",
                     "Email": "Not given", "Interpreter": "Needed: Somali"},
    "Daniel Okafor": {"Relationship to the child": "Father", "Parental responsibility": "Yes",
                      "May be contacted": "No, do not contact them: A court order forbids contact with the family.",
                      "Phone": "Not given", "Email": "Not given", "Interpreter": "Not needed"},
    "Sam Okafor (the young person)": {"Preferred contact": "Email", "Phone": "Not given",
                                      "Email": "sam.okafor@example.org"},
}


async def test_a_workers_request_page_shows_who_to_contact_as_a_card_per_person(
    portal: httpx.AsyncClient, session: Session,  # noqa: F811 - the fixture
) -> None:
    event = request_for(session, {**DETAILS, "parents_carers": [MOTHER, FATHER], "young_person_contact": OWN})
    await sign_in(portal, "worker-salt")
    page = await portal.get(f"/work/salt/{event.service_request_id}")
    assert page.status_code == 200
    assert "Who to contact" in page.text
    assert cards(page.text) == EXPECTED
    assert "parents_carers" not in page.text and "may_contact" not in page.text  # words, not codes


async def test_a_request_without_them_shows_nothing_of_who_to_contact(
    portal: httpx.AsyncClient, session: Session,  # noqa: F811 - the fixture
) -> None:
    event = request_for(session, DETAILS)
    await sign_in(portal, "worker-salt")
    page = await portal.get(f"/work/salt/{event.service_request_id}")
    assert page.status_code == 200 and "Who to contact" not in page.text and cards(page.text) == {}


async def test_the_front_door_referral_page_shows_who_to_contact(
    portal: httpx.AsyncClient, session: Session,  # noqa: F811 - the fixture
) -> None:
    record = refer(session, principal("senco-seaview", "referrer"), 0, child__given_name="Sam",
                   child__family_name="Okafor", child__date_of_birth="2009-06-01",
                   parents_carers=[MOTHER, FATHER], young_person_contact=OWN)
    await sign_in(portal, "front-door-hub")
    page = await portal.get(f"/front-door/referrals/{record.id}")
    assert page.status_code == 200
    assert cards(page.text) == EXPECTED

"""MASH's request page lists the requests it holds for the referral and lets MASH release each (or all) or decline
them with a reason (issue 20, item 2): the real worklists API behind the portal on one migrated SQLite database.
Each decision is the portal's own form (CSRF), goes to the API (which audits it), shows a success banner; a request
someone else decided already is a page in words (409); an empty reason or no request chosen is an error summary and
nothing changes. After a release the service's worker sees the request in full; after a decline, never the child
(nor MASH's reason: the service is told only that MASH declined it)."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlmodel import Session, select

from schemas import ServiceRequestCreated
from services.common.audit import AuditEntry
from services.worklists.handlers import receive
from services.worklists.tables import WorklistItem
from tests.handlers import test_portal_need_to_know
from tests.handlers.conftest import NOW
from tests.handlers.test_portal_need_to_know import sign_in

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process

GIVEN, FAMILY = "Perpetua", "Oakenshield-Varga"
WHY = "The family already has a social worker who is arranging this support"


def request_for(session: Session, referral: uuid.UUID, service: str, pathway: str, *, held: bool) -> uuid.UUID:
    event = ServiceRequestCreated(
        event_id=uuid.uuid4(), occurred_at=NOW, service_request_id=uuid.uuid4(), referral_id=referral,
        child_id=uuid.uuid4(), service=service, pathway=pathway, priority="routine", due_by=NOW, held=held,
        reasons=[{"rule_id": "safeguarding.mash", "because": "A disclosure of harm goes to MASH first."}],
        details={"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "2014-02-27"},
    )
    assert receive(session, event, NOW)
    session.commit()
    return event.service_request_id


def referral_with_held(session: Session) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """MASH's own request, and SEMH's and early help's held for it."""
    referral = uuid.uuid4()
    return (request_for(session, referral, "safeguarding", "mash", held=False),
            request_for(session, referral, "semh", "camhs", held=True),
            request_for(session, referral, "early_help", "family_support", held=True))


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def item(session: Session, request_id: uuid.UUID) -> WorklistItem:
    session.expire_all()
    found = session.get(WorklistItem, request_id)
    assert found is not None
    return found


async def test_mash_releases_one_held_request_and_declines_another_with_a_reason(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    mash, semh, early = referral_with_held(session)
    await sign_in(portal, "worker-safeguarding")
    page = await portal.get(f"/work/safeguarding/{mash}")
    assert page.status_code == 200
    assert "Requests held for your decision" in page.text
    for words in ("Mental health (SEMH)", "CAMHS", "Early help", "Family support", "Routine"):
        assert words in page.text
    token = token_of(page.text)
    held = f"/work/safeguarding/{mash}/held"

    released = await portal.post(held, data={"csrf_token": token, "decision": "release", "request_id": str(semh)})
    assert released.status_code == 303
    after = await portal.get(released.headers["location"])
    assert "govuk-notification-banner--success" in after.text and "1 held request released" in after.text
    assert (item(session, semh).held, item(session, early).held) == (False, True)

    blank = await portal.post(held, data={"csrf_token": token, "decision": "decline", "request_id": str(early),
                                          "reason": "  "})
    assert blank.status_code == 422 and "There is a problem" in blank.text
    assert 'href="#held-reason"' in blank.text and "Enter why you are declining" in blank.text
    none_chosen = await portal.post(held, data={"csrf_token": token, "decision": "decline", "reason": WHY})
    assert none_chosen.status_code == 422 and "Select the requests you are declining" in none_chosen.text
    assert item(session, early).status == "created"  # nothing was declined: not this one, not "all"

    declined = await portal.post(held, data={"csrf_token": token, "decision": "decline", "request_id": str(early),
                                             "reason": WHY})
    assert declined.status_code == 303
    assert "1 held request declined" in (await portal.get(declined.headers["location"])).text
    assert (item(session, early).status, item(session, early).outcome_reason) == ("declined", WHY)
    assert "Requests held for your decision" not in (await portal.get(f"/work/safeguarding/{mash}")).text

    again = await portal.post(held, data={"csrf_token": token, "decision": "release", "request_id": str(semh)})
    assert again.status_code == 409 and "This request has already been released" in again.text
    actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert {"worklist.held.release", "worklist.held.decline"} <= set(actions)

    await sign_in(portal, "worker-semh")
    assert GIVEN in (await portal.get(f"/work/semh/{semh}")).text  # released: in full
    await sign_in(portal, "worker-early_help")
    page = await portal.get(f"/work/early_help/{early}")
    assert page.status_code == 200 and GIVEN not in page.text and FAMILY not in page.text  # declined while held
    assert "Declined" in page.text and WHY not in page.text  # told only that MASH declined it


async def test_mash_releases_all_held_requests_at_once(portal: httpx.AsyncClient, session: Session) -> None:
    mash, semh, early = referral_with_held(session)
    await sign_in(portal, "worker-safeguarding")
    page = await portal.get(f"/work/safeguarding/{mash}")
    form = re.search(r'<form[^>]*id="held-release-all".*?</form>', page.text, flags=re.DOTALL)
    assert form is not None
    ids = re.findall(r'name="request_id" value="([^"]+)"', form.group(0))
    assert sorted(ids) == sorted([str(semh), str(early)])
    done = await portal.post(f"/work/safeguarding/{mash}/held",
                             data={"csrf_token": token_of(page.text), "decision": "release", "request_id": ids})
    assert done.status_code == 303
    assert "2 held requests released" in (await portal.get(done.headers["location"])).text
    assert (item(session, semh).held, item(session, early).held) == (False, False)


async def test_a_held_decision_needs_the_portals_own_form(portal: httpx.AsyncClient, session: Session) -> None:
    mash, semh, _ = referral_with_held(session)
    await sign_in(portal, "worker-safeguarding")
    await portal.get(f"/work/safeguarding/{mash}")
    forged = await portal.post(f"/work/safeguarding/{mash}/held", data={"decision": "release", "request_id": str(semh)})
    assert forged.status_code == 403 and item(session, semh).held is True
    await sign_in(portal, "worker-semh")
    page = await portal.get("/work/semh")
    refused = await portal.post(f"/work/safeguarding/{mash}/held",
                                data={"csrf_token": token_of(page.text), "decision": "release",
                                      "request_id": str(semh)})
    assert refused.status_code == 403 and item(session, semh).held is True

"""Print (issue 23, item 7): a referral's summary for the child's family or school and the DSR meeting pack, as pages
to print and as PDFs, with the real intake and register APIs behind the portal on one migrated SQLite database
(test_portal_need_to_know's). Each PDF is rendered by WeasyPrint and its text read back with pypdf: the summary says
what was asked, decided and why, and who will be in touch by when, and nothing of another referrer's referral of the
same child, nor, while MASH has not decided, anything of MASH's; the pack has each person's rating, the last review's
actions with owners and due dates, and the attendees. Who may print what: the referrer their own referral, the front
door any; only the DSR panel the pack."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, select

from schemas import ReferralSubmitted, ServiceOutcome, TriageDecided
from schemas.labels import day, label
from services.dsr import handlers as dsr
from services.dsr.domain import ActionIn, Clock, Rating, ReviewIn
from services.dsr.tables import DsrEntry
from services.intake.referrals import disclosure
from services.intake.referrals import handlers as intake
from services.intake.tables import ReferralRecord, ServiceRequestRecord
from services.policy.engine import decide
from services.portal import pdf
from services.portal.routes.printing import LEFT_OUT
from tests.handlers import test_portal_need_to_know
from tests.handlers.conftest import NOW, principal
from tests.handlers.intake_support import DAY, referral, sent
from tests.handlers.test_dsr import decision
from tests.handlers.test_portal_need_to_know import sign_in
from tests.handlers.test_referrer_view import RULESET

portal = test_portal_need_to_know.portal  # the fixture: intake, the worklists and the register, in-process

OTHER = principal("hv-east", "referrer")  # another referrer of the same child: a portal user, to try her way in
MINE = principal("senco-seaview", "referrer")
OTHERS_NAME, OTHERS_PLACE = "Morwenna Quillfeather", "Eastmarsh Health Visiting"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def refer(session: Session, by: Any, days: int, **changes: Any) -> ReferralRecord:
    """A referral of the one child (test_referrer_view's), submitted `days` after three days ago (its requests due
    after today) and decided by triage's engine and reference policy, each route with its request's id as triage
    gives it (so intake keeps each request)."""
    now = datetime.now(UTC).replace(microsecond=0) + (days - 3) * DAY
    result = intake.submit(session, referral(**changes), by=by, now=now)
    session.commit()
    [event] = [e for e in sent(session) if e.referral_id == result.record.id]
    assert isinstance(event, ReferralSubmitted)
    decided = decide(event, RULESET).model_dump()
    decided["routes"] = [route | {"service_request_id": uuid.uuid4()} for route in decided["routes"]]
    intake.apply_decision(session, TriageDecided(event_id=uuid.uuid4(), occurred_at=decided["decided_at"], **decided),
                          decided["decided_at"])
    session.commit()
    return result.record


def text_of(document: bytes) -> str:
    """Every word of a PDF, white space made single; a word broken at a hyphen at the end of a line is one again
    (pypdf breaks lines where the page does)."""
    lines = [line.strip() for page in PdfReader(io.BytesIO(document)).pages
             for line in (page.extract_text() or "").splitlines()]
    text = "".join(line if line.endswith("-") else line + " " for line in lines if line)
    return " ".join(text.split())


async def pdf_text(portal: httpx.AsyncClient, path: str, **kwargs: Any) -> str:
    answer = await (portal.post(path, **kwargs) if "data" in kwargs else portal.get(path))
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.content.startswith(b"%PDF-")
    return text_of(answer.content)


def requests_of(session: Session, referral_id: uuid.UUID) -> list[ServiceRequestRecord]:
    session.expire_all()
    return list(session.exec(select(ServiceRequestRecord).where(ServiceRequestRecord.referral_id == referral_id)
                             .order_by(col(ServiceRequestRecord.due_by))).all())


def because(rule_id: str) -> str:
    """A rule's reason as its `because` reads (every rule used here has no placeholder)."""
    rule = next(r for s in RULESET.source.stages for r in s.rules if r.id == rule_id)
    return " ".join(rule.because.split())


async def test_the_summary_pdf_says_what_was_asked_decided_and_who_will_be_in_touch_and_nothing_of_another_referrer(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    others = [refer(session, OTHER, 0, client_reference="hv-1", referrer__name=OTHERS_NAME,
                    referrer__organisation=OTHERS_PLACE, concerns=["bereavement"]),
              refer(session, OTHER, 1, client_reference="hv-2", referrer__name=OTHERS_NAME,
                    referrer__organisation=OTHERS_PLACE, concerns=["bereavement"])]
    mine = refer(session, MINE, 2, client_reference="school-1")
    assert len({r.child_id for r in (*others, mine)}) == 1  # the same child, twice by another referrer
    await sign_in(portal, "senco-seaview")

    referral_page = await portal.get(f"/referrals/{mine.id}")
    assert f'href="/referrals/{mine.id}/summary"' in referral_page.text and "Print or save as PDF" in referral_page.text
    page = await portal.get(f"/referrals/{mine.id}/summary")
    assert page.status_code == 200 and f'href="/referrals/{mine.id}/summary.pdf"' in page.text
    text = await pdf_text(portal, f"/referrals/{mine.id}/summary.pdf")

    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of" in text
    for concern in mine.referral["concerns"]:
        assert label(concern) in text, concern
    requests = requests_of(session, mine.id)
    assert requests and not any(r.held for r in requests)
    for request in requests:  # who will be in touch, and by when, in words
        assert f"{label(request.service)} will look at the request and reply by {day(request.due_by)}" in text
    assert mine.decision is not None
    shown_reasons = [e["because"] for e in mine.decision["explanation"]
                     if e["rule_id"] not in disclosure.referrer().history]
    assert shown_reasons
    for reason in shown_reasons:
        assert " ".join(reason.split()) in text, reason
    assert disclosure.HISTORY_WORDS in text  # the repeat referral is worded without the other referrer's
    for secret in (OTHERS_NAME, OTHERS_PLACE, "Bereavement", "hv-1", "hv-2", "earlier referral", "repeat referral",
                   *(str(o.id)[:8].upper() for o in others)):
        assert secret not in text, secret
        assert secret not in page.text, secret


async def test_while_mash_decides_the_summary_says_nothing_of_mash_nor_of_the_requests_held_for_it(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    mine = refer(session, MINE, 0, client_reference="school-9", risks=["harm_or_abuse_disclosure"])
    requests = requests_of(session, mine.id)
    mash = [r for r in requests if r.service == "safeguarding"]
    held = [r for r in requests if r.held]
    assert mash and held  # the premise: MASH decides first, the others wait
    await sign_in(portal, "senco-seaview")
    page = await portal.get(f"/referrals/{mine.id}/summary")
    assert LEFT_OUT in page.text
    text = await pdf_text(portal, f"/referrals/{mine.id}/summary.pdf")
    assert LEFT_OUT not in text  # the warning is the referrer's, never printed
    for secret in ("Safeguarding", "safeguarding", "MASH", label("harm_or_abuse_disclosure"),
                   because("safeguarding.mash")[:40], *(label(r.service) for r in held)):
        assert secret not in text, secret
    assert "No service has the request yet" in text
    assert label(mine.referral["concerns"][0]) in text  # what was asked is still said

    for request in mash + held:  # MASH accepts its request and releases the others
        kind = "service_request.accepted" if request.service == "safeguarding" else "service_request.released"
        assert intake.apply_outcome(session, ServiceOutcome(
            event_id=uuid.uuid4(), occurred_at=NOW, event_type=kind, service_request_id=request.id,
            referral_id=mine.id, child_id=mine.child_id, service=request.service, by="mash-1"), NOW)
    session.commit()
    after = await pdf_text(portal, f"/referrals/{mine.id}/summary.pdf")
    assert f"{label('safeguarding')} has agreed to help" in after
    for request in held:
        assert label(request.service) in after
    assert LEFT_OUT not in (await portal.get(f"/referrals/{mine.id}/summary")).text


async def test_only_the_referrer_and_the_front_door_print_a_referrals_summary(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    mine = refer(session, MINE, 0, client_reference="school-2")
    name = mine.referral["child"]["given_name"]
    for user, status in (("hv-east", 404), ("worker-semh", 403), ("dsr-member", 403)):
        await sign_in(portal, user)
        for path in (f"/referrals/{mine.id}/summary", f"/referrals/{mine.id}/summary.pdf"):
            answer = await portal.get(path)
            assert answer.status_code == status, (user, path)
            assert name not in answer.text and not answer.content.startswith(b"%PDF")
    await sign_in(portal, "front-door-hub")
    page = await portal.get(f"/referrals/{mine.id}/summary")
    assert page.status_code == 200 and name in page.text
    assert f'href="/front-door/referrals/{mine.id}"' in page.text  # back to the front door's page of it
    assert name in await pdf_text(portal, f"/referrals/{mine.id}/summary.pdf")


def person(session: Session, given: str, family: str, rating: str, actions: list[ActionIn],
           attendees: list[dict[str, str]], held_on: date) -> DsrEntry:
    """A person on the register (consent given at referral), reviewed once on `held_on`."""
    event = decision(uuid.uuid4()).model_dump(mode="json")
    event["dsr"]["person"] |= {"given_name": given, "family_name": family}
    assert dsr.apply_decision(session, TriageDecided.model_validate(event), NOW)
    session.commit()
    entry = dsr.open_entry(session, uuid.UUID(event["child_id"]))
    assert entry is not None
    clock = Clock(NOW, dsr.CALENDAR)
    dsr.record_review(session, entry.id, ReviewIn(
        rating=Rating(rating), rationale=f"{given} is settling into the new placement slowly.", attendees=attendees,
        actions=actions, next_review_due=None, held_on=held_on), by="panel-chair", clock=clock)
    session.commit()
    return entry


ROOM = [{"name": "Imogen Thistlewood", "agency": "CAMHS"}, {"name": "Barnaby Okonkwo-Reyes", "agency": "ICB"}]


async def test_the_meeting_pack_pdf_has_each_persons_rating_the_last_reviews_actions_and_the_attendees(
    portal: httpx.AsyncClient, session: Session,
) -> None:
    first = ActionIn("Arrange a community CETR within four weeks", "ICB", date(2026, 3, 25))
    second = ActionIn("Refer to the intensive support team", "Learning disability team", date(2026, 3, 18))
    person(session, "Ottoline", "Brackenbury", "red", [first, second], ROOM[:1], date(2026, 3, 2))
    person(session, "Cassius", "Wetherall", "amber", [], ROOM, date(2026, 3, 3))
    await sign_in(portal, "dsr-member")
    agenda = await portal.get("/dsr")
    assert 'href="/dsr/meeting-pack"' in agenda.text and "Print or save as PDF" in agenda.text
    page = await portal.get("/dsr/meeting-pack")
    assert page.status_code == 200
    text = await pdf_text(portal, "/dsr/meeting-pack.pdf")
    assert "OFFICIAL-SENSITIVE" in text and "DSR meeting pack" in text
    for name, rating in (("Ottoline Brackenbury", "Red"), ("Cassius Wetherall", "Amber")):
        assert re.search(rf"{name}, \d+ {rating}", text), name  # the agenda: each person with their rating
    for action in (first, second):
        assert f"{action.what} {action.owner_agency} {day(action.due)}" in text
    for attendee in ROOM:  # the last meeting (3 March) and who attended it: each once
        assert f"{attendee['name']}, {attendee['agency']}" in text
        assert text.count(attendee["name"]) == 1
    assert "last meeting (3 March 2026)" in text

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    chairs = "Wilhelmina Ashdown, Adult social care\n\nTobias Fenwick-Lyle"
    written = await pdf_text(portal, "/dsr/meeting-pack.pdf", data={"csrf_token": token, "attendees": chairs})
    assert "Wilhelmina Ashdown, Adult social care" in written and "Tobias Fenwick-Lyle" in written
    assert ROOM[1]["name"] not in written and "as the chair wrote them" in written
    again = await portal.post("/dsr/meeting-pack", data={"csrf_token": token, "attendees": chairs})
    assert again.status_code == 200 and "Wilhelmina Ashdown" in again.text


async def test_only_the_dsr_panel_gets_the_meeting_pack(portal: httpx.AsyncClient, session: Session) -> None:
    person(session, "Ottoline", "Brackenbury", "red", [], ROOM, date(2026, 3, 2))
    for user in ("front-door-hub", "senco-seaview", "worker-semh", "asc-practitioner", "commissioning"):
        await sign_in(portal, user)
        for path in ("/dsr/meeting-pack", "/dsr/meeting-pack.pdf"):
            answer = await portal.get(path)
            assert answer.status_code == 403, (user, path)
            assert "Brackenbury" not in answer.text


def test_a_printed_page_fetches_nothing_but_the_portals_own_files() -> None:
    assert pdf.own_file(pdf.OWN + "printed.css") == pdf.APP_ASSETS / "printed.css"
    for url in ("https://example.org/x.css", pdf.OWN + "../pages.py", pdf.BASE + "static/govuk-frontend.min.css",
                "file:///etc/passwd", pdf.OWN + "missing.css"):
        assert pdf.own_file(url) is None, url
    html = ('<html><head><link rel="stylesheet" href="https://example.org/x.css"></head><body><p>Kept here</p>'
            '<img src="http://127.0.0.1:9/x.png" alt="x"></body></html>')
    assert "Kept here" in text_of(pdf.render_pdf(html))  # the outside addresses were refused, the page still made


def as_image(document: bytes, name: str) -> Path:
    """The first page of a PDF as var/screenshots/<name>-1.png (pdftoppm), for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = SCREENSHOTS / f"{name}.pdf"
    source.write_bytes(document)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(source), str(SCREENSHOTS / name)],
                   check=True)
    source.unlink()
    return SCREENSHOTS / f"{name}-1.png"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
async def test_a_summary_pdf_page_as_an_image(portal: httpx.AsyncClient, session: Session) -> None:
    """For people to look at: the summary's first page as var/screenshots/print-summary-pdf-1.png."""
    mine = refer(session, MINE, 0, client_reference="school-3")
    await sign_in(portal, "senco-seaview")
    document = (await portal.get(f"/referrals/{mine.id}/summary.pdf")).content
    image = await asyncio.to_thread(as_image, document, "print-summary-pdf")
    assert image.stat().st_size > 5000

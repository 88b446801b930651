"""Pages to print, and the same as PDFs: a referral's summary for the child's family or school (its referrer and the
front door), and the DSR meeting pack (the panel). Each page and its PDF are one template (printed_*.html): the page
shows it inside the portal's layout with the way to print it, the PDF inside pdf.html (services/portal/pdf.py).

The meeting pack's attendees: the register keeps attendees only with each review, so the pack starts from the last
meeting's (every review of the most recent day anyone on the agenda was reviewed) and the chair may write who is
attending instead, on the pack's page; nothing of that is stored, it goes into the printed pack only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.labels import LONDON, day
from schemas.views.dsr_pack import MeetingPack
from schemas.views.summaries import FamilySummary
from services.portal import pdf
from services.portal.backend import BackendError
from services.portal.deps import Panel, client, form_data, needs, not_found, render
from services.portal.users import User

router = APIRouter()
SummaryReader = Annotated[User, needs(lambda u: u.role == "referrer" or u.acts_as("front_door"))]
PARTS = {"age_band": {"0-17": "children and young people (0 to 17)", "18-25": "young adults (18 to 25)",
                      "26+": "adults (26 and over)"},
         "track": {"CETR": "care, education and treatment reviews", "CTR": "care and treatment reviews"}}
MAX_ATTENDEES, MAX_LINE = 40, 200
LEFT_OUT = ("Some of this referral is not in the summary until the safeguarding hub has decided about it. "
            "Print the summary again once it has.")


def today() -> date:
    return datetime.now(LONDON).date()


def pdf_response(html: bytes, filename: str) -> Response:
    return Response(html, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def document(request: Request, name: str, **context: Any) -> str:
    """The whole HTML of a printed document, as the PDF is made from it."""
    page = request.app.state.templates.get_template("pdf.html")
    return str(page.render(document=name, printed_on=today(), **context))


async def summary_of(request: Request, referral_id: uuid.UUID, user: User) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await client(request, user).read(FamilySummary, "intake", "GET",
                                                                 f"/referrals/{referral_id}/summary")
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise
    return found


def no_summary(request: Request) -> Response:
    return not_found(request, "Referral not found", "There is no referral of yours with this reference.")


def summary_context(request: Request, summary: dict[str, Any]) -> dict[str, Any]:
    return {"s": summary, "site": str(request.base_url).rstrip("/"),
            "title": f"Referral summary for {summary['child']['name']}"}


@router.get("/referrals/{referral_id}/summary", response_class=HTMLResponse)
async def summary_page(request: Request, referral_id: uuid.UUID, user: SummaryReader) -> Response:
    summary = await summary_of(request, referral_id, user)
    if summary is None:
        return no_summary(request)
    back = f"/front-door/referrals/{referral_id}" if user.acts_as("front_door") else f"/referrals/{referral_id}"
    return render(request, "print_page.html", document="printed_summary.html", printed_on=today(), back=back,
                  back_text="Back to the referral", pdf=f"/referrals/{referral_id}/summary.pdf",
                  warning=LEFT_OUT if summary["left_out"] else None, **summary_context(request, summary))


@router.get("/referrals/{referral_id}/summary.pdf")
async def summary_pdf(request: Request, referral_id: uuid.UUID, user: SummaryReader) -> Response:
    summary = await summary_of(request, referral_id, user)
    if summary is None:
        return no_summary(request)
    html = document(request, "printed_summary.html", **summary_context(request, summary))
    return pdf_response(await pdf.pdf_of(html), f"referral-summary-{summary['reference']}.pdf")


def attendees_from(text: str) -> list[dict[str, str]]:
    """The chair's attendees, one a line as "name, agency" (the agency may be left out), blank lines skipped."""
    people = []
    for line in text.splitlines()[:MAX_ATTENDEES]:
        name, _, agency = line[:MAX_LINE].partition(",")
        if name.strip():
            people.append({"name": name.strip(), "agency": agency.strip()})
    return people


async def pack_context(request: Request, user: User, written: str | None) -> dict[str, Any]:
    """The pack, its part of the meeting and its attendees: the chair's (`written`, from the form) or the last
    meeting's."""
    chosen = {k: v for k in PARTS if (v := request.query_params.get(k, "")) in PARTS[k]}
    found = await client(request, user).read(MeetingPack, "dsr", "GET", "/dsr/meeting-pack", params=chosen)
    last = found.get("last_meeting")
    if written is not None:
        attendees, source = attendees_from(written), "Attendees as the chair wrote them for this meeting."
    elif last:
        attendees = last["attendees"]
        source = (f"Attendees of the last meeting ({day(last['held_on'])}), from its reviews. The chair can change "
                  "them before printing.")
    else:
        attendees, source = [], "No meeting has been recorded yet. The chair can write who is attending."
    part = " and ".join(PARTS[k][v] for k, v in chosen.items()) or None
    query = urlencode(chosen)
    return {"p": found, "attendees": attendees, "attendees_from": source, "part": part, "query": query,
            "title": "DSR meeting pack" + (f": {part}" if part else "")}


async def written_attendees(request: Request) -> str:
    return (await form_data(request)).get("attendees", [""])[0]


@router.get("/dsr/meeting-pack", response_class=HTMLResponse)
@router.post("/dsr/meeting-pack", response_class=HTMLResponse)
async def pack_page(request: Request, user: Panel) -> Response:
    written = await written_attendees(request) if request.method == "POST" else None
    context = await pack_context(request, user, written)
    text = "\n".join(f"{a['name']}, {a['agency']}" if a["agency"] else a["name"] for a in context["attendees"])
    return render(request, "print_pack_page.html", document="printed_pack.html", printed_on=today(), back="/dsr",
                  back_text="Back to the agenda", attendees_text=text, **context)


@router.get("/dsr/meeting-pack.pdf")
@router.post("/dsr/meeting-pack.pdf")
async def pack_pdf(request: Request, user: Panel) -> Response:
    written = await written_attendees(request) if request.method == "POST" else None
    html = document(request, "printed_pack.html", **await pack_context(request, user, written))
    return pdf_response(await pdf.pdf_of(html), f"dsr-meeting-pack-{today().isoformat()}.pdf")

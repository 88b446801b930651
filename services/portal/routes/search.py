"""Find a child (issue 23, item 1): one box, GOV.UK's search pattern, for the front door, MASH and the DSR panel
(every child intake knows; the panel also the people on the register, adults too) and a service's workers (the
children of their own service's requests only, never one held for MASH). A GET form: it works without JavaScript
and Back comes back to the same results. The services answer and audit each search; the portal logs nothing of
what was typed (its request line names the route, never the query)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas import messages
from schemas.views.search import Found
from services.common.search import QUERY_MAX_LENGTH
from services.portal.backend import Client
from services.portal.deps import client, needs, render
from services.portal.users import User

router = APIRouter()
PANEL = ("dsr_panel", "dsr_chair")  # the DSR panel, and its chair who leads it
EVERY_CHILD = ("front_door", "front_door_manager", "worker:safeguarding", *PANEL)  # intake's search: every child
Searcher = needs(lambda u: u.role in EVERY_CHILD or u.role.startswith("worker:"))
HINTS = {
    "everyone": "A name, date of birth, NHS number, unique pupil number (UPN), postcode or postcode district "
                "(like TS1), or a referral reference",
    "worker": "A name, date of birth, NHS number, postcode or postcode district (like TS1), or a reference. "
              "You will find only children of your service's requests.",
    "dsr_panel": "A name, date of birth, NHS number, unique pupil number (UPN), postcode or postcode district "
                 "(like TS1), or a reference. People on the register are found too, adults included.",
}


def hint_for(user: User) -> str:
    if user.role in PANEL:
        return HINTS["dsr_panel"]
    return HINTS["everyone"] if user.role in EVERY_CHILD else HINTS["worker"]


def problem_with(typed: str) -> str | None:
    """The catalogue's sentence for a query that cannot be searched (none: it can)."""
    if len(typed.strip()) > QUERY_MAX_LENGTH:
        return messages.sentence("q", "string_too_long", {"max_length": QUERY_MAX_LENGTH}, form="search")
    return messages.too_short("q", typed, 1, form="search")


async def sections(api: Client, user: User, typed: str) -> list[dict[str, Any]]:
    """What each service the person may search found: children (linked to the child's page) and, for the panel,
    people on the register (linked to their entry)."""
    params = {"q": typed.strip()}
    if user.role not in EVERY_CHILD:  # a service's worker
        service = user.role.removeprefix("worker:")
        found = await api.read(Found, "worklists", "GET", f"/worklists/{service}/search", params=params)
        return [{"id": "children", "caption": "Children of your service's requests", "found": found}]
    children = await api.read(Found, "intake", "GET", "/children/search", params=params)
    shown = [{"id": "children", "caption": "Children", "found": children}]
    if user.role in PANEL:
        people = await api.read(Found, "dsr", "GET", "/dsr/search", params=params)
        shown.append({"id": "register", "caption": "People on the Dynamic Support Register", "found": people})
    return shown


@router.get("/find-a-child", response_class=HTMLResponse)
async def find_a_child(request: Request, user: User = Searcher) -> Response:
    typed = request.query_params.get("q")
    page: dict[str, Any] = {"typed": typed or "", "hint": hint_for(user), "errors": [], "shown": None,
                            "own_requests_only": user.role not in EVERY_CHILD}
    if typed is None:  # the page opened: nothing asked yet
        return render(request, "search.html", **page)
    problem = problem_with(typed)
    if problem is not None:
        page["errors"] = [{"text": problem, "href": "#q"}]
        return render(request, "search.html", 400, **page)
    page["shown"] = await sections(client(request, user), user, typed)
    return render(request, "search.html", **page)

"""What every portal page shares: the template environment, the menu for each role, links in table
cells, and showing a page again with the error summary of a service that refused what was sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi.responses import RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from jinja2.bccache import Bucket, BytecodeCache
from markupsafe import Markup

from schemas import labels, messages
from schemas.enums import Service
from services.portal import csrf, emergency, questions
from services.portal.backend import BackendError
from services.portal.users import User

HERE = Path(__file__).parent


class CompiledOnce(BytecodeCache):
    """Each template's compiled code kept for the process, by name and a checksum of its source: every app's
    environment (one per app, since each sets its own globals) compiles a template once between them, not once
    each. An edited template has another checksum, so it is compiled again. Compiling was most of a portal test's
    time (an app per test)."""

    def __init__(self) -> None:
        self.code: dict[tuple[str, str], Any] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        bucket.code = self.code.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[(bucket.key, bucket.checksum)] = bucket.code


COMPILED = CompiledOnce()  # for every environment templates() makes, all alike (same loaders, filters, autoescape)


def templates() -> Environment:
    loaders = [FileSystemLoader(HERE / "templates"),
               PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), bytecode_cache=COMPILED)
    env.globals |= {"label": labels.label, "html_id": questions.html_id, "services": [s.value for s in Service],
                    "link": link, "shown": shown, "csrf_field": csrf.field, "due_by_words": DUE_BY_WORDS}
    env.filters |= {"label": labels.label, "nhs": labels.nhs, "day": labels.day, "due": due, "first_upper": first_upper,
                    "in_sentence": labels.in_sentence}
    return env


# What a request's "Due by" means, said where it is shown (a request is breached when not accepted by then)
DUE_BY_WORDS = "the date the service aims to respond by: to accept the request or say why not"


def first_upper(text: Any) -> str:
    """Words that begin a sentence: the first letter a capital, the rest as they are (not str.capitalize: "MASH")."""
    words = str(text or "")
    return words[:1].upper() + words[1:]


def due(due_by: Any, priority: str | None = None) -> str:
    """A request's due date as a page shows it: an emergency's with its time ("3:40pm today"), any other's day."""
    return emergency.due_when(due_by, None) if priority == "emergency" else labels.day(due_by)


def shown(field: str, value: Any) -> str:
    """A field's value as a page shows it: words for codes, Yes or No, NHS numbers grouped, dates in words."""
    if value is None or value == "" or value == []:
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(shown(field, v) for v in value)
    name = field.split(".")[-1]
    if name == "nhs_number":
        return labels.nhs(value)
    if name == "date_of_birth":
        return labels.day(value)
    return labels.label(value) if name in labels.CODED else str(value)


def link(href: str, text: str) -> Markup:
    """A GOV.UK link for a table cell: the text is escaped, the markup is not."""
    return Markup('<a class="govuk-link" href="{}">{}</a>').format(href, text)


FIND_A_CHILD = {"href": "/find-a-child", "text": "Find a child"}  # the front door, every worker, the DSR panel


def navigation(user: User | None) -> list[dict[str, str]]:
    if user is None:
        return []
    if user.role == "referrer":
        return [{"href": "/referrals", "text": "My referrals and questions"},
                {"href": "/referrals/new", "text": "Make a referral"},
                {"href": "/advice/new", "text": "Ask for advice"}]
    if user.role.startswith("worker:"):
        return [{"href": user.home, "text": "Worklist"}, {"href": f"{user.home}/my-work", "text": "My work"},
                {"href": f"{user.home}/advice", "text": "Advice requests"},
                FIND_A_CHILD]
    if user.acts_as("dsr_panel"):
        return [{"href": "/dsr", "text": "DSR agenda"}, {"href": "/dsr/register", "text": "The register"}, FIND_A_CHILD,
                {"href": "/dsr/add", "text": "Add a person"}]
    if user.role == "dsr_referrer":
        return [{"href": "/dsr/entries", "text": "People I have added"}, {"href": "/dsr/add", "text": "Add a person"}]
    if user.role == "manager":
        return [{"href": "/reports", "text": "Reports"}]
    if user.role == "admin":
        return [{"href": "/admin/import", "text": "Import referrals"}, {"href": "/reports", "text": "Reports"},
                {"href": "/admin/dead-letters", "text": "Events not processed"}]
    if user.acts_as("front_door"):
        return [{"href": "/front-door", "text": "Front-door queue"}, {"href": "/front-door/my-work", "text": "My work"},
                FIND_A_CHILD,
                {"href": "/front-door/duplicates", "text": "Possible duplicates"},
                {"href": "/front-door/merges", "text": "Merge history"},
                {"href": "/advice", "text": "Advice requests"},
                {"href": "/reports/disagreement", "text": "Overrides by rule"}]
    return []


def errors_from(exc: BackendError, *, form: str, href: str | Callable[[str], str],
                otherwise: str | None = None) -> list[dict[str, str]]:
    """A service's refusal of `form` (a form of schemas.messages.FORMS) as a GOV.UK error summary.

    Each field problem reads as the catalogue's sentence for its field and error type ("Enter the reason for
    declining"), never the service's text or the field's name, and links to `href` (or `href(field)`). A refusal
    without field problems shows its title, linking to `otherwise`; with `otherwise` None it shows nothing."""
    errors = [{"text": messages.for_problem(p, form=form), "href": href(p["field"]) if callable(href) else href}
              for p in exc.problems]
    if not errors and otherwise is not None:
        errors = [{"text": exc.title, "href": otherwise}]
    return errors


async def found(call: Awaitable[Any]) -> Any | None:
    """The service's answer, or None when it answers 404 (for this person, there is nothing with that id)."""
    try:
        return await call
    except BackendError as exc:
        if exc.status == 404:
            return None
        raise


async def call_or_show_again(call: Awaitable[Any], *, done: str | Callable[[Any], Response],
                             again: Callable[[BackendError], Awaitable[Response]],
                             refusals: tuple[int, ...] = (409, 422)) -> Response:
    """Make the service call; when it succeeds go on to `done` (an address, 303, or a function of its answer).

    When the service refuses what was sent (a status in `refusals`) answer `again(error)` instead: the same
    page with its error summary. Any other failure propagates."""
    try:
        answer = await call
    except BackendError as exc:
        if exc.status not in refusals:
            raise
        return await again(exc)
    return done(answer) if callable(done) else RedirectResponse(done, status_code=303)

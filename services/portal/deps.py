"""Request dependencies of the portal's routes: who is signed in, a client for the services with their
token, rendering a page, the form, and the role aliases (`Referrer`, `Panel`, `Manager`, `Admin`, `Worker`,
`FrontDoor`, `DsrAdder`, `DsrReferrer`, `Answerer`, `AdviceReader`).

No `from __future__ import annotations` here: FastAPI must see the role aliases as objects, not strings."""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from schemas.enums import Service
from services.common.auth import mint_dev_token
from services.portal import csrf, oidc, sessions
from services.portal.backend import Client
from services.portal.pages import navigation
from services.portal.users import USERS, User


class SignInNeededError(Exception):
    """Nobody is signed in: the page sends them to sign in."""


class RefusedError(Exception):
    """The signed-in person's role may not see this page: 403."""


def user_of(request: Request) -> User | None:
    if request.app.state.settings.auth_mode == "oidc":
        signed_in = request.session.get("oidc")
        return oidc.user_from_session(signed_in) if signed_in else None
    return USERS.get(request.session.get("user", ""))


def client(request: Request, user: User) -> Client:
    """The services' APIs, called with this person's token (the identity provider's, or a dev token)."""
    state = request.app.state
    token = user.token or mint_dev_token(state.settings, subject=user.key, roles=[user.role], name=user.name,
                                         ttl_seconds=900)
    return Client(state.backends, token, state.transport, forwarded_for=request.client.host if request.client else None)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    user = user_of(request)
    page = request.app.state.templates.get_template(name)
    left = sessions.seconds_left(request) if user is not None else None  # the timeout warning's count
    html = page.render(user=user, request=request, navigation=navigation(user), session_left=left, **context)
    return HTMLResponse(html, status_code=status)


# GOV.UK's "Page not found" pattern (https://design-system.service.gov.uk/patterns/page-not-found-pages/).
NOT_FOUND = ("If you typed the web address, check it is correct.",
             "If you pasted the web address, check you copied the entire address.",
             "If the web address is correct or you selected a link or button, go back and try again, or go to your "
             "home page.")


def not_found(request: Request, title: str = "Page not found", message: str | None = None,
              status: int = 404) -> HTMLResponse:
    """A page that is not there: GOV.UK's "Page not found" words, or the page's own `title` and `message`."""
    if message is not None:
        return render(request, "error.html", status, title=title, message=message)
    return render(request, "error.html", status, title=title, paragraphs=NOT_FOUND, home="/")


def needs(role_ok: Callable[[User], bool]) -> Any:
    """A dependency: the signed-in person if their role may see the page (else sign in, or 403)."""

    def check(request: Request) -> User:
        user = user_of(request)
        if user is None:
            raise SignInNeededError
        if not role_ok(user):
            raise RefusedError
        return user

    return Depends(check)


def service_worker(request: Request, service: Service) -> User:
    """The signed-in worker of the service named in the path."""
    user = user_of(request)
    if user is None:
        raise SignInNeededError
    if user.role != f"worker:{service.value}":
        raise RefusedError
    return user


SignedIn = Annotated[User, needs(lambda u: True)]
Referrer = Annotated[User, needs(lambda u: u.role == "referrer")]
Panel = Annotated[User, needs(lambda u: u.acts_as("dsr_panel"))]
Manager = Annotated[User, needs(lambda u: u.role in ("manager", "admin"))]
Admin = Annotated[User, needs(lambda u: u.role == "admin")]
Worker = Annotated[User, Depends(service_worker)]
FrontDoor = Annotated[User, needs(lambda u: u.acts_as("front_door"))]
DsrAdder = Annotated[User, needs(lambda u: u.acts_as("dsr_panel") or u.role == "dsr_referrer")]
DsrReferrer = Annotated[User, needs(lambda u: u.role == "dsr_referrer")]
Answerer = Annotated[User, needs(lambda u: u.acts_as("front_door") or u.role.startswith("worker:"))]
AdviceReader = Annotated[User, needs(lambda u: u.role == "referrer" or u.acts_as("front_door")
                                           or u.role.startswith("worker:"))]


async def form_data(request: Request) -> dict[str, list[str]]:
    """The urlencoded form, every value kept (blank ones too), in the order sent, without the CSRF token (checked
    already, never passed on); any other body is refused (415)."""
    if csrf.media_type(request.headers.get("content-type")) != csrf.FORM:
        raise csrf.CsrfRefusedError(415, *csrf.NOT_A_FORM)
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form.pop(csrf.FIELD, None)
    return form


def filled(form: dict[str, list[str]]) -> dict[str, str]:
    """Each field's first value, stripped, leaving out fields left blank."""
    return {k: v[0].strip() for k, v in form.items() if v and v[0].strip()}

"""The portal: GOV.UK Design System pages for referrers, service workers and the DSR meeting.

Server-rendered, works without JavaScript. It holds no rules of its own: every read and action
goes to the owning service's API with the signed-in user's token. This module wires the app; the
pages are in `routes/`, what they share in `deps.py` and `pages.py`."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope
from starsessions import SessionAutoloadMiddleware, SessionMiddleware, is_loaded

from services.common.auth import TokenVerifier
from services.common.db import make_engine
from services.common.http import install_common
from services.common.settings import Settings
from services.common.tables import utcnow
from services.portal import csrf, failures, sessions
from services.portal.backend import BackendError, Backends, ServiceUnreachableError, TokenRefusedError
from services.portal.deps import NOT_FOUND, RefusedError, SignInNeededError, render
from services.portal.pages import HERE, templates
from services.portal.routes import ROUTERS, public

ASSETS = HERE / "node_modules" / "govuk-frontend" / "dist" / "govuk"
APP_ASSETS = HERE / "static"  # the portal's own scripts: GOV.UK Frontend's start-up, out of the page for the CSP


def create_app(settings: Settings, *, engine: Engine | None = None, backends: Backends | None = None,
               transport: Any = None) -> FastAPI:
    """`transport` (an httpx transport) stands in for the network in tests: the services and the identity provider."""
    app = FastAPI(title="Front Door portal", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf.protect)])  # every route: a POST must be the portal's own form
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.backends = backends or Backends(
        intake=settings.intake_url or f"http://127.0.0.1:{settings.intake_port}",
        worklists=settings.worklists_url or f"http://127.0.0.1:{settings.worklists_port}",
        dsr=settings.dsr_url or f"http://127.0.0.1:{settings.dsr_port}",
    )
    app.state.transport = transport
    app.state.templates = templates()
    app.state.templates.globals["rules_in_force"] = public.rules_version  # the footer's "Rules in force"
    app.state.verifier = TokenVerifier(settings)
    app.state.session_store = sessions.DatabaseStore(app.state.engine, settings)  # the cookie holds only an id
    app.add_middleware(SessionAutoloadMiddleware, paths=[sessions.NOT_STATIC])
    app.add_middleware(SessionMiddleware, store=app.state.session_store, cookie_name=sessions.COOKIE,
                       cookie_same_site="lax", cookie_https_only=sessions.cookie_secure(settings), lifetime=0)
    if not ASSETS.exists():
        raise RuntimeError(f"GOV.UK Frontend assets missing at {ASSETS}: run `make install` (npm installs them)")
    app.mount("/assets", StaticFiles(directory=ASSETS / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=ASSETS), name="static")
    app.mount("/app-assets", StaticFiles(directory=APP_ASSETS), name="app-assets")
    app.state.ready = True
    install_common(app, ready=lambda: app.state.ready, not_allowed=not_allowed)
    app.add_exception_handler(StarletteHTTPException, http_refused)
    app.add_exception_handler(SignInNeededError, to_sign_in)
    app.add_exception_handler(RefusedError, refused)
    app.add_exception_handler(TokenRefusedError, sessions.sign_in_again)
    app.add_exception_handler(csrf.CsrfRefusedError, csrf_refused)
    app.add_exception_handler(csrf.SessionEndedError, kept_for_later)
    app.add_exception_handler(BackendError, service_failed)
    app.add_exception_handler(ServiceUnreachableError, service_failed)
    for router in ROUTERS:
        app.include_router(router)
    return app


async def to_sign_in(request: Request, _: Exception) -> Response:
    return RedirectResponse("/sign-in", status_code=303)


async def refused(request: Request, _: Exception) -> Response:
    return render(request, "error.html", 403, title="You cannot see this page",
                  message="This page is for another role. Use the links above for the pages you can use.")


async def csrf_refused(request: Request, exc: Exception) -> Response:
    refusal = exc if isinstance(exc, csrf.CsrfRefusedError) else csrf.CsrfRefusedError(403, *csrf.EXPIRED)
    return render(request, "error.html", refusal.status, title=refusal.title, message=refusal.message)


async def kept_for_later(request: Request, exc: Exception) -> Response:
    """A form posted after the session timed out: kept (in the new, signed-out session) for its person, who
    signs in again and is brought back to it (routes/sign_in.py)."""
    if isinstance(exc, csrf.SessionEndedError):
        request.session[sessions.KEPT] = exc.kept
    return RedirectResponse("/sign-in", status_code=303)


async def service_failed(request: Request, exc: Exception) -> Response:
    """A service's refusal or failure the page did not handle itself: a page in words (services.portal.failures)."""
    if isinstance(exc, BackendError):
        status: int | str | None = exc.status
    else:
        status = failures.TIMEOUT if getattr(exc, "timed_out", False) else failures.UNREACHABLE
    page = failures.page_for(status, retry_after=getattr(exc, "retry_after", None), now=utcnow())
    response = render(request, "error.html", page.status, title=page.title, message=page.message)
    response.headers.update(page.headers)
    return response




def page_in_words(request: Request, status: int, headers: dict[str, str] | None = None, **words: Any) -> Response:
    """error.html with `words`; with the person's menu where their session is loaded (not for static files, nor
    before the session middleware)."""
    if "session_handler" in request.scope and is_loaded(request):
        response: Response = render(request, "error.html", status, **words)
    else:
        page = request.app.state.templates.get_template("error.html")
        response = HTMLResponse(page.render(user=None, request=request, navigation=[], **words), status_code=status)
    response.headers.update(headers or {})
    return response


async def http_refused(request: Request, exc: Exception) -> Response:
    """An address with no page (a route's or a static file's 404) is GOV.UK's "Page not found", never JSON;
    any other refusal of the router is a page in words too."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    headers = getattr(exc, "headers", None)
    if status in (404, 405):
        return page_in_words(request, status, headers, title="Page not found", paragraphs=NOT_FOUND, home="/")
    return page_in_words(request, status, headers, title="Sorry, there is a problem with this page",
                         message="Go back and try again.")


async def not_allowed(scope: Scope, allow: str) -> Response:
    """A method the address does not take (a POST-only address typed into the address bar, say): to a person that
    is a page that is not there (405, with `Allow`)."""
    return page_in_words(Request(scope), 405, {"Allow": allow}, title="Page not found", paragraphs=NOT_FOUND,
                         home="/")

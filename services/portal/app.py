"""The portal: GOV.UK Design System pages for referrers, service workers and the DSR meeting.

Server-rendered, works without JavaScript. It holds no rules of its own: every read and action
goes to the owning service's API with the signed-in user's token."""

# No `from __future__ import annotations` here: the routes' role dependencies are local aliases
# that FastAPI must see as objects, not strings.

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from schemas.enums import Service
from services.common.auth import TokenVerifier, mint_dev_token
from services.common.db import make_engine, session_scope
from services.common.http import install_common
from services.common.settings import Settings
from services.portal import charts, drafts, oidc, questions
from services.portal.backend import BackendError, Backends, Client
from services.portal.users import USERS, User


class SignInNeededError(Exception):
    pass


class RefusedError(Exception):
    pass

HERE = Path(__file__).parent
ASSETS = HERE / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def templates() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})]),
        autoescape=select_autoescape(["html"]),
    )
    env.globals |= {"label": questions.label, "html_id": questions.html_id, "services": [s.value for s in Service], "link": link}
    return env


def create_app(settings: Settings, *, engine: Engine | None = None, backends: Backends | None = None, transport: Any = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)
    backends = backends or Backends(
        intake=settings.intake_url or f"http://127.0.0.1:{settings.intake_port}",
        worklists=settings.worklists_url or f"http://127.0.0.1:{settings.worklists_port}",
        dsr=settings.dsr_url or f"http://127.0.0.1:{settings.dsr_port}",
    )
    env = templates()
    verifier = TokenVerifier(settings)
    app = FastAPI(title="Front Door portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=settings.portal_session_secret.get_secret_value(), same_site="lax",
                       https_only=False, session_cookie="frontdoor_portal")
    if not ASSETS.exists():
        raise RuntimeError(f"GOV.UK Frontend assets missing at {ASSETS}: run `make install` (npm installs them)")
    app.mount("/assets", StaticFiles(directory=ASSETS / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=ASSETS), name="static")
    app.state.ready = True
    install_common(app, ready=lambda: app.state.ready)

    def user_of(request: Request) -> User | None:
        if settings.auth_mode == "oidc":
            signed_in = request.session.get("oidc")
            return oidc.user_from_session(signed_in) if signed_in else None
        return USERS.get(request.session.get("user", ""))

    def client(user: User) -> Client:
        token = user.token or mint_dev_token(settings, subject=user.key, roles=[user.role], ttl_seconds=900)
        return Client(backends, token, transport)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        user = user_of(request)
        html = env.get_template(name).render(user=user, request=request, navigation=navigation(user), **context)
        return HTMLResponse(html, status_code=status)

    def refuse(request: Request) -> HTMLResponse:
        return render(request, "error.html", 403, title="You cannot see this page",
                      message="This page is for another role. Use the links above for the pages you can use.")

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

    @app.exception_handler(SignInNeededError)
    async def to_sign_in(request: Request, _: Exception) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(RefusedError)
    async def refused(request: Request, _: Exception) -> Response:
        return refuse(request)

    Referrer = Annotated[User, needs(lambda u: u.role == "referrer")]  # noqa: N806 - type aliases
    Panel = Annotated[User, needs(lambda u: u.role == "dsr_panel")]  # noqa: N806
    Manager = Annotated[User, needs(lambda u: u.role in ("manager", "admin"))]  # noqa: N806
    Admin = Annotated[User, needs(lambda u: u.role == "admin")]  # noqa: N806

    def service_worker(request: Request, service: Service) -> User:
        user = user_of(request)
        if user is None:
            raise SignInNeededError
        if user.role != f"worker:{service.value}":
            raise RefusedError
        return user

    Worker = Annotated[User, Depends(service_worker)]  # noqa: N806

    async def form_data(request: Request) -> dict[str, list[str]]:
        return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)

    # --- sign in ---------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            return RedirectResponse("/sign-in", status_code=303)
        return RedirectResponse(user.home, status_code=303)

    @app.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request) -> Response:
        if settings.auth_mode == "oidc":  # production: the council's identity provider signs people in
            return RedirectResponse(oidc.authorize_redirect(settings, request), status_code=303)
        return render(request, "sign_in.html", users=list(USERS.values()), errors=[])

    @app.get("/auth/callback", response_class=HTMLResponse)
    async def auth_callback(request: Request, code: str = "", state: str = "") -> Response:
        try:
            signed_in = await oidc.complete_sign_in(settings, request, code=code, state=state, verifier=verifier, transport=transport)
        except oidc.SignInError as exc:
            return render(request, "error.html", 403, title="You could not be signed in", message=str(exc))
        request.session.clear()
        request.session["oidc"] = signed_in
        user = oidc.user_from_session(signed_in)
        return RedirectResponse(user.home, status_code=303)

    @app.post("/sign-in", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        if settings.auth_mode == "oidc":
            return RedirectResponse("/sign-in", status_code=303)
        key = (await form_data(request)).get("user", [""])[0]
        if key not in USERS:
            errors = [{"text": "Choose who you are signing in as", "href": "#user"}]
            return render(request, "sign_in.html", 422, users=list(USERS.values()), errors=errors)
        request.session["user"] = key
        return RedirectResponse(USERS[key].home, status_code=303)

    @app.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)

    # --- referrer --------------------------------------------------------------------------------

    @app.get("/referrals", response_class=HTMLResponse)
    async def my_referrals(request: Request, user: Referrer) -> Response:
        items = await client(user).call("intake", "GET", "/referrals")
        return render(request, "referrals.html", referrals=items, has_draft=bool(_draft(engine, user)))

    @app.get("/referrals/new", response_class=HTMLResponse)
    async def new_referral(request: Request, user: Referrer) -> Response:
        return RedirectResponse(f"/referrals/new/{questions.PAGES[0].slug}", status_code=303)

    @app.get("/referrals/new/check", response_class=HTMLResponse)
    async def check_answers(request: Request, user: Referrer) -> Response:
        return render(request, "check.html", pages=questions.PAGES, answers=_draft(engine, user), errors=[])

    @app.post("/referrals/new/check", response_class=HTMLResponse)
    async def submit(request: Request, user: Referrer) -> Response:
        answers = _draft(engine, user)
        body = questions.to_referral(answers) | {"client_reference": f"portal-{_draft_id(engine, user)}"}
        try:
            created = await client(user).call("intake", "POST", "/referrals", json=body)
        except BackendError as exc:
            if exc.status != 422:
                raise
            errors = [{"text": f"{questions.label(e['field'].split('.')[-1])}: {e['problem']}",
                       "href": f"/referrals/new/{questions.PAGE_OF[e['field']].slug}#{questions.html_id(e['field'])}"
                       if e["field"] in questions.PAGE_OF else "#"} for e in exc.problems]
            return render(request, "check.html", 422, pages=questions.PAGES, answers=answers, errors=errors)
        with session_scope(engine) as session:
            drafts.discard(session, user.key)
        return RedirectResponse(f"/referrals/{created['referral_id']}/confirmation", status_code=303)

    @app.get("/referrals/new/{slug}", response_class=HTMLResponse)
    async def question(request: Request, slug: str, user: Referrer) -> Response:
        page = questions.page(slug)
        if page is None:
            return render(request, "error.html", 404, title="Page not found", message="Check the address and try again.")
        return render(request, "question.html", page=page, answers=_draft(engine, user), errors={})

    @app.post("/referrals/new/{slug}", response_class=HTMLResponse)
    async def answer(request: Request, slug: str, user: Referrer) -> Response:
        page = questions.page(slug)
        if page is None:
            return render(request, "error.html", 404, title="Page not found", message="Check the address and try again.")
        answers = questions.read(page, await form_data(request))
        errors = questions.required_missing(page, answers)
        with session_scope(engine) as session:  # saved as they go: a timeout never loses work
            merged = drafts.save(session, user.key, answers)
        if errors:
            return render(request, "question.html", 422, page=page, answers=merged, errors=errors)
        return RedirectResponse(f"/referrals/new/{questions.next_page(slug)}", status_code=303)

    @app.get("/referrals/{referral_id}/confirmation", response_class=HTMLResponse)
    async def confirmation(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
        return render(request, "confirmation.html", referral_id=str(referral_id))

    @app.get("/referrals/{referral_id}", response_class=HTMLResponse)
    async def referral(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
        try:
            view = await client(user).call("intake", "GET", f"/referrals/{referral_id}")
        except BackendError as exc:
            if exc.status == 404:
                return render(request, "error.html", 404, title="Referral not found", message="There is no referral of yours with this reference.")
            raise
        return render(request, "referral.html", referral=view)

    # --- service workers -------------------------------------------------------------------------

    @app.get("/work/{service}", response_class=HTMLResponse)
    async def worklist(request: Request, service: Service, user: Worker) -> Response:
        items = await client(user).call("worklists", "GET", f"/worklists/{service.value}")
        return render(request, "worklist.html", service=service.value, items=items)

    @app.get("/work/{service}/{request_id}", response_class=HTMLResponse)
    async def work_item(request: Request, service: Service, request_id: uuid.UUID, user: Worker) -> Response:
        try:
            item = await client(user).call("worklists", "GET", f"/worklists/{service.value}/requests/{request_id}")
        except BackendError as exc:
            if exc.status == 404:
                return render(request, "error.html", 404, title="Request not found", message="This service has no request with this reference.")
            raise
        return render(request, "request.html", service=service.value, item=item, errors=[], done=request.query_params.get("done"))

    @app.post("/work/{service}/{request_id}/{action}", response_class=HTMLResponse)
    async def work_action(request: Request, service: Service, request_id: uuid.UUID, action: str, user: Worker) -> Response:
        if action not in ("accept", "decline", "redirect", "complete"):
            return render(request, "error.html", 404, title="Page not found", message="Check the address and try again.")
        form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v and v[0].strip()}
        try:
            await client(user).call("worklists", "POST", f"/worklists/{service.value}/requests/{request_id}/{action}", json=form)
        except BackendError as exc:
            if exc.status not in (409, 422):
                raise
            item = await client(user).call("worklists", "GET", f"/worklists/{service.value}/requests/{request_id}")
            errors = [{"text": f"{questions.label(e['field'])}: {e['problem']}", "href": f"#{action}-{e['field']}"} for e in exc.problems] or [
                {"text": exc.title, "href": "#actions"}]
            return render(request, "request.html", 422, service=service.value, item=item, errors=errors, done=None)
        return RedirectResponse(f"/work/{service.value}/{request_id}?done={action}", status_code=303)

    # --- DSR meeting -----------------------------------------------------------------------------

    @app.get("/dsr", response_class=HTMLResponse)
    async def agenda(request: Request, user: Panel) -> Response:
        api = client(user)
        counts = await api.call("dsr", "GET", "/dsr/counts", params={"weeks": 12})
        chart = charts.stacked_chart("Open register entries by rating, week by week", [
            (w["week_ending"], [(r.capitalize(), w[r]) for r in ("red", "amber", "green", "blue")] + [("Not rated", w["unrated"])]) for w in counts
        ])
        return render(request, "agenda.html", items=await api.call("dsr", "GET", "/dsr/agenda"), counts=counts, counts_chart=chart)

    @app.get("/dsr/{entry_id}", response_class=HTMLResponse)
    async def entry(request: Request, entry_id: uuid.UUID, user: Panel) -> Response:
        view = await client(user).call("dsr", "GET", f"/dsr/entries/{entry_id}")
        return render(request, "entry.html", entry=view, errors=[], form={}, done=request.query_params.get("done"))

    @app.post("/dsr/{entry_id}/review", response_class=HTMLResponse)
    async def review(request: Request, entry_id: uuid.UUID, user: Panel) -> Response:
        form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v}
        attendees = [dict(zip(("name", "agency"), (part.strip() for part in line.split(",", 1)), strict=False))
                     for line in form.get("attendees", "").splitlines() if line.strip()]
        body: dict[str, Any] = {"rating": form.get("rating") or None, "rationale": form.get("rationale", ""), "attendees": attendees}
        if form.get("next_review_due"):
            body["next_review_due"] = form["next_review_due"]
        if form.get("action_what"):
            body["actions"] = [{"what": form["action_what"], "owner_agency": form.get("action_owner", ""), "due": form.get("action_due", "")}]
        try:
            await client(user).call("dsr", "POST", f"/dsr/entries/{entry_id}/reviews", json=body)
        except BackendError as exc:
            if exc.status not in (409, 422):
                raise
            view = await client(user).call("dsr", "GET", f"/dsr/entries/{entry_id}")
            errors = [{"text": f"{questions.label(e['field'].split('.')[0])}: {e['problem']}", "href": f"#review-{e['field'].split('.')[0]}"}
                      for e in exc.problems] or [{"text": exc.title, "href": "#review"}]
            return render(request, "entry.html", 422, entry=view, errors=errors, form=form, done=None)
        return RedirectResponse(f"/dsr/{entry_id}?done=review", status_code=303)

    # --- reports (managers) -----------------------------------------------------------------------

    @app.get("/reports", response_class=HTMLResponse)
    async def reports(request: Request, user: Manager) -> Response:
        api = client(user)
        data = {name: await api.call("intake", "GET", f"/reports/{name}", params={"weeks": 12})
                for name in ("referrals-by-week", "waiting-times", "breaches", "concerns-by-school")}
        weekly = [r for r in data["referrals-by-week"] if r["service"] == "all"]
        by_service = [r for r in data["referrals-by-week"] if r["service"] != "all"]
        per_week: dict[str, int] = {}
        for r in weekly:
            per_week[r["week_starting"]] = per_week.get(r["week_starting"], 0) + r["count"]
        per_service: dict[str, int] = {}
        for r in by_service:
            per_service[r["service"]] = per_service.get(r["service"], 0) + r["count"]
        per_concern: dict[str, int] = {}
        for r in data["concerns-by-school"]:
            per_concern[r["concern"]] = per_concern.get(r["concern"], 0) + r["count"]
        rendered = {
            "weekly": charts.bar_chart("Referrals per week", [(f"w/c {k}", v) for k, v in sorted(per_week.items())]),
            "by_service": charts.bar_chart("Service requests per service", [(questions.label(k), v) for k, v in sorted(per_service.items())]),
            "waits": charts.bar_chart("Median days to acceptance", [(questions.label(r["service"]), r["median_days"]) for r in data["waiting-times"]], unit=" days"),
            "breaches": charts.bar_chart("Breaches per service", [(questions.label(r["service"]), r["breached"]) for r in data["breaches"]]),
            "schools": charts.bar_chart("Most common concerns", [(questions.label(k), v) for k, v in sorted(per_concern.items(), key=lambda kv: -kv[1])[:8]]),
        }
        return render(request, "reports.html", weeks=12, charts=rendered, weekly=weekly, by_service=by_service,
                      waits=data["waiting-times"], breaches=data["breaches"], schools=data["concerns-by-school"])

    @app.get("/reports/{name}.csv")
    async def report_csv(request: Request, name: str, user: Manager) -> Response:
        text = await client(user).call("intake", "GET", f"/reports/{name}", params={"weeks": 12, "format": "csv"})
        return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    # --- bulk import (administrators) ------------------------------------------------------------

    @app.get("/admin/import", response_class=HTMLResponse)
    async def import_page(request: Request, user: Admin) -> Response:
        return render(request, "import.html", result=None, errors=[])

    @app.post("/admin/import", response_class=HTMLResponse)
    async def import_file(request: Request, user: Admin) -> Response:
        form = await request.form()
        upload = form.get("file")
        content = await upload.read() if upload is not None and hasattr(upload, "read") else b""
        if not content:
            return render(request, "import.html", 422, result=None, errors=[{"text": "Choose a CSV file to import", "href": "#file"}])
        result = await client(user).call("intake", "POST", "/imports", content=content,
                                         params={"import_valid": "true" if form.get("mode") == "valid" else "false"},
                                         headers={"Content-Type": "text/csv"})
        return render(request, "import.html", result=result, errors=[])

    # --- completing a referral that needs information ------------------------------------------

    @app.get("/referrals/{referral_id}/complete", response_class=HTMLResponse)
    async def complete_page(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
        view = await client(user).call("intake", "GET", f"/referrals/{referral_id}")
        return render(request, "complete.html", referral=view, errors=[])

    @app.post("/referrals/{referral_id}/complete", response_class=HTMLResponse)
    async def complete(request: Request, referral_id: uuid.UUID, user: Referrer) -> Response:
        form = await form_data(request)
        patch: dict[str, Any] = {"consent": {}}
        if form.get("consent-basis", [""])[0]:
            patch["consent"]["basis"] = form["consent-basis"][0]
        if form.get("consent-child_aware", [""])[0]:
            patch["consent"]["child_aware"] = form["consent-child_aware"][0] == "yes"
        try:
            await client(user).call("intake", "PATCH", f"/referrals/{referral_id}", json=patch)
        except BackendError as exc:
            if exc.status not in (409, 422):
                raise
            view = await client(user).call("intake", "GET", f"/referrals/{referral_id}")
            errors = [{"text": e["problem"], "href": "#consent-basis"} for e in exc.problems] or [{"text": exc.title, "href": "#consent-basis"}]
            return render(request, "complete.html", 422, referral=view, errors=errors)
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)

    # --- DSR consent, close, export ----------------------------------------------------------

    @app.post("/dsr/{entry_id}/{action}", response_class=HTMLResponse)
    async def dsr_action(request: Request, entry_id: uuid.UUID, action: str, user: Panel) -> Response:
        form = {k: v[0].strip() for k, v in (await form_data(request)).items() if v and v[0].strip()}
        paths = {"consent": f"/dsr/entries/{entry_id}/consent", "withdraw": f"/dsr/entries/{entry_id}/consent/withdraw", "close": f"/dsr/entries/{entry_id}/close"}
        if action not in paths:
            return render(request, "error.html", 404, title="Page not found", message="Check the address and try again.")
        try:
            await client(user).call("dsr", "POST", paths[action], json=form if action != "withdraw" else None)
        except BackendError as exc:
            if exc.status not in (409, 422):
                raise
            view = await client(user).call("dsr", "GET", f"/dsr/entries/{entry_id}")
            errors = [{"text": f"{questions.label(e['field'])}: {e['problem']}", "href": f"#{action}"} for e in exc.problems] or [{"text": exc.title, "href": f"#{action}"}]
            return render(request, "entry.html", 422, entry=view, errors=errors, form={}, done=None)
        return RedirectResponse(f"/dsr/{entry_id}?done={action}", status_code=303)

    @app.get("/dsr-register.csv")
    async def dsr_export(request: Request, user: Panel) -> Response:
        text = await client(user).call("dsr", "GET", "/dsr/export.csv")
        return Response(text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="dynamic-support-register.csv"'})

    return app


def link(href: str, text: str) -> Markup:
    """A GOV.UK link for a table cell: the text is escaped, the markup is not."""
    return Markup('<a class="govuk-link" href="{}">{}</a>').format(href, text)


def navigation(user: User | None) -> list[dict[str, str]]:
    if user is None:
        return []
    if user.role == "referrer":
        return [{"href": "/referrals", "text": "My referrals"}, {"href": "/referrals/new", "text": "Make a referral"}]
    if user.role.startswith("worker:"):
        return [{"href": user.home, "text": "Worklist"}]
    if user.role == "dsr_panel":
        return [{"href": "/dsr", "text": "DSR agenda"}]
    if user.role == "manager":
        return [{"href": "/reports", "text": "Reports"}]
    if user.role == "admin":
        return [{"href": "/admin/import", "text": "Import referrals"}, {"href": "/reports", "text": "Reports"}]
    return []


def _draft(engine: Engine, user: User) -> dict[str, Any]:
    with session_scope(engine) as session:
        return drafts.load(session, user.key)


def _draft_id(engine: Engine, user: User) -> str:
    with session_scope(engine) as session:
        return drafts.draft_id(session, user.key)

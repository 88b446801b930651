"""Signing in and out: seeded people on a laptop (AUTH_MODE=dev), the council's identity provider otherwise."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import oidc
from services.portal.deps import form_data, render, user_of
from services.portal.users import USERS

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    user = user_of(request)
    if user is None:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(user.home, status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    settings = request.app.state.settings
    if settings.auth_mode == "oidc":  # production: the council's identity provider signs people in
        return RedirectResponse(oidc.authorize_redirect(settings, request), status_code=303)
    return render(request, "sign_in.html", users=list(USERS.values()), errors=[])


@router.get("/auth/callback", response_class=HTMLResponse)
async def auth_callback(request: Request, code: str = "", state: str = "") -> Response:
    app = request.app.state
    try:
        signed_in = await oidc.complete_sign_in(app.settings, request, code=code, state=state, verifier=app.verifier,
                                                transport=app.transport)
    except oidc.SignInError as exc:
        return render(request, "error.html", 403, title="You could not be signed in", message=str(exc))
    request.session.clear()
    request.session["oidc"] = signed_in
    user = oidc.user_from_session(signed_in)
    return RedirectResponse(user.home, status_code=303)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    if request.app.state.settings.auth_mode == "oidc":
        return RedirectResponse("/sign-in", status_code=303)
    key = (await form_data(request)).get("user", [""])[0]
    if key not in USERS:
        errors = [{"text": "Choose who you are signing in as", "href": "#user"}]
        return render(request, "sign_in.html", 422, users=list(USERS.values()), errors=errors)
    request.session["user"] = key
    return RedirectResponse(USERS[key].home, status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)

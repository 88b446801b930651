"""Signing in and out: seeded people on a laptop (AUTH_MODE=dev), the council's identity provider otherwise.

Either way a sign-in starts a new server-side session (services/portal/sessions.py) and a sign-out ends it."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import oidc, sessions
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
        try:
            return await oidc.authorize_redirect(request)
        except oidc.SignInError as exc:
            return render(request, "error.html", 503, title="You could not be signed in", message=str(exc))
    return render(request, "sign_in.html", users=list(USERS.values()), errors=[])


@router.get("/auth/callback", response_class=HTMLResponse)
async def auth_callback(request: Request) -> Response:
    app = request.app.state
    try:
        signed_in, expiry = await oidc.complete_sign_in(request, verifier=app.verifier)
    except oidc.SignInError as exc:
        return render(request, "error.html", 403, title="You could not be signed in", message=str(exc))
    await sessions.begin(request, {"oidc": signed_in}, token_expiry=expiry)
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
    await sessions.begin(request, {"user": key})
    return RedirectResponse(USERS[key].home, status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    settings = request.app.state.settings
    id_token = (request.session.get("oidc") or {}).get("id_token")
    await sessions.end(request)
    if settings.auth_mode == "oidc":  # and at the provider, when it offers an end-session endpoint
        at_provider = await oidc.end_session_url(request, id_token)
        return RedirectResponse(at_provider or "/signed-out", status_code=303)
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request) -> Response:
    return render(request, "error.html", 200, title="You have signed out",
                  message="You are signed out of the Front Door portal. To use it again, go to its home page "
                          "and sign in.")

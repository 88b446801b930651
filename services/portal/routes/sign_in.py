"""Signing in and out: seeded people on a laptop (AUTH_MODE=dev), the council's identity provider otherwise.

Either way a sign-in starts a new server-side session (services/portal/sessions.py) and a sign-out ends it. A page
warns two minutes before the session times out ("Stay signed in" calls /session/extend); a form posted after it
timed out is kept, and the same person is brought back to it (/continue) when they sign in again."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal import oidc, sessions
from services.portal.deps import SignedIn, form_data, render, user_of
from services.portal.users import USERS, User

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
    return render(request, "sign_in.html", users=list(USERS.values()), errors=[],
                  kept=sessions.KEPT in request.session)


@router.get("/auth/callback", response_class=HTMLResponse)
async def auth_callback(request: Request) -> Response:
    app = request.app.state
    try:
        signed_in, expiry = await oidc.complete_sign_in(request, verifier=app.verifier)
    except oidc.SignInError as exc:
        return render(request, "error.html", 403, title="You could not be signed in", message=str(exc))
    await sessions.begin(request, {"oidc": signed_in}, token_expiry=expiry)
    return onwards(request, oidc.user_from_session(signed_in))


def onwards(request: Request, user: User) -> RedirectResponse:
    """Just signed in: back to a form kept from when their session ended, else their home page."""
    return RedirectResponse("/continue" if sessions.KEPT in request.session else user.home, status_code=303)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    if request.app.state.settings.auth_mode == "oidc":
        return RedirectResponse("/sign-in", status_code=303)
    key = (await form_data(request)).get("user", [""])[0]
    if key not in USERS:
        errors = [{"text": "Choose who you are signing in as", "href": "#user"}]
        return render(request, "sign_in.html", 422, users=list(USERS.values()), errors=errors,
                      kept=sessions.KEPT in request.session)
    await sessions.begin(request, {"user": key})
    return onwards(request, USERS[key])


@router.get("/continue", response_class=HTMLResponse)
async def continue_where_you_were(request: Request, user: SignedIn) -> Response:
    """The form kept from when their session ended, to send again (once): its answers as they were sent."""
    kept = request.session.pop(sessions.KEPT, None)
    if not isinstance(kept, dict) or kept.get("for") != sessions.owner_of(dict(request.session)):
        return RedirectResponse(user.home, status_code=303)
    return render(request, "continue.html", path=kept["path"], answers=kept["answers"])


@router.post("/session/extend")
async def stay_signed_in(request: Request, user: SignedIn) -> Response:
    """"Stay signed in" in the timeout warning: using the session is what extends it (the store notes each use).
    From the page's script, the time left as JSON; from a plain form, back to the page (the portal's own only)."""
    back = (await form_data(request)).get("return_to", [""])[0]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"seconds_left": sessions.seconds_left(request)})
    own_page = back.startswith("/") and not back.startswith(("//", "/\\"))
    return RedirectResponse(back if own_page else "/", status_code=303)


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

"""Signing in with the council's identity provider (AUTH_MODE=oidc): the authorization code flow.

The portal sends people to the provider, takes the code back, exchanges it for an access token,
and checks that token exactly as every service's API does (issuer, audience, signature from the
provider's JWKS, roles). The token is then what the portal presents to the services."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import HTTPException, Request

from services.common.auth import TokenVerifier
from services.common.settings import Settings
from services.portal.users import User


class SignInError(Exception):
    """Why sign-in failed, in words fit to show (never a token or a provider's raw answer)."""


def authorize_redirect(settings: Settings, request: Request) -> str:
    if not settings.oidc_authorize_url:
        raise SignInError("OIDC_AUTHORIZE_URL is not set")
    state = secrets.token_urlsafe(24)
    request.session["oidc_state"] = state
    query = {"response_type": "code", "client_id": settings.oidc_client_id,
             "redirect_uri": f"{settings.portal_url}/auth/callback", "scope": "openid profile roles", "state": state}
    return f"{settings.oidc_authorize_url}?{urlencode(query)}"


async def complete_sign_in(settings: Settings, request: Request, *, code: str, state: str, verifier: TokenVerifier,
                           transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    expected = request.session.pop("oidc_state", None)
    if not code or not expected or not secrets.compare_digest(state, expected):
        raise SignInError("The sign-in link has expired or was not started here. Sign in again.")
    if not settings.oidc_token_url:
        raise SignInError("OIDC_TOKEN_URL is not set")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": f"{settings.portal_url}/auth/callback",
            "client_id": settings.oidc_client_id,
            "client_secret": settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""}
    async with httpx.AsyncClient(timeout=10, transport=transport) as client:
        response = await client.post(settings.oidc_token_url, data=form)
    if response.status_code != 200:
        raise SignInError("The identity provider did not accept the sign-in. Sign in again.")
    token = str(response.json().get("access_token", ""))
    try:
        principal = verifier.verify(token)
    except HTTPException:
        raise SignInError("The identity provider's token could not be checked.") from None
    if not principal.roles:
        raise SignInError("Your account has no Front Door role. Ask your administrator for one.")
    return {"subject": principal.subject, "role": principal.primary_role, "token": token}


def user_from_session(signed_in: dict[str, Any]) -> User:
    role = str(signed_in["role"])
    return User(key=str(signed_in["subject"]), name=str(signed_in["subject"]), role=role,
                description=role.replace("_", " "), token=str(signed_in["token"]))

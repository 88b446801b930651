"""Signing in with the council's identity provider (AUTH_MODE=oidc): the authorization code flow with PKCE
(S256) and a nonce, by Authlib's Starlette client.

The provider is found by discovery (OIDC_DISCOVERY_URL), else by the explicit OIDC_AUTHORIZE_URL and
OIDC_TOKEN_URL. Authlib keeps the state, nonce and code verifier in the (server-side) session, sends the
code challenge, checks the state and checks the ID token (signature from the provider's keys, issuer,
audience, expiry, nonce). The access token is then checked exactly as every service's API checks it
(issuer, audience, signature from the provider's JWKS, roles) and is what the portal presents to the
services; it stays in the server-side session and never reaches the browser. Signing out goes on to the
provider's end-session endpoint when it has one (discovered, or OIDC_END_SESSION_URL)."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import jwt
from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import HTTPException, Request
from fastapi.responses import Response

from services.common.auth import TokenVerifier, display_name
from services.common.settings import Settings
from services.portal.users import User, role_words

with warnings.catch_warnings():  # Authlib asks for `httpx2`; the portal and its lock file use httpx, still supported
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from joserfc.errors import JoseError

ALGORITHMS = ("RS256", "ES256", "PS256")  # as the services accept; never "none", never a shared-secret HS*
PROVIDER = "idp"


class SignInError(Exception):
    """Why sign-in failed, in words fit to show (never a token or a provider's raw answer)."""


def callback_url(settings: Settings) -> str:
    return f"{settings.portal_url}/auth/callback"


def signed_out_url(settings: Settings) -> str:
    return f"{settings.portal_url}/signed-out"


def provider(request: Request) -> StarletteOAuth2App:
    """The provider's Authlib client, made once per app (it caches the discovered metadata and keys)."""
    state = request.app.state
    client: StarletteOAuth2App | None = getattr(state, "oidc_client", None)
    if client is None:
        state.oidc_client = client = _register(state.settings, state.transport)
    return client


def _register(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> StarletteOAuth2App:
    discovered = bool(settings.oidc_discovery_url)
    if not discovered and not (settings.oidc_authorize_url and settings.oidc_token_url):
        raise SignInError("Sign-in is not set up: OIDC_DISCOVERY_URL (or OIDC_AUTHORIZE_URL and OIDC_TOKEN_URL) "
                          "is not set.")
    metadata: dict[str, Any] = {"issuer": settings.oidc_issuer, "jwks_uri": settings.oidc_jwks_url,
                                "end_session_endpoint": settings.oidc_end_session_url}
    client_kwargs: dict[str, Any] = {"scope": "openid profile roles", "code_challenge_method": "S256", "timeout": 10,
                                     "token_endpoint_auth_method": "client_secret_post"}
    if transport is not None:
        client_kwargs["transport"] = transport
    oauth = OAuth()
    return oauth.register(
        PROVIDER, client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None,
        server_metadata_url=settings.oidc_discovery_url,
        authorize_url=None if discovered else settings.oidc_authorize_url,
        access_token_url=None if discovered else settings.oidc_token_url,
        client_kwargs=client_kwargs, **{k: v for k, v in metadata.items() if v},
    )


async def _metadata(client: StarletteOAuth2App) -> dict[str, Any]:
    """The provider's metadata, its ID token algorithms cut down to the ones the services accept."""
    try:
        metadata: dict[str, Any] = await client.load_server_metadata()
    except (httpx.HTTPError, ValueError):
        raise SignInError("The identity provider could not be reached. Try again in a few minutes.") from None
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in ALGORITHMS] or ["RS256"]
    methods = metadata.get("token_endpoint_auth_methods_supported") or []
    if methods and "client_secret_post" not in methods and "client_secret_basic" in methods:
        client.client_kwargs["token_endpoint_auth_method"] = "client_secret_basic"  # noqa: S105 - a method's name
    return metadata


async def authorize_redirect(request: Request) -> Response:
    """Off to the provider: Authlib makes the state, the nonce and the PKCE verifier and keeps them in the session."""
    client = provider(request)
    await _metadata(client)
    response: Response = await client.authorize_redirect(request, callback_url(request.app.state.settings))
    return response


async def complete_sign_in(request: Request, *, verifier: TokenVerifier) -> tuple[dict[str, Any], float | None]:
    """Who signed in (subject, role, the access token, the ID token for signing out) and when their token expires."""
    client = provider(request)
    metadata = await _metadata(client)
    issuer = metadata.get("issuer") or request.app.state.settings.oidc_issuer
    claims_options = {"iss": {"essential": True, "value": issuer},
                      "aud": {"essential": True, "value": client.client_id},
                      "nonce": {"essential": True}}
    try:
        token = await client.authorize_access_token(request, claims_options=claims_options)
    except OAuthError as exc:
        if exc.error == "mismatching_state":
            raise SignInError("The sign-in link has expired or was not started here. Sign in again.") from None
        raise SignInError("The identity provider did not accept the sign-in. Sign in again.") from None
    except (JoseError, ValueError, KeyError):
        raise SignInError("The identity provider's ID token could not be checked. Sign in again.") from None
    except httpx.HTTPError:
        raise SignInError("The identity provider could not be reached. Try again in a few minutes.") from None
    if "userinfo" not in token:  # no ID token, so no nonce checked: refused
        raise SignInError("The identity provider sent no ID token. Sign in again.")
    access = str(token.get("access_token", ""))
    try:
        principal = verifier.verify(access)
    except HTTPException:
        raise SignInError("The identity provider's token could not be checked.") from None
    if not principal.roles:
        raise SignInError("Your account has no Front Door role. Ask your administrator for one.")
    expiry = jwt.decode(access, options={"verify_signature": False}).get("exp")  # checked just above
    signed_in = {"subject": principal.subject, "role": principal.primary_role, "token": access,
                 "id_token": str(token.get("id_token", "")),
                 "name": principal.name or display_name(token["userinfo"].get("name")),  # the person's, never an id
                 "profile": profile_of(token["userinfo"])}
    return signed_in, float(expiry) if isinstance(expiry, (int, float)) else None


async def end_session_url(request: Request, id_token: str | None) -> str | None:
    """The provider's end-session address for this person (None when it offers none or cannot be reached)."""
    try:
        client = provider(request)
        metadata = await _metadata(client)
    except SignInError:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    logout = await client.create_logout_url(post_logout_redirect_uri=signed_out_url(request.app.state.settings),
                                            id_token_hint=id_token or None, client_id=client.client_id)
    return str(logout["url"])


PROFILE_CLAIMS = ("email", "organisation", "job_role")  # what the referral form's "About you" starts from
PROFILE_MAX = 254


def profile_of(claims: dict[str, Any]) -> dict[str, str]:
    """The ID token's email, organisation and job role (a ReferrerRole value), where given as text: personal data,
    kept in the server-side session with the rest, never logged."""
    given = {claim: claims.get(claim) for claim in PROFILE_CLAIMS}
    return {claim: value.strip() for claim, value in given.items()
            if isinstance(value, str) and value.strip() and len(value) <= PROFILE_MAX}


def user_from_session(signed_in: dict[str, Any]) -> User:
    """The signed-in person: their display name from the provider (the `name` claim), else their role in words;
    never their login id."""
    role = str(signed_in["role"])
    team = role_words(role)
    name = signed_in.get("name")
    return User(key=str(signed_in["subject"]), name=str(name or team), role=role,
                description=team if name else "your account gives no name", token=str(signed_in["token"]),
                **signed_in.get("profile", {}))

"""Signing in to the portal with the council's identity provider (AUTH_MODE=oidc)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from services.common.db import migrate
from services.common.settings import Settings
from services.portal.main import create_app
from tests.idp import idp_token


def provider(key: rsa.RSAPrivateKey, seen: dict[str, Any], roles: list[str]) -> httpx.MockTransport:
    """The provider's token endpoint and the intake API, as the portal reaches them."""
    token = idp_token(key, sub="u-77", roles=roles)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            seen["token_request"] = form
            ok = form.get("code") == ["good-code"] and form.get("client_secret") == ["portal-secret"]
            if not ok:
                return httpx.Response(400, json={})
            return httpx.Response(200, json={"access_token": token, "token_type": "Bearer"})
        seen["authorization"] = request.headers.get("authorization")
        return httpx.Response(200, json=[])

    seen["token"] = token
    return httpx.MockTransport(handle)


def portal(settings: Settings, transport: httpx.MockTransport, tmp_path: Any) -> httpx.AsyncClient:
    oidc_settings = settings.model_copy(update={
        "oidc_authorize_url": "https://idp.example.gov.uk/authorize", "oidc_token_url": "https://idp.example.gov.uk/token",
        "oidc_client_secret": SecretStr("portal-secret"), "portal_url": "http://portal",
        "database_url": f"sqlite:///{tmp_path / 'p.db'}",
    })
    migrate(oidc_settings.database_url)
    app = create_app(oidc_settings, transport=transport)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal")


async def sign_in(client: httpx.AsyncClient, code: str = "good-code", state: str | None = None) -> httpx.Response:
    start = await client.get("/sign-in")
    assert start.status_code == 303
    location = urlparse(start.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://idp.example.gov.uk/authorize"
    query = parse_qs(location.query)
    assert query["redirect_uri"] == ["http://portal/auth/callback"] and query["response_type"] == ["code"]
    return await client.get("/auth/callback", params={"code": code, "state": state or query["state"][0]})


async def test_a_referrer_signs_in_with_the_identity_provider_and_its_token_reaches_the_services(
    oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any,
) -> None:
    settings, key = oidc
    seen: dict[str, Any] = {}
    async with portal(settings, provider(key, seen, ["referrer"]), tmp_path) as client:
        done = await sign_in(client)
        assert done.status_code == 303 and done.headers["location"] == "/referrals"
        page = await client.get("/referrals")
        assert page.status_code == 200 and "My referrals" in page.text
        assert seen["authorization"] == f"Bearer {seen['token']}"
        assert (await client.get("/dsr")).status_code == 403  # the role from the provider's token decides


@pytest.mark.parametrize(("case", "roles", "code", "state"), [
    ("forged state", ["referrer"], "good-code", "not-the-state"),
    ("code refused by the provider", ["referrer"], "bad-code", None),
    ("no Front Door role", ["superuser"], "good-code", None),
])
async def test_sign_in_is_refused_clearly(oidc: tuple[Settings, rsa.RSAPrivateKey], tmp_path: Any, case: str,
                                          roles: list[str], code: str, state: str | None) -> None:
    settings, key = oidc
    async with portal(settings, provider(key, {}, roles), tmp_path) as client:
        done = await sign_in(client, code=code, state=state)
        assert done.status_code == 403, case
        assert "You could not be signed in" in done.text
        assert (await client.get("/referrals")).status_code == 303  # still signed out

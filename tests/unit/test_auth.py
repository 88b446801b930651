"""Bearer tokens: dev tokens signed with the local secret, and OIDC JWTs checked against a JWKS."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import HTTPException

from services.common.auth import DEV_ISSUER, TokenVerifier, mint_dev_token, valid_role
from services.common.settings import Settings
from tests.idp import idp_token


@pytest.mark.parametrize(
    ("role", "valid"),
    [("referrer", True), ("worker:salt", True), ("worker:early_help", True), ("dsr_panel", True), ("admin", True),
     ("worker:", False), ("worker:plumbing", False), ("root", False), ("", False)],
)
def test_roles(role: str, valid: bool) -> None:
    assert valid_role(role) is valid


def test_dev_token_round_trip_and_expiry() -> None:
    settings = Settings()
    principal = TokenVerifier(settings).verify(mint_dev_token(settings, subject="u1", roles=["worker:semh"]))
    assert principal.subject == "u1" and principal.roles == {"worker:semh"}
    expired = mint_dev_token(settings, subject="u1", roles=["referrer"], ttl_seconds=-10)
    with pytest.raises(HTTPException) as caught:
        TokenVerifier(settings).verify(expired)
    assert caught.value.status_code == 401


def test_oidc_tokens_are_checked_against_the_issuers_keys(oidc: tuple[Settings, rsa.RSAPrivateKey]) -> None:
    settings, key = oidc
    verifier = TokenVerifier(settings)
    assert verifier.verify(idp_token(key)).roles == {"dsr_panel"}
    # Unknown roles in the IdP's claim are ignored, not trusted.
    assert verifier.verify(idp_token(key, roles=["dsr_panel", "superuser"])).roles == {"dsr_panel"}
    for bad in (idp_token(key, iss="https://evil.example"), idp_token(key, aud="other"),
                mint_dev_token(Settings(), subject="x", roles=["admin"])):
        with pytest.raises(HTTPException):
            verifier.verify(bad)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(HTTPException):
        verifier.verify(idp_token(other_key))


def test_oidc_mode_needs_an_issuer_and_keys() -> None:
    with pytest.raises(ValueError):
        TokenVerifier(Settings(auth_mode="oidc"))


def without(key: rsa.RSAPrivateKey, *missing: str, **claims: object) -> str:
    """A token from the stand-in provider with some standard claims left out altogether."""
    body = jwt.decode(idp_token(key, **claims), options={"verify_signature": False})
    return jwt.encode({k: v for k, v in body.items() if k not in missing}, key, algorithm="RS256",
                      headers={"kid": "k1"})


def refused(verifier: TokenVerifier, token: str) -> bool:
    try:
        verifier.verify(token)
    except HTTPException as exc:
        assert exc.status_code == 401 and exc.headers == {"WWW-Authenticate": "Bearer"}
        return True
    return False


def test_a_provider_token_without_exp_or_sub_is_refused(oidc: tuple[Settings, rsa.RSAPrivateKey]) -> None:
    settings, key = oidc
    verifier = TokenVerifier(settings)
    assert not refused(verifier, without(key))  # the whole token is fine
    assert refused(verifier, without(key, "exp"))
    assert refused(verifier, without(key, "sub"))
    assert refused(verifier, idp_token(key, sub=""))
    assert refused(verifier, idp_token(key, sub=42))


@pytest.mark.parametrize("roles", ["dsr_panel", {"dsr_panel": True}, 7, ["dsr_panel", 7], ["dsr_panel", None], True])
def test_roles_that_are_not_a_list_of_strings_are_a_401_never_a_500(
    oidc: tuple[Settings, rsa.RSAPrivateKey], roles: object,
) -> None:
    settings, key = oidc
    assert refused(TokenVerifier(settings), idp_token(key, roles=roles))


def dev_token(settings: Settings, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "u1", "roles": ["referrer"], "iss": DEV_ISSUER, "aud": settings.oidc_audience, "iat": now,
            "exp": now + 300} | claims
    return jwt.encode({k: v for k, v in body.items() if v is not ...}, settings.dev_token_secret.get_secret_value(),
                      algorithm="HS256")


def test_dev_tokens_need_exp_sub_and_a_list_of_roles_too() -> None:
    settings = Settings()
    verifier = TokenVerifier(settings)
    assert verifier.verify(dev_token(settings)).roles == {"referrer"}
    assert verifier.verify(dev_token(settings, roles=[])).roles == frozenset()  # no roles: 403 at each route
    for bad in (dev_token(settings, exp=...), dev_token(settings, sub=...), dev_token(settings, roles={"admin": 1}),
                dev_token(settings, roles=7), dev_token(settings, roles="admin")):
        assert refused(verifier, bad)


async def test_an_api_answers_a_token_with_numeric_roles_with_401(tmp_path: Path) -> None:
    """The reproduction: `roles: 7` was a 500 from intake."""
    from services.intake.main import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.db'}")
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://intake") as client:
        answer = await client.get("/referrals", headers={"Authorization": f"Bearer {dev_token(settings, roles=7)}"})
    assert answer.status_code == 401

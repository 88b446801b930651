"""Bearer tokens: dev tokens signed with the local secret, and OIDC JWTs checked against a JWKS."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import HTTPException

from services.common.auth import TokenVerifier, mint_dev_token, valid_role
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

"""Bearer tokens: dev tokens signed with the local secret, and OIDC JWTs checked against a JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import HTTPException

from services.common.auth import TokenVerifier, mint_dev_token, valid_role
from services.common.settings import Settings


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


@pytest.fixture()
def oidc() -> Iterator[tuple[Settings, rsa.RSAPrivateKey]]:
    """An identity provider's JWKS endpoint on loopback."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    yield Settings(auth_mode="oidc", oidc_issuer="https://idp.example.gov.uk", oidc_jwks_url=url), key
    server.shutdown()


def idp_token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "u-42", "iss": "https://idp.example.gov.uk", "aud": "frontdoor", "iat": now, "exp": now + 300, "roles": ["dsr_panel"]}
    return jwt.encode(body | claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_oidc_tokens_are_checked_against_the_issuers_keys(oidc: tuple[Settings, rsa.RSAPrivateKey]) -> None:
    settings, key = oidc
    verifier = TokenVerifier(settings)
    assert verifier.verify(idp_token(key)).roles == {"dsr_panel"}
    # Unknown roles in the IdP's claim are ignored, not trusted.
    assert verifier.verify(idp_token(key, roles=["dsr_panel", "superuser"])).roles == {"dsr_panel"}
    for bad in (idp_token(key, iss="https://evil.example"), idp_token(key, aud="other"), mint_dev_token(Settings(), subject="x", roles=["admin"])):
        with pytest.raises(HTTPException):
            verifier.verify(bad)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(HTTPException):
        verifier.verify(idp_token(other_key))


def test_oidc_mode_needs_an_issuer_and_keys() -> None:
    with pytest.raises(ValueError):
        TokenVerifier(Settings(auth_mode="oidc"))

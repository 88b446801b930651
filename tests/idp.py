"""A stand-in identity provider for tests: an RSA key and its JWKS served on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common.settings import Settings

ISSUER = "https://idp.example.gov.uk"


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
    yield Settings(auth_mode="oidc", oidc_issuer=ISSUER, oidc_jwks_url=url), key
    server.shutdown()


def idp_token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "u-42", "iss": ISSUER, "aud": "frontdoor", "iat": now, "exp": now + 300, "roles": ["dsr_panel"]}
    return jwt.encode(body | claims, key, algorithm="RS256", headers={"kid": "k1"})

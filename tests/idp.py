"""A stand-in identity provider for tests: an RSA key and its JWKS served on loopback (`oidc`, for the
services' token check) and, as an httpx transport handler (`StandInProvider`), the rest of an OpenID
provider: discovery, authorize, a token endpoint that checks the PKCE code verifier and puts the nonce in
the ID token, and end-session."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common.settings import Settings

ISSUER = "https://idp.example.gov.uk"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
CLIENT_ID = "frontdoor-portal"
CLIENT_SECRET = "portal-secret-of-the-stand-in-provider"  # noqa: S105 - a test's stand-in


def jwks_of(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}


@pytest.fixture(scope="session")
def provider_key() -> rsa.RSAPrivateKey:
    """The stand-in provider's signing key: one for the run (making an RSA key is ~0.1 s; the tests need a key the
    services trust, and make one of their own where they need another)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture()
def oidc(provider_key: rsa.RSAPrivateKey) -> Iterator[tuple[Settings, rsa.RSAPrivateKey]]:
    """An identity provider's JWKS endpoint on loopback (a server of each test's own)."""
    key = provider_key
    body = json.dumps(jwks_of(key)).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    # polled every 10 ms, so that shutdown() returns at once (the default half a second was most of these tests' time)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    yield Settings(auth_mode="oidc", oidc_issuer=ISSUER, oidc_jwks_url=url), key
    server.shutdown()
    server.server_close()


def idp_token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "u-42", "iss": ISSUER, "aud": "frontdoor", "iat": now, "exp": now + 300, "roles": ["dsr_panel"]}
    return jwt.encode(body | claims, key, algorithm="RS256", headers={"kid": "k1"})


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class StandInProvider:
    """An OpenID provider as an httpx handler (hosted at ISSUER). `access_claims` go into the access token;
    `id_claims` override the ID token's (a wrong `nonce`, say); `seen` records what the portal sent."""

    def __init__(self, key: rsa.RSAPrivateKey, *, roles: list[str] | None = None, end_session: bool = True,
                 access_claims: dict[str, Any] | None = None, id_claims: dict[str, Any] | None = None,
                 id_token_alg: str = "RS256", auth_method: str = "client_secret_post"):
        self.key = key
        self.roles = roles or ["referrer"]
        self.end_session = end_session
        self.access_claims = access_claims or {}
        self.id_claims = id_claims or {}  # a claim given as None is left out
        self.id_token_alg = id_token_alg  # "HS256": signed with the client secret, as a forger might
        self.auth_method = auth_method  # how the portal must authenticate at the token endpoint
        self.codes: dict[str, dict[str, str]] = {}
        self.seen: dict[str, Any] = {}
        self.access_token = ""

    def metadata(self) -> dict[str, Any]:
        body = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks", "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [self.auth_method]}
        if self.end_session:
            body["end_session_endpoint"] = f"{ISSUER}/end-session"
        return body

    def handles(self, request: httpx.Request) -> bool:
        return str(request.url).startswith(ISSUER) or request.url.path == "/.well-known/jwks.json"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.metadata())
        if path in ("/jwks", "/.well-known/jwks.json"):  # the second: OIDC_JWKS_URL, when nothing is discovered
            return httpx.Response(200, json=jwks_of(self.key))
        if path == "/token":
            form = parse_qs(request.content.decode())
            if self.auth_method == "client_secret_basic":  # the client's id and secret in the Authorization header
                basic = request.headers.get("authorization", "").removeprefix("Basic ")
                client_id, _, secret = base64.b64decode(basic or "Og==").decode().partition(":")
                form |= {"client_id": [client_id], "client_secret": [secret]}
            elif "authorization" in request.headers:
                return httpx.Response(401, json={"error": "invalid_client"})
            return self.token(form)
        return httpx.Response(404, json={"error": "not_found"})

    def authorize(self, location: str) -> dict[str, str]:
        """What a browser sent to the authorize endpoint comes back as the callback's query (a code and the state)."""
        query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        self.seen["authorize"] = query
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return {"code": code, "state": query.get("state", "")}

    def token(self, form: dict[str, list[str]]) -> httpx.Response:
        got = {k: v[0] for k, v in form.items()}
        self.seen["token_request"] = got
        asked = self.codes.pop(got.get("code", ""), None)
        if asked is None or got.get("client_secret") != CLIENT_SECRET or got.get("client_id") != CLIENT_ID:
            return httpx.Response(400, json={"error": "invalid_grant"})
        if asked.get("code_challenge_method") != "S256" or s256(got.get("code_verifier", "")) != asked.get(
                "code_challenge"):
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "PKCE check failed"})
        if got.get("redirect_uri") != asked.get("redirect_uri"):
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.access_token = idp_token(self.key, sub="u-77", roles=self.roles, **self.access_claims)
        now = int(time.time())
        id_claims = {"iss": ISSUER, "sub": "u-77", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                     "nonce": asked.get("nonce", "")} | self.id_claims
        id_claims = {k: v for k, v in id_claims.items() if v is not None}
        signer: Any = self.key if self.id_token_alg.startswith(("RS", "PS")) else CLIENT_SECRET
        id_token = jwt.encode(id_claims, signer, algorithm=self.id_token_alg, headers={"kid": "k1"})
        return httpx.Response(200, json={"access_token": self.access_token, "token_type": "Bearer", "expires_in": 300,
                                         "id_token": id_token})

    def end_session_query(self, location: str) -> dict[str, str]:
        parts = urlparse(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/end-session"
        return {k: v[0] for k, v in parse_qs(parts.query).items()}

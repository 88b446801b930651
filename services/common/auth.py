"""Bearer-token roles for every HTTP endpoint but health.

Roles: `referrer`, `worker:<service>`, `dsr_panel`, `dsr_referrer`, `front_door`, `manager`, `admin`.
In dev, tokens are HS256 JWTs signed with a local secret and minted by `frontdoor token`; in production the
same check validates OIDC JWTs (RS256/ES256) against the issuer's JWKS.
Either way a request gets a Principal or a 401/403.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from schemas.enums import Service
from services.common.settings import Settings

DEV_ISSUER = "frontdoor-dev"
FIXED_ROLES = frozenset({"referrer", "front_door", "dsr_panel", "dsr_referrer", "admin", "manager"})
REQUIRED_CLAIMS = ["exp", "sub", "iss", "aud"]


def valid_role(role: str) -> bool:
    if role in FIXED_ROLES:
        return True
    kind, _, service = role.partition(":")
    return kind == "worker" and service in {s.value for s in Service}


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def primary_role(self) -> str:
        return sorted(self.roles)[0] if self.roles else ""


def mint_dev_token(settings: Settings, *, subject: str, roles: list[str], ttl_seconds: int = 8 * 3600) -> str:
    """A dev token (HS256, local secret). Refused when the service runs with OIDC."""
    bad = [r for r in roles if not valid_role(r)]
    if bad:
        raise ValueError(f"unknown role(s): {', '.join(bad)}")
    now = int(time.time())
    claims = {"sub": subject, "roles": roles, "iss": DEV_ISSUER, "aud": settings.oidc_audience,
              "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, settings.dev_token_secret.get_secret_value(), algorithm="HS256")


class TokenVerifier:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        if settings.auth_mode == "oidc":
            if not (settings.oidc_issuer and settings.oidc_jwks_url):
                raise ValueError("AUTH_MODE=oidc needs OIDC_ISSUER and OIDC_JWKS_URL")
            self._jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True)

    def verify(self, token: str) -> Principal:
        """A Principal, or a 401 for a token that is not signed by the expected issuer for this audience,
        has expired, lacks `exp` or `sub`, or carries roles that are not a list of strings."""
        s = self.settings
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256"], audience=s.oidc_audience,
                                    issuer=s.oidc_issuer, options={"require": REQUIRED_CLAIMS})
            else:
                claims = jwt.decode(
                    token, s.dev_token_secret.get_secret_value(), algorithms=["HS256"], audience=s.oidc_audience,
                    issuer=DEV_ISSUER, options={"require": REQUIRED_CLAIMS},
                )
            return principal_of(claims, s.oidc_roles_claim)
        except (jwt.PyJWTError, ValueError) as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or expired token",
                                {"WWW-Authenticate": "Bearer"}) from exc


def principal_of(claims: dict[str, Any], roles_claim: str) -> Principal:
    """The token's subject and its known roles. ValueError: no usable subject, or roles that are not a
    list of strings (a string, an object or a number is refused, not guessed at). Unknown role names in
    the list are ignored, not trusted."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise ValueError("the token's sub is not a non-empty string")
    given = claims.get(roles_claim, claims.get("role", []))
    if not isinstance(given, list) or not all(isinstance(r, str) for r in given):
        raise ValueError("the token's roles are not a list of strings")
    return Principal(subject=subject, roles=frozenset(r for r in given if valid_role(r)))


_bearer = HTTPBearer(auto_error=False)


def authenticated(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(creds.credentials)
    request.state.principal = principal  # who a refusal after this (a role check, the body) is audited as
    return principal


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting principals holding any of `roles` ("worker:*" admits every worker)."""

    def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        for role in principal.roles:
            if role in roles or ("worker:*" in roles and role.startswith("worker:")):
                return principal
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your role cannot use this")

    return check

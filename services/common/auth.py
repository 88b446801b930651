"""Bearer-token roles for every HTTP endpoint but health.

Roles: `referrer`, `worker:<service>`, `dsr_panel`, `dsr_referrer`, `front_door`, `manager`, `admin`, and the two team
leads: `front_door_manager` (a front-door team manager) and `dsr_chair` (the DSR meeting's chair). A lead carries the
role of the team it leads (`LEADS`), so every guard admitting that team admits its lead; only the leads read the audit
trail of a child (`AUDIT_READERS`).
In dev, tokens are HS256 JWTs signed with a local secret and minted by `frontdoor token`; in production the
same check validates OIDC JWTs (RS256/ES256) against the issuer's JWKS.
Either way a request gets a Principal or a 401/403.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from schemas.enums import Service
from schemas.lifecycle import FRONT_DOOR_TEAM
from services.common.settings import Settings

DEV_ISSUER = "frontdoor-dev"
LEADS = {"front_door_manager": "front_door", "dsr_chair": "dsr_panel"}  # a lead's role -> the team role it carries
AUDIT_READERS = frozenset(LEADS)  # who may read "who saw this child"
FIXED_ROLES = frozenset({"referrer", "front_door", "dsr_panel", "dsr_referrer", "admin", "manager", *LEADS})
REQUIRED_CLAIMS = ["exp", "sub", "iss", "aud"]


def valid_role(role: str) -> bool:
    if role in FIXED_ROLES:
        return True
    kind, _, service = role.partition(":")
    return kind == "worker" and service in {s.value for s in Service}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject (a login id, for checks and the audit, never shown as a name), their
    known roles and their display name (the standard `name` claim; None when the token has none). The name is
    personal data: it is stored with what the person does and shown to people, never logged."""

    subject: str
    roles: frozenset[str]
    name: str | None = field(default=None, repr=False)  # personal data: kept out of any repr, so out of logs

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", with_led_roles(self.roles))

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def team(self) -> str | None:
        """The person's team, from their role: a worker's service (its value), `front_door`, else None."""
        for role in sorted(self.roles):
            if role.startswith("worker:"):
                return role.removeprefix("worker:")
        return FRONT_DOOR_TEAM if "front_door" in self.roles else None

    @property
    def primary_role(self) -> str:
        """The role the person holds (a lead's own role, not the one it carries): the one the audit records."""
        carried = {LEADS[r] for r in self.roles if r in LEADS}
        held = sorted(self.roles - carried) or sorted(self.roles)
        return held[0] if held else ""


def with_led_roles(roles: frozenset[str]) -> frozenset[str]:
    """The roles, with the team role each lead among them carries."""
    return frozenset(roles) | {LEADS[r] for r in roles if r in LEADS}


def mint_dev_token(settings: Settings, *, subject: str, roles: list[str], name: str | None = None,
                   ttl_seconds: int = 8 * 3600) -> str:
    """A dev token (HS256, local secret), with the person's display name as the standard `name` claim when given.
    Refused when the service runs with OIDC."""
    bad = [r for r in roles if not valid_role(r)]
    if bad:
        raise ValueError(f"unknown role(s): {', '.join(bad)}")
    now = int(time.time())
    claims = {"sub": subject, "roles": roles, "iss": DEV_ISSUER, "aud": settings.oidc_audience,
              "iat": now, "exp": now + ttl_seconds} | ({"name": name} if name else {})
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
    return Principal(subject=subject, roles=frozenset(r for r in given if valid_role(r)),
                     name=display_name(claims.get("name")))


NAME_MAX = 200  # as the events' `by_name`


def display_name(claim: object) -> str | None:
    """The token's `name` claim as a name fit to store and show: a string of 1 to 200 printable characters once
    trimmed; anything else is left out (None), never refused: the name is for people, not for access."""
    if not isinstance(claim, str):
        return None
    name = claim.strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        return None
    return name


_bearer = HTTPBearer(auto_error=False)


def authenticated(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(creds.credentials)
    request.state.principal = principal  # who a refusal after this (a role check, the body) is audited as
    noted = getattr(request.app.state, "signed_in", None)
    if noted is not None:  # the service notes its people (teams.signed_in: at most once an hour each), by name
        noted(principal)
    return principal


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting principals holding any of `roles` ("worker:*" admits every worker)."""

    def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        for role in principal.roles:
            if role in roles or ("worker:*" in roles and role.startswith("worker:")):
                return principal
        raise HTTPException(status.HTTP_403_FORBIDDEN, "your role cannot use this")

    return check

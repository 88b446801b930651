"""Why a service must not start: dev sign-in or dev secrets where other machines can reach it, production
sign-in with settings missing or over plain HTTP.

`frontdoor serve` asks `check_start` before building the app and refuses (exit code 2) with every reason
listed. INSECURE_ALLOW_DEV_DEFAULTS is for dev sign-in off a laptop (a shared test machine) and waives only
that reason, with a warning in the log: never the published or a short DEV_TOKEN_SECRET, nor anything of
AUTH_MODE=oidc. `make run` (AUTH_MODE=dev on 127.0.0.1) passes. Reasons name settings, never their values."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.common.settings import DEV_SECRET, Settings

MIN_SECRET_BYTES = 32
DEV_SECRETS = frozenset({DEV_SECRET})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; not 0.0.0.0, :: or any other address."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _secret_problems(name: str, value: str) -> list[str]:
    fix = "(make one with `openssl rand -hex 32`)"
    if value.strip() in DEV_SECRETS:
        return [f"{name} is the development value written in the source code: anyone can sign tokens with it {fix}"]
    if len(value.strip().encode()) < MIN_SECRET_BYTES:
        return [f"{name} is shorter than {MIN_SECRET_BYTES} bytes {fix}"]
    return []


def is_plain_http_off_loopback(url: str) -> bool:
    """True unless `url` is https, or http to a loopback host (a laptop, a test's stand-in provider)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "https":
        return False
    return not (scheme == "http" and is_loopback(parts.hostname or ""))


def _plain_http_problems(settings: Settings, *, service: str) -> list[str]:
    addresses = {"OIDC_ISSUER": settings.oidc_issuer, "OIDC_JWKS_URL": settings.oidc_jwks_url}
    if service == "portal":  # the addresses only the portal uses: its own, and where it sends people and secrets
        addresses |= {"PORTAL_URL": settings.portal_url, "OIDC_DISCOVERY_URL": settings.oidc_discovery_url,
                      "OIDC_AUTHORIZE_URL": settings.oidc_authorize_url, "OIDC_TOKEN_URL": settings.oidc_token_url,
                      "OIDC_END_SESSION_URL": settings.oidc_end_session_url}
    return [f"{name} is not an https address (plain http is allowed only to a loopback address: "
            "tokens, keys and sessions would cross the network readable and changeable)"
            for name, url in addresses.items() if url and is_plain_http_off_loopback(url)]


@dataclass(frozen=True)
class StartCheck:
    """What `frontdoor serve` does: refuse (exit 2) if `refused` has anything; else start, with a warning in
    the log for each reason INSECURE_ALLOW_DEV_DEFAULTS `waived`."""

    refused: list[str] = field(default_factory=list)
    waived: list[str] = field(default_factory=list)


def check_start(settings: Settings, *, service: str, host: str) -> StartCheck:
    """Whether `service` may listen on `host` with these settings, INSECURE_ALLOW_DEV_DEFAULTS included."""
    waivable: list[str] = []
    if settings.auth_mode == "dev" and not is_loopback(host):
        waivable.append(
            f"AUTH_MODE=dev lets anyone sign in as anyone, and {host!r} is not a loopback address "
            "(use AUTH_MODE=oidc, or --host 127.0.0.1 on a laptop)"
        )
    never_waived = _reasons_never_waived(settings, service=service, host=host)
    if settings.insecure_allow_dev_defaults:
        return StartCheck(refused=never_waived, waived=waivable)
    return StartCheck(refused=waivable + never_waived)


def reasons_not_to_start(settings: Settings, *, service: str, host: str) -> list[str]:
    """Every reason `service` must not listen on `host` with these settings, whatever the override says
    (empty: it may start)."""
    check = check_start(settings.model_copy(update={"insecure_allow_dev_defaults": False}), service=service,
                        host=host)
    return check.refused


def _reasons_never_waived(settings: Settings, *, service: str, host: str) -> list[str]:
    reasons: list[str] = []
    if settings.auth_mode == "dev":
        if not is_loopback(host):
            # dev tokens are signed with this secret: off a laptop, with or without the override, it must not be
            # the one published in the source (a token signed with it would read every report and queue)
            reasons += _secret_problems("DEV_TOKEN_SECRET", settings.dev_token_secret.get_secret_value())
        return reasons
    if not settings.oidc_issuer:
        reasons.append("OIDC_ISSUER is not set (AUTH_MODE=oidc)")
    if not settings.oidc_jwks_url:
        reasons.append("OIDC_JWKS_URL is not set (AUTH_MODE=oidc)")
    # DEV_TOKEN_SECRET is not read with AUTH_MODE=oidc (tokens are checked against the provider's JWKS), and the
    # portal's sessions are on the server (a random id in the cookie, nothing signed), so neither needs a secret here.
    if service == "portal":
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
        if not secret.strip():
            reasons.append("OIDC_CLIENT_SECRET is not set (the portal signs people in with it)")
        if not (settings.oidc_discovery_url or (settings.oidc_authorize_url and settings.oidc_token_url)):
            reasons.append("neither OIDC_DISCOVERY_URL nor OIDC_AUTHORIZE_URL and OIDC_TOKEN_URL are set")
    return reasons + _plain_http_problems(settings, service=service)

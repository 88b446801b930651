"""Why a service must not start: dev sign-in or dev secrets where other machines can reach it.

`frontdoor serve` asks `reasons_not_to_start` before building the app and refuses (exit code 2) with
every reason listed, unless INSECURE_ALLOW_DEV_DEFAULTS is set (then it logs a warning and starts).
`make run` (AUTH_MODE=dev on 127.0.0.1) passes. Reasons name settings, never their values."""

from __future__ import annotations

import ipaddress

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
    if value in DEV_SECRETS:
        return [f"{name} is the development value written in the source code"]
    if len(value.encode()) < MIN_SECRET_BYTES:
        return [f"{name} is shorter than {MIN_SECRET_BYTES} bytes"]
    return []


def reasons_not_to_start(settings: Settings, *, service: str, host: str) -> list[str]:
    """Every reason `service` must not listen on `host` with these settings (empty: it may start)."""
    reasons: list[str] = []
    if settings.auth_mode == "dev":
        if not is_loopback(host):
            reasons.append(
                f"AUTH_MODE=dev lets anyone sign in as anyone, and {host!r} is not a loopback address "
                "(use AUTH_MODE=oidc, or --host 127.0.0.1 on a laptop)"
            )
            # dev tokens are signed with this secret: off a laptop it must not be the one published in the source
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
    return reasons

"""A service refuses to start where dev sign-in or dev secrets would reach other machines (issue 12, item 1)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
import typer
from pydantic import SecretStr

from services.cli.run import refuse_unsafe_start
from services.common.logging import configure_logging
from services.common.safety import is_loopback, reasons_not_to_start
from services.common.settings import Settings
from tests.cases import ROOT

LONG = "x" * 40  # a secret of a sane length for these tests
OIDC = {"AUTH_MODE": "oidc", "OIDC_ISSUER": "https://idp.example.gov.uk",
        "OIDC_JWKS_URL": "https://idp.example.gov.uk/jwks", "OIDC_DISCOVERY_URL": "https://idp.example.gov.uk/.wk",
        "OIDC_CLIENT_SECRET": LONG}


def serve(service: str, host: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`frontdoor serve` with only these settings in the environment (it refuses before building anything)."""
    clean = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "services.cli", "serve", service, "--host", host], env=clean | env,
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )


def test_the_portal_with_oidc_and_no_client_secret_refuses_to_start() -> None:
    """The issue's reproduction started the portal with AUTH_MODE=oidc and what the source gave it. (The session
    secret it forged a cookie with no longer exists: sessions are on the server, see test_portal_oidc.py's
    test_a_cookie_forged_with_the_secret_in_the_source_opens_nothing.)"""
    result = serve("portal", "0.0.0.0", {k: v for k, v in OIDC.items() if k != "OIDC_CLIENT_SECRET"})
    assert result.returncode == 2
    assert "OIDC_CLIENT_SECRET is not set" in result.stderr


def test_dev_sign_in_let_onto_a_network_still_needs_its_own_token_secret() -> None:
    """With the loud override, dev tokens off a laptop must not be signed with the secret published in the source."""
    published = reasons_not_to_start(Settings(auth_mode="dev"), service="intake", host="0.0.0.0")
    assert any("DEV_TOKEN_SECRET is the development value" in r for r in published)
    short = Settings(auth_mode="dev", dev_token_secret=SecretStr("short"))
    assert any("DEV_TOKEN_SECRET is shorter than 32 bytes" in r
               for r in reasons_not_to_start(short, service="intake", host="0.0.0.0"))
    assert reasons_not_to_start(Settings(auth_mode="dev"), service="intake", host="127.0.0.1") == []


def test_every_reason_is_listed_at_once() -> None:
    result = serve("portal", "0.0.0.0", {"AUTH_MODE": "dev", "DEV_TOKEN_SECRET": "short-secret-xyz"})
    assert result.returncode == 2
    for reason in ("AUTH_MODE=dev", "DEV_TOKEN_SECRET is shorter than 32 bytes"):
        assert reason in result.stderr
    assert "short-secret-xyz" not in result.stderr  # the secret itself is never echoed
    result = serve("portal", "0.0.0.0", {"AUTH_MODE": "oidc"})
    assert result.returncode == 2
    for reason in ("OIDC_ISSUER is not set", "OIDC_JWKS_URL is not set", "OIDC_CLIENT_SECRET is not set",
                   "OIDC_DISCOVERY_URL"):
        assert reason in result.stderr


def test_dev_sign_in_on_a_public_address_refuses_to_start() -> None:
    result = serve("intake", "0.0.0.0", {"AUTH_MODE": "dev"})
    assert result.returncode == 2
    assert "AUTH_MODE=dev" in result.stderr and "'0.0.0.0' is not a loopback address" in result.stderr


@pytest.mark.parametrize("service", ["intake", "triage", "dsr", "worklists", "portal"])
def test_settings_fit_for_production_pass(service: str) -> None:
    settings = Settings(**{k.lower(): v for k, v in OIDC.items() if k != "DEV_TOKEN_SECRET"})
    assert reasons_not_to_start(settings, service=service, host="0.0.0.0") == []


def test_a_laptop_on_loopback_with_dev_defaults_passes() -> None:
    """`make run` / `frontdoor dev`: AUTH_MODE=dev, the dev secrets, 127.0.0.1."""
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert reasons_not_to_start(Settings(auth_mode="dev"), service="portal", host=host) == []
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.4", "example.org", "")] == [False] * 5


def test_a_service_only_needs_the_portal_secrets_when_it_is_the_portal() -> None:
    settings = Settings(**{k.lower(): v for k, v in OIDC.items() if k != "OIDC_CLIENT_SECRET"})
    assert reasons_not_to_start(settings, service="intake", host="0.0.0.0") == []
    assert reasons_not_to_start(settings, service="portal", host="0.0.0.0") == [
        "OIDC_CLIENT_SECRET is not set (the portal signs people in with it)"]


def test_the_loud_override_lets_it_start_with_a_warning() -> None:
    buffer = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=buffer)
    unsafe = Settings(auth_mode="dev")
    with pytest.raises(typer.Exit) as refused:
        refuse_unsafe_start(unsafe, service="portal", host="0.0.0.0")
    assert refused.value.exit_code == 2
    refuse_unsafe_start(unsafe.model_copy(update={"insecure_allow_dev_defaults": True}), service="portal",
                        host="0.0.0.0")  # returns: the service starts
    warning = json.loads(buffer.getvalue().splitlines()[-1])
    assert warning["level"] == "warning" and "INSECURE_ALLOW_DEV_DEFAULTS" in warning["event"]
    assert any("AUTH_MODE=dev" in p for p in warning["problems"])

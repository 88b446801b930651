"""A service refuses to start where dev sign-in or dev secrets would reach other machines (issue 12, item 1)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from pydantic import SecretStr

from services.cli.run import refuse_unsafe_start
from services.common.logging import configure_logging
from services.common.safety import check_start, is_loopback, reasons_not_to_start
from services.common.settings import DEV_SECRET, Settings
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
    unsafe = Settings(auth_mode="dev", dev_token_secret=SecretStr(LONG))  # the override never waives a dev secret
    with pytest.raises(typer.Exit) as refused:
        refuse_unsafe_start(unsafe, service="portal", host="0.0.0.0")
    assert refused.value.exit_code == 2
    refuse_unsafe_start(unsafe.model_copy(update={"insecure_allow_dev_defaults": True}), service="portal",
                        host="0.0.0.0")  # returns: the service starts
    warning = json.loads(buffer.getvalue().splitlines()[-1])
    assert warning["level"] == "warning" and "INSECURE_ALLOW_DEV_DEFAULTS" in warning["event"]
    assert any("AUTH_MODE=dev" in p for p in warning["problems"])


# Issue 20, item 5: INSECURE_ALLOW_DEV_DEFAULTS is for dev sign-in off a laptop, never with the published or a
# short DEV_TOKEN_SECRET (a token signed with the secret in the source would read every report and queue).
OVERRIDE = {"AUTH_MODE": "dev", "INSECURE_ALLOW_DEV_DEFAULTS": "true"}


def test_the_override_never_starts_dev_sign_in_off_a_laptop_with_the_published_secret(tmp_path: Path) -> None:
    """Through the real entry point: it exits 2 before building anything (a started service would hang here)."""
    here = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INTAKE_PORT": "18999"}  # if it did start: nowhere shared
    result = serve("intake", "0.0.0.0", OVERRIDE | here)
    assert result.returncode == 2, result.stderr
    assert "DEV_TOKEN_SECRET is the development value" in result.stderr
    assert "INSECURE_ALLOW_DEV_DEFAULTS" in result.stderr  # says the override does not waive this
    short = serve("intake", "0.0.0.0", OVERRIDE | here | {"DEV_TOKEN_SECRET": "short-secret-xyz"})
    assert short.returncode == 2
    assert "DEV_TOKEN_SECRET is shorter than 32 bytes" in short.stderr and "short-secret-xyz" not in short.stderr


@pytest.mark.parametrize(("secret", "host", "refused"), [
    (None, "0.0.0.0", ["DEV_TOKEN_SECRET is the development value"]),   # the secret in the source
    ("s" * 31, "0.0.0.0", ["DEV_TOKEN_SECRET is shorter than 32 bytes"]),
    (" " * 20 + "s" * 20, "10.0.0.4", ["DEV_TOKEN_SECRET is shorter than 32 bytes"]),  # padding is not secret
    ("s" * 32, "0.0.0.0", []),                                          # dev sign-in off a laptop: waived
    (None, "127.0.0.1", []),                                            # `make run`: nothing to waive
])
def test_what_the_override_waives_and_what_it_never_does(secret: str | None, host: str, refused: list[str]) -> None:
    settings = Settings(auth_mode="dev", insecure_allow_dev_defaults=True,
                        **({"dev_token_secret": SecretStr(secret)} if secret is not None else {}))
    check = check_start(settings, service="intake", host=host)
    assert len(check.refused) == len(refused)
    assert all(want in got for want, got in zip(refused, check.refused, strict=True))
    assert [("AUTH_MODE=dev" in w) for w in check.waived] == ([True] if host != "127.0.0.1" else [])
    without = check_start(settings.model_copy(update={"insecure_allow_dev_defaults": False}), service="intake",
                          host=host)
    assert without.waived == [] and len(without.refused) == len(check.refused) + len(check.waived)


def test_the_override_leaves_a_service_with_an_unsafe_secret_refusing(capsys: pytest.CaptureFixture[str]) -> None:
    unsafe = Settings(auth_mode="dev", insecure_allow_dev_defaults=True)
    with pytest.raises(typer.Exit) as refused:
        refuse_unsafe_start(unsafe, service="intake", host="0.0.0.0")
    assert refused.value.exit_code == 2
    assert DEV_SECRET not in capsys.readouterr().err


# Issue 20, item 13: production settings over plain HTTP. Loopback may stay http (a laptop, a test's stand-in).
@pytest.mark.parametrize(("setting", "value", "service", "refused"), [
    ("PORTAL_URL", "http://frontdoor.example.gov.uk", "portal", True),
    ("OIDC_ISSUER", "http://idp.example.gov.uk", "intake", True),
    ("OIDC_JWKS_URL", "http://idp.example.gov.uk/jwks", "dsr", True),
    ("OIDC_DISCOVERY_URL", "http://idp.example.gov.uk/.wk", "portal", True),
    ("OIDC_TOKEN_URL", "http://10.0.0.4/token", "portal", True),
    ("OIDC_JWKS_URL", "HTTP://idp.example.gov.uk/jwks", "triage", True),   # the scheme in any case
    ("OIDC_ISSUER", "idp.example.gov.uk", "intake", True),                 # no scheme at all: not https either
    ("OIDC_ISSUER", "http://0.0.0.0:9000", "intake", True),                # every address, not loopback
    ("OIDC_ISSUER", "http://127.0.0.1:9000", "intake", False),
    ("OIDC_JWKS_URL", "http://localhost:9000/jwks", "worklists", False),
    ("OIDC_JWKS_URL", "http://[::1]:9000/jwks", "worklists", False),
    ("PORTAL_URL", "http://127.0.0.1:8080", "portal", False),
    ("PORTAL_URL", "https://frontdoor.example.gov.uk", "portal", False),
])
def test_oidc_refuses_plain_http_addresses_except_loopback(setting: str, value: str, service: str,
                                                          refused: bool) -> None:
    settings = Settings(**{k.lower(): v for k, v in (OIDC | {setting: value}).items()})
    reasons = reasons_not_to_start(settings, service=service, host="0.0.0.0")
    assert [setting in r and "https" in r for r in reasons] == ([True] if refused else [])
    assert all(value not in r for r in reasons)  # names the setting, not its value


def test_an_http_issuer_stops_the_real_entry_point_even_with_the_override() -> None:
    result = serve("intake", "0.0.0.0", OIDC | {"OIDC_ISSUER": "http://idp.example.gov.uk",
                                               "INSECURE_ALLOW_DEV_DEFAULTS": "true"})
    assert result.returncode == 2
    assert "OIDC_ISSUER" in result.stderr and "https" in result.stderr

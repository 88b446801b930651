"""Dependencies point one way: the contracts in schemas/ are shared by every service and depend on none."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


# --- between the packages of services/ (issue 21) -------------------------------------------------------------
# Each service imports `schemas`, `services.common` and the policy, never another service; the policy imports only
# `schemas` and the working-day clock and settings of `services.common`; `services.common` imports no package of
# services/ but itself. The top-level modules and `cli`/`migrations` compose the services (the `frontdoor`
# command, the dev stack, the contract export) and may import any of them. No two packages import each other,
# directly or round a longer cycle.

SERVICE_PACKAGES = frozenset({"intake", "triage", "dsr", "worklists", "portal"})
ALLOWED = {
    **{name: ("schemas", "services.common", "services.policy") for name in SERVICE_PACKAGES},
    "policy": ("schemas", "services.common.workdays", "services.common.settings"),
    "common": ("schemas",),
}


def imports_by_package(services: Path) -> dict[str, set[tuple[str, str]]]:
    """package of services/ (a folder) -> {(module imported, the file importing it)}, every import in the file,
    also those inside functions."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(services.rglob("*.py")):
        parts = path.relative_to(services).parts
        if len(parts) < 2:
            continue  # a top-level module: the composition layer
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            found.setdefault(parts[0], set()).update((n, str(path.relative_to(services))) for n in names
                                                     if n == "services" or n.startswith(("services.", "schemas")))
    return found


def forbidden_imports(services: Path) -> list[str]:
    """Every import that breaks the rule above, as 'file imports module'."""
    wrong = []
    for package, imports in imports_by_package(services).items():
        allowed = ALLOWED.get(package)
        if allowed is None:
            continue
        own = f"services.{package}"
        for module, path in sorted(imports):
            if module == own or module.startswith(own + ".") or module == "services":
                continue
            if not any(module == a or module.startswith(a + ".") for a in allowed):
                wrong.append(f"{path} imports {module}")
    return sorted(set(wrong))


def package_cycles(services: Path) -> list[list[str]]:
    """The cycles in the graph of packages of services/ (and schemas) that import each other."""
    graph: dict[str, set[str]] = {}
    for package, imports in imports_by_package(services).items():
        for module, _ in imports:
            parts = module.split(".")
            target = "schemas" if parts[0] == "schemas" else (parts[1] if len(parts) > 1 else "")
            if target and target != package and (services / target).is_dir() or target == "schemas":
                graph.setdefault(f"services.{package}", set()).add("schemas" if target == "schemas"
                                                                   else f"services.{target}")
    cycles, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        done.add(node)

    for start in sorted(graph):
        visit(start, [])
    return cycles


def test_no_service_imports_another_and_the_policy_and_the_kit_import_no_service() -> None:
    assert forbidden_imports(ROOT / "services") == []


def test_no_two_packages_import_each_other() -> None:
    assert package_cycles(ROOT / "services") == []


def test_the_rule_finds_a_service_importing_another_and_a_cycle(tmp_path: Path) -> None:
    """The checks above can fail: a service importing another (even inside a function), and a cycle."""
    for name, text in {
        "intake/routes.py": "from services.policy.engine import decide\nfrom services.common import db\n",
        "intake/views.py": "def f():\n    from services.triage.outputs import triage\n",
        "triage/whatif_store.py": "from services.intake.tables import ReferralRecord\n",
        "policy/engine.py": "from services.common.auth import Principal\n",
        "devstack.py": "from services.intake import main\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert forbidden_imports(tmp_path) == [
        "intake/views.py imports services.triage.outputs",
        "intake/views.py imports services.triage.outputs.triage",
        "policy/engine.py imports services.common.auth",
        "policy/engine.py imports services.common.auth.Principal",
        "triage/whatif_store.py imports services.intake.tables",
        "triage/whatif_store.py imports services.intake.tables.ReferralRecord",
    ]
    assert ["services.intake", "services.triage", "services.intake"] in package_cycles(tmp_path)

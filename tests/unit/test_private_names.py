"""Files are split where the concern changes, not at a line count (issue 21): no module under services/ or
schemas/ reaches into another module's private names. A helper two modules share is a public name, with a
docstring, in the module that owns its concern (or in a module of its own)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import NamedTuple

from tests.cases import ROOT

TREES = ("services", "schemas")

# lead: intake folders. Intake's children module still imports the identity module's private name matching
# helpers (`_date_slip`, `_similar`); the lead is moving services/intake/ into folders by feature and makes
# them public there. Pairs of (package the import stays inside, private name). Empty this when that lands:
# `test_the_allow_list_holds_only_what_is_still_there` fails until it is emptied.
LEAD_INTAKE_FOLDERS_PENDING: frozenset[tuple[str, str]] = frozenset()


class Reach(NamedTuple):
    """One place where a module uses another module's private name."""

    path: str  # the file doing it, relative to the root
    line: int
    module: str  # the module whose private name it uses
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} uses {self.module}.{self.name}"


def is_private(name: str) -> bool:
    """`_name`, not a dunder such as `__future__` or `__version__`."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(root: Path, path: Path) -> str:
    """services/dsr/handlers.py -> services.dsr.handlers; a package's __init__.py -> the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module_in_tree(root: Path, dotted: str) -> bool:
    """Whether `dotted` is a module or package of the tree under `root`."""
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def reaches_in_file(root: Path, path: Path) -> list[Reach]:
    """Every import of another module's private name (also relative ones and those inside functions), every import
    of a private module, and every `x._name` (or `x.y._name`) where `x` was bound to a module by an import."""
    me = module_name(root, path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    where = str(path.relative_to(root))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Reach] = []
    modules: dict[str, str] = {}  # a name bound to a module by an import -> the module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if any(is_private(part) for part in source.split(".")):
                found.append(Reach(where, node.lineno, source.rpartition(".")[0], source.rpartition(".")[2]))
            for alias in node.names:
                if is_private(alias.name) and source != me:
                    found.append(Reach(where, node.lineno, source, alias.name))
                if is_module_in_tree(root, f"{source}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                private = [i for i, part in enumerate(parts) if is_private(part)]
                if private:
                    found.append(Reach(where, node.lineno, ".".join(parts[: private[0]]), parts[private[0]]))
                modules[alias.asname or parts[0]] = alias.name if alias.asname else parts[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in modules and modules[value.id] != me:
                found.append(Reach(where, node.lineno, ".".join([modules[value.id], *chain]), node.attr))
    return found


def private_reaches(root: Path) -> list[Reach]:
    """Every use of another module's private name in the trees under `root`, in file order."""
    return [reach for tree in TREES if (root / tree).is_dir()
            for path in sorted((root / tree).rglob("*.py")) for reach in reaches_in_file(root, path)]


def pending_for_the_lead(reach: Reach) -> bool:
    package = next((p for p, name in LEAD_INTAKE_FOLDERS_PENDING if name == reach.name), None)
    return (package is not None and reach.module.startswith(package + ".")
            and reach.path.startswith(package.replace(".", "/") + "/"))


@cache
def reaches_here() -> tuple[Reach, ...]:
    """`private_reaches` of this repository, read once for the two tests that ask (the sources do not change
    during a run)."""
    return tuple(private_reaches(ROOT))


def test_no_module_uses_another_modules_private_names() -> None:
    assert [str(r) for r in reaches_here() if not pending_for_the_lead(r)] == []


def test_the_allow_list_holds_only_what_is_still_there() -> None:
    """When the lead's intake move makes the helpers public, this fails until LEAD_INTAKE_FOLDERS_PENDING is empty."""
    still_there = {(package, r.name) for r in reaches_here() if pending_for_the_lead(r)
                   for package, name in LEAD_INTAKE_FOLDERS_PENDING if name == r.name}
    assert still_there == set(LEAD_INTAKE_FOLDERS_PENDING)


def test_the_rule_finds_every_kind_of_reach(tmp_path: Path) -> None:
    """The check above can fail: private names imported (absolute, relative, inside a function), a private module,
    and `module._name` through every way of binding a module; a module's own private names, dunders, a class's
    attribute and `self._x` pass."""
    files = {
        "services/__init__.py": "",
        "services/dsr/__init__.py": "",
        "services/dsr/handlers.py": "def _timeline(): ...\ndef _announce(): ...\ndef note(): _timeline()\n",
        "services/dsr/direct.py": "from __future__ import annotations\n"
                                  "from services.dsr.handlers import _announce, note\n",
        "services/dsr/children.py": "from .handlers import _timeline\n",
        "services/dsr/views.py": "def f():\n    from services.dsr.handlers import _timeline\n    return _timeline\n",
        "services/dsr/routes.py": "from services.dsr import handlers\nhandlers._announce()\n",
        "services/dsr/main.py": "import services.dsr.handlers\nservices.dsr.handlers._timeline()\n",
        "services/dsr/rules.py": "import services.dsr.handlers as h\nfrom services.dsr import _shh\n"
                                 "h.note()\nh._note()\n",
        "services/dsr/_shh.py": "__version__ = '1'\n",
        "services/dsr/domain.py": "from services.dsr._shh import __version__\nfrom services.dsr.handlers import note\n"
                                  "class C:\n    def m(self):\n        return self._x, note._y\n",
        "schemas/__init__.py": "",
        "schemas/referral.py": "def _unique(v): return v\n",
        "schemas/advice.py": "from schemas.referral import _unique\nimport schemas.referral as r\nr._unique(1)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert sorted(str(r) for r in private_reaches(tmp_path)) == sorted([
        "schemas/advice.py:1 uses schemas.referral._unique",
        "schemas/advice.py:3 uses schemas.referral._unique",
        "services/dsr/children.py:1 uses services.dsr.handlers._timeline",
        "services/dsr/direct.py:2 uses services.dsr.handlers._announce",
        "services/dsr/domain.py:1 uses services.dsr._shh",
        "services/dsr/main.py:2 uses services.dsr.handlers._timeline",
        "services/dsr/routes.py:2 uses services.dsr.handlers._announce",
        "services/dsr/rules.py:2 uses services.dsr._shh",
        "services/dsr/rules.py:4 uses services.dsr.handlers._note",
        "services/dsr/views.py:2 uses services.dsr.handlers._timeline",
    ])

"""The fast tier is `pytest tests/unit tests/handlers -m "not property"`: every hypothesis property test in those
folders carries the `property` marker (on the test, or the module's `pytestmark`), and nothing else does, so
leaving the marker out leaves out exactly the property tests. Read from the source, so a new property test
without the marker fails here rather than slowing the fast tier unseen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("unit", "handlers")


def is_property_mark(node: ast.AST) -> bool:
    """`pytest.mark.property` (or a list/tuple holding it)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(is_property_mark(n) for n in node.elts)
    return isinstance(node, ast.Attribute) and node.attr == "property" and ast.unparse(node) == "pytest.mark.property"


def uses_given(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated with hypothesis's `given`, or defines and runs a function that is (a test per parameter)."""
    for node in ast.walk(function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                call = d.func if isinstance(d, ast.Call) else d
                if ast.unparse(call) in ("given", "hypothesis.given"):
                    return True
    return False


def collected_tests(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    found = []
    for node in tree.body:
        bodies = node.body if isinstance(node, ast.ClassDef) and node.name.startswith("Test") else [node]
        found += [n for n in bodies if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.name.startswith("test")]
    return found


def misplaced(source: str) -> list[str]:
    """The tests of one module whose `property` marker disagrees with their use of hypothesis, in words."""
    tree = ast.parse(source)
    module_marked = any(isinstance(n, ast.Assign) and any(ast.unparse(t) == "pytestmark" for t in n.targets)
                        and any(is_property_mark(m) for m in ast.walk(n.value)) for n in tree.body)
    wrong = []
    for test in collected_tests(tree):
        marked = module_marked or any(is_property_mark(d) for d in test.decorator_list)
        if uses_given(test) and not marked:
            wrong.append(f"{test.name} is a property test without the property marker")
        if marked and not uses_given(test):
            wrong.append(f"{test.name} is marked property but uses no hypothesis strategy")
    return wrong


FILES = sorted(p for tier in TIERS for p in (ROOT / tier).glob("test_*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_property_test_and_nothing_else_carries_the_property_marker(path: Path) -> None:
    assert misplaced(path.read_text()) == []


def test_there_are_property_tests_in_both_tiers() -> None:
    for tier in TIERS:
        modules = [ast.parse(p.read_text()) for p in (ROOT / tier).glob("test_*.py")]
        assert any(uses_given(t) for m in modules for t in collected_tests(m))


@pytest.mark.parametrize(("source", "wrong"), [
    ("from hypothesis import given\n@given(x=1)\ndef test_a(x): pass\n",
     ["test_a is a property test without the property marker"]),
    ("import pytest\nfrom hypothesis import given\n@pytest.mark.property\n@given(x=1)\ndef test_a(x): pass\n", []),
    ("import pytest\npytestmark = pytest.mark.property\nfrom hypothesis import given\n"
     "@given(x=1)\ndef test_a(x): pass\n", []),
    ("import pytest\npytestmark = [pytest.mark.integration, pytest.mark.property]\n"
     "from hypothesis import given\n@given(x=1)\ndef test_a(x): pass\n", []),
    ("import pytest, hypothesis\ndef test_a(name):\n    @hypothesis.given(x=1)\n    def inner(x): pass\n    inner()\n",
     ["test_a is a property test without the property marker"]),
    ("import pytest\n@pytest.mark.property\ndef test_a(): assert 1\n",
     ["test_a is marked property but uses no hypothesis strategy"]),
    ("import pytest\npytestmark = pytest.mark.property\ndef test_a(): assert 1\n",
     ["test_a is marked property but uses no hypothesis strategy"]),
    ("import pytest\nclass TestA:\n    @given(x=1)\n    def test_b(self, x): pass\n",
     ["test_b is a property test without the property marker"]),
    ("def test_a(): assert 1\n", []),
])
def test_the_check_reads_marks_and_givens_as_pytest_and_hypothesis_do(source: str, wrong: list[str]) -> None:
    assert misplaced(source) == wrong

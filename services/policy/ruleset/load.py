"""Loading a ruleset file: read it, parse it as YAML (JSON is YAML too), then check and compile it.
A file that cannot be read or parsed is a RulesetError like any other problem with it.

Parsing is bounded (issue 20 item 7): aliases make a DAG of a small file, and everything after the parser (the
schema, the checks, the compiler, the digest) walks it as a tree, so 20 KB of nested aliases once stood for a
million conditions (minutes and gigabytes). The composer here counts, for each node, the nodes it stands for with
its aliases expanded, and its nesting, and stops at the first node past `Limits` (RULESET_MAX_NODES,
RULESET_MAX_DEPTH), naming its line and column. Nesting is checked before descending, so a deep file is a located
problem, never a RecursionError."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from services.policy.ruleset.check import RulesetError
from services.policy.ruleset.compile import compile_ruleset
from services.policy.ruleset.compiled import Ruleset

DEFAULT_RULESET = Path(__file__).parent.parent / "rules" / "reference-v1.yaml"


@dataclass(frozen=True)
class Limits:
    """How big a ruleset file may be once its aliases are expanded: nodes (each scalar, list and mapping, a
    mapping's keys too) and nesting (levels of lists and mappings). The shipped ruleset: 1,586 nodes, 13 levels."""

    max_nodes: int
    max_depth: int

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(max_nodes=settings.ruleset_max_nodes, max_depth=settings.ruleset_max_depth)

    @classmethod
    def default(cls) -> Limits:
        from services.common.settings import get_settings

        return cls.of(get_settings())


class _TooBig(yaml.YAMLError):
    def __init__(self, mark: Any, problem: str) -> None:
        super().__init__(problem)
        self.mark, self.problem = mark, problem


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer measures each node as it is composed (see the module's docstring)."""

    limits: Limits

    def __init__(self, stream: bytes | str, limits: Limits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.depth = 0
        self.measured: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, height), aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        if self.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self.measured:
                raise _TooBig(mark, "an alias inside the part it names (a loop)")
            self._within(mark, *self.measured[id(node)], alias=True)
            return node
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _TooBig(mark, f"nested more than {self.limits.max_depth} levels deep (RULESET_MAX_DEPTH)")
        node = super().compose_node(parent, index)
        self.depth -= 1
        if isinstance(node, SequenceNode):
            children = [self.measured[id(child)] for child in node.value]
        elif isinstance(node, MappingNode):
            children = [self.measured[id(part)] for pair in node.value for part in pair]
        else:
            children = []
        measure = (1 + sum(n for n, _ in children), 1 + max((h for _, h in children), default=0))
        self.measured[id(node)] = measure
        self._within(mark, *measure, alias=False)
        return node

    def _within(self, mark: Any, nodes: int, height: int, *, alias: bool) -> None:
        what = "with its aliases expanded, this part is" if not alias else "this alias stands for"
        if nodes > self.limits.max_nodes:
            raise _TooBig(mark, f"{what} more than {self.limits.max_nodes} nodes (RULESET_MAX_NODES)")
        if self.depth + height > self.limits.max_depth:
            raise _TooBig(mark, f"{what} nested more than {self.limits.max_depth} levels deep (RULESET_MAX_DEPTH)")


def parse_yaml(raw: bytes | str, source: str, limits: Limits | None = None) -> Any:
    """The parsed file (YAML or JSON), within `limits` (default: the settings'); RulesetError names the line and
    column of the first part past a limit, or of a syntax error. A copy of its own for each caller: the same
    content under the same limits is parsed once (`_parsed`), since parsing is most of loading a ruleset (the
    pure-Python parser, for the marks; compiling is a few milliseconds)."""
    try:
        return copy.deepcopy(_parsed(raw, limits or Limits.default()))
    except _TooBig as exc:
        raise RulesetError(source, [f"{_where(exc.mark)}: {exc.problem}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot be read"
        raise RulesetError(source, [f"{_where(mark)}: not valid YAML or JSON ({problem})"]) from None


@lru_cache(maxsize=16)
def _parsed(raw: bytes | str, limits: Limits) -> Any:
    """`raw` parsed within `limits`, kept for the next caller with the same content and limits (only a parse that
    succeeded is kept: a file past a limit or not YAML raises each time)."""
    loader = _BoundedLoader(raw, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(file)"


def load_ruleset(path: Path | str | None = None, *, limits: Limits | None = None) -> Ruleset:
    """Read a YAML or JSON ruleset file (None: the shipped reference ruleset) and compile it;
    raise RulesetError when it is not valid or past `limits` (default: the settings')."""
    path = DEFAULT_RULESET if path is None else Path(path)
    try:
        raw_text = path.read_bytes()
    except OSError as exc:
        raise RulesetError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    data = parse_yaml(raw_text, str(path), limits)
    digest = hashlib.sha256(raw_text).hexdigest()[:12]
    return compile_ruleset(data, source=str(path), digest=digest)

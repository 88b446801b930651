"""Loading a ruleset file: read it, parse it as YAML (JSON is YAML too), then check and compile it.
A file that cannot be read or parsed is a RulesetError like any other problem with it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from services.triage.ruleset.check import RulesetError
from services.triage.ruleset.compile import compile_ruleset
from services.triage.ruleset.compiled import Ruleset

DEFAULT_RULESET = Path(__file__).parent.parent / "rules" / "reference-v1.yaml"


def load_ruleset(path: Path | str | None = None) -> Ruleset:
    """Read a YAML or JSON ruleset file (None: the shipped reference ruleset) and compile it;
    raise RulesetError when it is not valid."""
    path = DEFAULT_RULESET if path is None else Path(path)
    try:
        raw_text = path.read_bytes()
    except OSError as exc:
        raise RulesetError(str(path), [f"cannot read the file ({exc.strerror})"]) from None
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise RulesetError(str(path), [f"not valid YAML or JSON: {exc}"]) from None
    digest = hashlib.sha256(raw_text).hexdigest()[:12]
    return compile_ruleset(data, source=str(path), digest=digest)

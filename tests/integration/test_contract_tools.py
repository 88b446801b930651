"""The contract files checked in processes of their own: the AsyncAPI document by a tool nobody here wrote
(@asyncapi/parser, schemas/tooling, on node), and `frontdoor schemas export --check` under other hash seeds. Each
takes a few seconds of CPU, so they run with `make test` rather than in the fast tiers (the document's topics,
producers and consumers: tests/unit/test_asyncapi.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.contracts import ASYNCAPI, SCHEMAS
from tests.cases import ROOT

pytestmark = pytest.mark.integration

TOOLING = SCHEMAS / "tooling"


def parse(path: Path) -> tuple[int, dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: @asyncapi/parser runs on node (.ci/run installs npm)")
    assert (TOOLING / "node_modules" / "@asyncapi" / "parser").is_dir(), \
        "the contract tooling is not installed: run `make install` (npm ci in schemas/tooling)"
    done = subprocess.run(["node", str(TOOLING / "validate.mjs"), str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_asyncapi_document_parses_with_no_error_and_no_warning() -> None:
    code, result = parse(ASYNCAPI)
    problems = [d for d in result["diagnostics"] if d["severity"] in ("error", "warning")]
    assert (code, result["document"], problems) == (0, True, [])


def test_the_parser_check_fails_on_an_invalid_document(tmp_path: Path) -> None:
    # The error the issue found: a Pydantic discriminator object where AsyncAPI 3.0 wants a string.
    doc = json.loads(ASYNCAPI.read_text())
    doc["components"]["schemas"]["ReferralSubmitted"]["discriminator"] = {
        "propertyName": "event_type", "mapping": {"referral.submitted": "#/components/schemas/ReferralSubmitted"}}
    doc["components"]["schemas"]["Bad key (with spaces)"] = {"type": "string"}
    bad = tmp_path / "asyncapi.json"
    bad.write_text(json.dumps(doc))
    code, result = parse(bad)
    assert code != 0 and result["errors"] >= 2
    assert any("discriminator" in d["path"] for d in result["diagnostics"])


@pytest.mark.parametrize("seed", ["1", "2"])
def test_the_export_is_the_same_whatever_the_hash_seed(seed: str) -> None:
    """Sets iterate in a different order under another PYTHONHASHSEED: the documents must not (an export that
    drifted from run to run made `--check` fail at random)."""
    import os
    import sys

    checked = subprocess.run([sys.executable, "-m", "services.cli", "schemas", "export", "--check"],
                             env=os.environ | {"PYTHONHASHSEED": seed}, cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr

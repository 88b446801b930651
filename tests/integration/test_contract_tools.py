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

from services.contracts import ASYNCAPI, JSON_DIR, SCHEMAS
from tests.cases import ROOT

pytestmark = pytest.mark.integration

TOOLING = SCHEMAS / "tooling"


def node(script: str, *args: Path) -> tuple[int, dict[str, Any]]:
    """Run one of schemas/tooling's scripts on node; its exit code and the JSON it printed."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the contract tooling runs on node (.ci/run installs npm)")
    assert (TOOLING / "node_modules" / "@asyncapi" / "parser").is_dir(), \
        "the contract tooling is not installed: run `make install` (npm ci in schemas/tooling)"
    done = subprocess.run(["node", str(TOOLING / script), *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def parse(path: Path) -> tuple[int, dict[str, Any]]:
    return node("validate.mjs", path)


def ajv_strict(asyncapi: Path = ASYNCAPI, json_dir: Path = JSON_DIR) -> tuple[int, dict[str, Any]]:
    return node("ajv-strict.mjs", asyncapi, json_dir)


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


def test_every_published_schema_compiles_in_ajv_strict_mode() -> None:
    """What a Node team does with our documents (issue 24, item 6): Ajv 8 in strict mode compiles every
    schemas/json file and every schema in the AsyncAPI document (components, each message's payload and headers,
    the Kafka keys and consumer groups), and each message's examples are valid against its payload and headers."""
    code, result = ajv_strict()
    assert (result["errors"], result["invalid_examples"], code) == ([], [], 0)
    documented = json.loads(ASYNCAPI.read_text())["components"]["messages"]
    # Each message's payload and headers in both dialects, each file once (and the components, keys, groups).
    assert result["compiled"] > 2 * 2 * len(documented) + len(list(JSON_DIR.glob("*.schema.json")))
    assert result["examples"] >= len(documented)


def test_the_ajv_check_fails_on_a_schema_strict_mode_refuses(tmp_path: Path) -> None:
    # The refusal the issue found: `properties` in a header schema's allOf without `type: "object"`; an unknown
    # keyword in a payload; a JSON Schema file with an unknown format; an example that breaks its schemas (on the
    # dead letter, whose schemas are the document's own, whatever the payload schemas' state).
    doc = json.loads(ASYNCAPI.read_text())
    message = doc["components"]["messages"]["referral.submitted"]
    message["headers"] = {"allOf": [{"$ref": "#/components/schemas/EventHeaders"},
                                    {"properties": {"event-type": {"type": "string"}}}]}
    doc["components"]["schemas"]["Referral"]["x-made-up"] = True
    dead = doc["components"]["messages"]["dead-letter"]
    dead["payload"] = {"type": "object"}
    dead["examples"] = [{"name": "broken", "headers": {"content-type": "application/octet-stream"}, "payload": "x"}]
    (tmp_path / "asyncapi.json").write_text(json.dumps(doc))
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "x.schema.json").write_text(json.dumps({"type": "string", "format": "made-up"}))
    code, result = ajv_strict(tmp_path / "asyncapi.json", tmp_path / "json")
    assert code != 0
    found = {(e["schema"], e["dialect"], e["message"]) for e in result["errors"]}
    assert {("components/messages/referral.submitted/headers", dialect,
             'strict mode: missing type "object" for keyword "properties" at "#/allOf/1" (strictTypes)')
            for dialect in ("draft-07", "2020-12")} <= found, found
    assert ("components/schemas/Referral", "draft-07", 'strict mode: unknown keyword: "x-made-up"') in found, found
    assert ("x.schema.json", "2020-12", 'unknown format "made-up" ignored in schema at path "#"') in found, found
    assert {(e["message"], e["part"]) for e in result["invalid_examples"]} == {
        ("dead-letter", "headers"), ("dead-letter", "payload")}


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

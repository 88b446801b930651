"""Models generated from the AsyncAPI document in Java and TypeScript read and write every message (issue 24, item
9), as a team consuming Front Door would make them: @asyncapi/modelina (schemas/tooling/models.mjs) writes Java
classes with Jackson annotations and TypeScript classes with marshal/unmarshal; javac and tsc compile them; one
record of every message type (tests/contract_records.py, as the services write it) is read into the class for its
channel (Java: the channel's union when the topic carries several messages, so Jackson picks the class by
`event_type`; TypeScript: the channel's class whose `event_type` it is) and written back. Each must come back as its
own class with the same JSON (in Java a field left null and a field left out are the same, and a set keeps no order;
TypeScript gives back exactly what it read). tsc compiles the TypeScript models with --strict, as a team would.
A few seconds of node and two compilers: with `make test`, like tests/integration/test_contract_tools.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from services.contracts import ASYNCAPI, EVENT_NAMES, SCHEMAS
from tests.contract_records import records

pytestmark = pytest.mark.integration

TOOLING = SCHEMAS / "tooling"
JACKSON = [Path(f"/usr/share/java/jackson-{part}.jar") for part in ("databind", "core", "annotations")]
CLASS_OF = {name: model.__name__ for model, name in EVENT_NAMES.items()}


def needs(tool: str, why: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed: {why}")
    return found


def run(*command: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command[:3])} ... failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    needs("node", "Modelina runs on node (.ci/run installs npm)")
    assert (TOOLING / "node_modules" / "@asyncapi" / "modelina").is_dir(), \
        "the contract tooling is not installed: run `make install` (npm ci in schemas/tooling)"
    out = tmp_path_factory.mktemp("models")
    summary = json.loads(run("node", str(TOOLING / "models.mjs"), str(ASYNCAPI), str(out)))
    return out, summary


@cache
def channels() -> dict[str, list[str]]:
    """Each topic of the document and the message names on it (dead letters aside)."""
    doc = json.loads(ASYNCAPI.read_text())
    return {c["address"]: [ref["$ref"].rsplit("/", 1)[-1] for ref in c["messages"].values()]
            for c in doc["channels"].values() if not c["address"].endswith(".dlq")}


def channel_of(message: str) -> str:
    return next(topic for topic, names in channels().items() if message in names)


def without_nulls(value: Any) -> Any:
    """The record as every reader here sees it: a null field as a field left out, and a list of strings in any order
    (a list with `uniqueItems`, such as a referral's concerns, is a java.util.Set in Modelina's Java, which keeps no
    order)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        items = [without_nulls(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def differences(language: str, results: list[dict[str, Any]], unions: dict[str, Any], *,
                exact: bool = False) -> list[str]:
    """What came back other than the record that went in: with `exact`, the same JSON to the last null and the order
    of every list; without, the same JSON as `without_nulls` sees it."""
    wanted = records()
    seen = (lambda value: value) if exact else without_nulls
    out = []
    for result in results:
        name = result["message"]
        if "error" in result:
            out.append(f"{language} {name}: {result['error']}")
        elif result["class"] != CLASS_OF[name]:
            out.append(f"{language} {name}: read as {result['class']}, not {CLASS_OF[name]}")
        elif seen(result["json"]) != seen(wanted[name]):
            back, sent = seen(result["json"]), seen(wanted[name])
            keys = sorted(k for k in {*back, *sent} if back.get(k) != sent.get(k))
            out.append(f"{language} {name}: written back differently at {keys}")
    missing = set(wanted) - {r["message"] for r in results}
    out += [f"{language} {name}: not tried" for name in sorted(missing)]
    return out


def test_each_channels_union_has_every_message_on_it_and_tells_them_apart_by_event_type(
        generated: tuple[Path, dict[str, Any]]) -> None:
    _, summary = generated
    wrong = []
    for topic, names in channels().items():
        if len(names) < 2:
            continue
        union = summary["unions"].get(topic, {})
        if sorted(union.get("members", [])) != sorted(CLASS_OF[n] for n in names):
            wrong.append(f"{topic}: union of {union.get('members')}, the channel has {sorted(names)}")
        if union.get("discriminator") != "event_type":
            wrong.append(f"{topic}: discriminator {union.get('discriminator')!r}")
    assert not wrong, "\n".join(wrong)


def test_java_models_compile_and_read_and_write_one_record_of_every_message(
        generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    needs("javac", "the Java round trip compiles Modelina's classes (.ci/run installs openjdk-17-jdk-headless)")
    java = needs("java", "the Java round trip runs on a JVM")
    missing = [str(jar) for jar in JACKSON if not jar.exists()]
    if missing:
        pytest.skip(f"Jackson is not installed ({', '.join(missing)}): .ci/run installs libjackson2-databind-java")
    out, summary = generated
    classes = tmp_path / "classes"
    classpath = ":".join(map(str, JACKSON))
    sources = sorted(str(p) for p in (out / "java").rglob("*.java"))
    run("javac", "-nowarn", "-d", str(classes), "-cp", classpath, *sources, str(TOOLING / "java" / "RoundTrip.java"))
    unions = {topic: u["name"] for topic, u in summary["unions"].items()}
    cases = [{"message": name, "read_as": unions.get(channel_of(name), CLASS_OF[name]), "record": record}
             for name, record in records().items()]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    results = json.loads(run(java, "-cp", f"{classpath}:{classes}", "RoundTrip", str(tmp_path / "cases.json")))
    assert not (problems := differences("Java", results, summary["unions"])), "\n".join(problems)


def test_typescript_models_compile_and_read_and_write_one_record_of_every_message(
        generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, summary = generated
    tsc = TOOLING / "node_modules" / "typescript" / "bin" / "tsc"
    assert tsc.exists(), "typescript is not installed: run `make install` (npm ci in schemas/tooling)"
    compiled = tmp_path / "js"
    run("node", str(tsc), "--module", "commonjs", "--target", "es2020", "--strict", "--noEmitOnError", "--skipLibCheck",
        "--outDir", str(compiled), *sorted(str(p) for p in (out / "ts").glob("*.ts")))
    members = {topic: u["members"] for topic, u in summary["unions"].items()}
    cases = [{"message": name, "members": members.get(channel_of(name), [CLASS_OF[name]]), "record": record}
             for name, record in records().items()]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    results = json.loads(run("node", str(TOOLING / "roundtrip.cjs"), str(compiled), str(tmp_path / "cases.json")))
    # Modelina's TypeScript keeps a list as an array and (with models.mjs's nullSafe) writes a null as null, so the
    # record must come back exactly as it went in.
    assert not (problems := differences("TypeScript", results, summary["unions"], exact=True)), "\n".join(problems)

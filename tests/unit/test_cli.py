"""`frontdoor triage decide` exactly as contracts.md says, and the other commands' user-facing paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from services.cli import app as cli
from tests.cases import ROOT, case_files, comparable, load, reference_ruleset

CLI = [sys.executable, "-m", "services.cli"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command called in this process (starting an interpreter per call was most of this module's time); its
    exit status, standard output and standard error kept apart as a process's are. `python -m services.cli` itself
    is run once, by test_help_is_helpful."""
    done = CliRunner().invoke(cli, list(args), input=stdin)
    return subprocess.CompletedProcess([*CLI, *args], done.exit_code, done.stdout, done.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)  # noqa: S603


def test_every_worked_case_through_the_command_line() -> None:
    files = case_files()
    result = run("triage", "decide", *map(str, files))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)  # several files: one JSON object per line, in order
    for path, line in zip(files, lines, strict=True):
        decision = json.loads(line)
        assert decision["referral_id"] == load(path)["event"]["referral_id"]
        assert comparable(decision) == comparable(load(path)["expect"]), path.name


def test_one_bare_event_on_standard_input_gives_one_object() -> None:
    event = load(case_files()[0])["event"]
    result = run("triage", "decide", stdin=json.dumps(event))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)  # one object (pretty-printed), not lines
    assert decision["referral_id"] == event["referral_id"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not JSON"), ('{"event_type": "referral.submitted"}', "referral_id"), ("[]", "not a valid")],
)
def test_a_malformed_event_exits_non_zero_with_a_readable_error(text: str, message: str) -> None:
    result = run("triage", "decide", stdin=text)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ""


def test_several_files_with_a_malformed_one_decide_the_others_and_exit_1(tmp_path: Path) -> None:
    """contracts.md: a malformed FILE gives {"file": ..., "error": ...} on its line, in order; exit status 1."""
    good = case_files()[0]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    missing = tmp_path / "nope.json"
    result = run("triage", "decide", str(good), str(bad), str(missing), str(good))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0] == lines[3] and lines[0]["referral_id"] == load(good)["event"]["referral_id"]
    assert lines[1]["file"] == str(bad) and "not JSON" in lines[1]["error"]
    assert lines[2]["file"] == str(missing) and "cannot read" in lines[2]["error"]


def test_a_missing_file_is_a_readable_error(tmp_path: Path) -> None:
    result = run("triage", "decide", str(tmp_path / "nope.json"))
    assert result.returncode != 0 and "cannot read" in result.stderr


def test_rules_check_passes_the_shipped_ruleset() -> None:
    result = run("rules", "check", "--strict")
    assert result.returncode == 0, result.stderr
    assert "41 worked cases: 41 decide as expected, 0 changed" in result.stdout


def test_rules_check_shows_what_a_policy_edit_changes(tmp_path: Path) -> None:
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 60}  # a council shortens SALT's clock
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    result = run("rules", "check", str(edited))
    assert result.returncode == 0
    assert "41 worked cases: 38 decide as expected, 3 changed" in result.stdout
    assert ("route changed: salt/community: due_by 2027-04-05T17:00:00+01:00 -> 2027-02-18T17:00:00+00:00"
            in result.stdout)
    assert run("rules", "check", str(edited), "--strict").returncode == 1
    decided = run("triage", "decide", "--rules", str(edited), str(case_files()[0]))
    assert decided.returncode == 0


def test_a_broken_ruleset_is_refused_with_every_problem(tmp_path: Path) -> None:
    data = reference_ruleset()
    data["groups"]["SEMH"].append("anxeity")
    data["due"]["default"].pop("soon")
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data))
    result = run("rules", "check", str(broken))
    assert result.returncode != 0
    assert "'anxeity' is not a known concern" in result.stderr
    assert "no clock for priority 'soon'" in result.stderr


def test_help_is_helpful() -> None:
    result = run_process("--help")  # the module runs as a command
    assert result.returncode == 0
    for command in ("triage", "rules", "serve", "dev", "token", "db", "schemas"):
        assert command in result.stdout


def test_token_mints_a_role_and_refuses_unknown_ones() -> None:
    ok = run("token", "--role", "worker:salt")
    assert ok.returncode == 0 and ok.stdout.count(".") == 2
    bad = run("token", "--role", "worker:plumbing")
    assert bad.returncode != 0 and "unknown role" in bad.stderr

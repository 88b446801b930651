"""`make mutate`'s report (tests/mutation_report.py) fails a run that mutated nothing, did not finish, or whose tests
could not start, as well as one below the floor; it never passes vacuously."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mutation_report import main

KILLED, SURVIVED, NO_TESTS, TIMEOUT, TYPE_CHECK = 1, 0, 33, 36, 37
NOT_CHECKED, INTERRUPTED, PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR = None, 2, 3, 4


def tree(tmp_path: Path, results: dict[str, list[int | None] | None]) -> Path:
    """A repository root whose pyproject lists `results`' files; None: mutmut wrote nothing for that file."""
    listed = ", ".join(f'"{path}"' for path in results)
    (tmp_path / "pyproject.toml").write_text(f"[tool.mutmut]\nonly_mutate = [{listed}]\n")
    for path, codes in results.items():
        if codes is None:
            continue
        meta = tmp_path / "mutants" / f"{path}.meta"
        meta.parent.mkdir(parents=True, exist_ok=True)
        name = path.removesuffix(".py").replace("/", ".")
        by_key = {f"{name}.x_decide__mutmut_{i}": code for i, code in enumerate(codes, start=1)}
        meta.write_text(json.dumps({"exit_code_by_key": by_key, "durations_by_key": {}}))
    return tmp_path


def run(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--root", str(root)])
    return code, capsys.readouterr().out


def test_a_run_at_the_floor_passes_and_lists_its_survivors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 7 + [TIMEOUT, TYPE_CHECK, SURVIVED]})
    code, out = run(root, capsys)
    assert code == 0, out
    assert "90.0%" in out
    assert "a.rules.x_decide__mutmut_10" in out


def test_a_run_below_the_floor_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 8 + [SURVIVED, NO_TESTS]})
    code, out = run(root, capsys)
    assert code == 1
    assert "FAIL" in out


def test_a_listed_file_that_was_not_run_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 10, "a/moved.py": None})
    code, out = run(root, capsys)
    assert code == 1
    assert "a/moved.py" in out.split("FAIL")[-1]


def test_a_listed_file_with_no_mutants_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 10, "a/empty.py": []})
    code, out = run(root, capsys)
    assert code == 1
    assert "a/empty.py" in out.split("FAIL")[-1]


def test_a_run_that_mutated_nothing_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(tree(tmp_path, {"a/rules.py": []}), capsys)
    assert code == 1


def test_a_run_that_did_not_finish_fails_even_above_the_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 95 + [NOT_CHECKED] * 5})
    code, out = run(root, capsys)
    assert code == 1
    assert "5" in out.split("FAIL")[-1]


@pytest.mark.parametrize("code", [INTERRUPTED, PYTEST_INTERNAL_ERROR, PYTEST_USAGE_ERROR])
def test_mutants_whose_tests_could_not_start_are_not_counted_as_killed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: int
) -> None:
    root = tree(tmp_path, {"a/rules.py": [code] * 10})
    exit_code, out = run(root, capsys)
    assert exit_code == 1
    assert "a.rules.x_decide__mutmut_1" in out


def test_a_few_mutants_whose_tests_could_not_start_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"a/rules.py": [KILLED] * 98 + [PYTEST_INTERNAL_ERROR, INTERRUPTED]})
    code, out = run(root, capsys)
    assert code == 1
    assert "a.rules.x_decide__mutmut_99" in out.split("FAIL")[-1]


def test_a_stopped_run_shows_the_end_of_its_log_without_the_spinner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "mutmut.log"
    spinner = "".join(f"\r{frame} Running stats" for frame in "⠋⠙⠹⠸" * 500)
    log.write_text(f"{spinner}\nE   ImportError: cannot import name 'x'\nfailed to collect stats. runner returned 1\n")
    code = main(["--log-tail", str(log)])
    out = capsys.readouterr().out
    assert code == 1
    end = ["E   ImportError: cannot import name 'x'", "failed to collect stats. runner returned 1"]
    assert out.splitlines()[-2:] == end
    assert "Running stats" not in out

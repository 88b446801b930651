"""`make mutate`'s summary: mutants killed and survived per mutated file, from mutmut's results in ./mutants.

Exits 1 when fewer than --min-percent of all mutants are killed, and also, whatever the score, when the run
cannot be trusted: a listed file was not run (moved, misspelt) or gave no mutants, or a mutant was not checked
(the run stopped early) or its tests could not start (pytest interrupted by a collection error, a usage or an
internal error; mutmut counts an internal error as a kill, this report does not). A mutant that times out or
fails the type check counts as killed (a test or the checker noticed it); one that no test reaches counts as
surviving. Survivors are listed by name: `mutmut show NAME` prints the change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests"}
# pytest's exit codes for "the tests did not run": 2 interrupted (a collection error), 3 internal error, 4 usage error
DID_NOT_RUN = {2: "interrupted", 3: "pytest internal error", 4: "pytest usage error"}


def status(exit_code: int | None) -> str:
    if exit_code in DID_NOT_RUN:
        return DID_NOT_RUN[exit_code]
    from mutmut.stats import status_by_exit_code  # the dev extra; imported here so `--help` works without it

    return str(status_by_exit_code[exit_code])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-percent", type=float, default=90.0)
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--log-tail", type=Path, metavar="LOG", help="print the end of a stopped run's log; exit 1")
    args = parser.parse_args(argv)
    if args.log_tail:
        print(log_tail(args.log_tail.read_text(errors="replace")))
        return 1

    config = tomllib.loads((args.root / "pyproject.toml").read_text())["tool"]["mutmut"]
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    unfinished: list[str] = []
    problems: list[str] = []
    print(f"{'file':40} {'mutants':>8} {'killed':>7} {'survived':>9} {'other':>6} {'killed %':>9}")
    for path in config["only_mutate"]:
        meta = args.root / "mutants" / f"{path}.meta"
        if not meta.exists():
            problems.append(f"not run: {path}")
            print(f"{path:40} not run")
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            problems.append(f"no mutants: {path}")
        statuses = {name: status(code) for name, code in codes.items()}
        killed = sum(s in KILLED for s in statuses.values())
        survived = sum(s in SURVIVED for s in statuses.values())
        other = len(codes) - killed - survived
        survivors += [name for name, s in statuses.items() if s in SURVIVED]
        unfinished += [f"{name} ({s})" for name, s in statuses.items() if s not in KILLED | SURVIVED]
        totals.update(mutants=len(codes), killed=killed, survived=survived, other=other)
        print(f"{path:40} {len(codes):8} {killed:7} {survived:9} {other:6} {percent(killed, len(codes)):>9}")
    score = percent(totals["killed"], totals["mutants"])
    row = f"{totals['mutants']:8} {totals['killed']:7} {totals['survived']:9} {totals['other']:6} {score:>9}"
    print(f"{'total':40} {row}")
    if survivors:
        print("\nNot killed (see README, 'Mutation testing', for the equivalent ones; `mutmut show NAME` for any):")
        for name in sorted(survivors, key=order):
            print(f"  {name}")
    if unfinished:
        problems.append(f"{len(unfinished)} mutants not checked or their tests could not start:")
        problems += [f"  {entry}" for entry in sorted(unfinished, key=order)]
    if not totals["mutants"]:
        problems.append("nothing was mutated")
    elif 100 * totals["killed"] < args.min_percent * totals["mutants"]:
        problems.append(f"{score} of mutants killed, below {args.min_percent:g}%")
    if problems:
        print("\nFAIL: " + "\n".join(problems))
        return 1
    print(f"\nOK: {score} of mutants killed (at least {args.min_percent:g}% required)")
    return 0


def log_tail(log: str, lines: int = 60) -> str:
    """The last lines of mutmut's log without its spinner's frames (each one a line that starts with a braille dot)."""
    frames = log.replace("\r", "\n").splitlines()
    kept = [line for line in frames if line.strip() and not "\u2800" <= line[0] <= "\u28ff"]
    return "\n".join(["mutmut stopped; the end of its log:", *kept[-lines:]])


def order(name: str) -> tuple[str, int]:
    """services.x.y.x_f__mutmut_12 (status) sorts by function, then by number."""
    stem, _, number = name.split(" ")[0].rpartition("_")
    return stem, int(number)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


if __name__ == "__main__":
    sys.exit(main())

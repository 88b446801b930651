"""`make mutate`'s summary: mutants killed and survived per mutated file, from mutmut's results in ./mutants.

Exits 1 when fewer than --min-percent of all mutants are killed, or when a file was not run. A mutant that
times out or fails the type check counts as killed (a test or the checker noticed it); one that no test
reaches counts as surviving. Survivors are listed by name: `mutmut show NAME` prints the change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def status(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code  # the dev extra; imported here so `--help` works without it

    return str(status_by_exit_code[exit_code])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-percent", type=float, default=90.0)
    parser.add_argument("--root", type=Path, default=Path("."))
    args = parser.parse_args(argv)

    config = tomllib.loads((args.root / "pyproject.toml").read_text())["tool"]["mutmut"]
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    missing: list[str] = []
    print(f"{'file':40} {'mutants':>8} {'killed':>7} {'survived':>9} {'other':>6} {'killed %':>9}")
    for path in config["only_mutate"]:
        meta = args.root / "mutants" / f"{path}.meta"
        if not meta.exists():
            missing.append(path)
            print(f"{path:40} not run")
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter(status(code) for code in codes.values())
        killed = sum(counts[s] for s in KILLED)
        survived = counts["survived"] + counts["no tests"]
        other = len(codes) - killed - survived
        survivors += [name for name, code in codes.items() if status(code) not in KILLED]
        totals.update(mutants=len(codes), killed=killed, survived=survived, other=other)
        print(f"{path:40} {len(codes):8} {killed:7} {survived:9} {other:6} {percent(killed, len(codes)):>9}")
    score = percent(totals["killed"], totals["mutants"])
    row = f"{totals['mutants']:8} {totals['killed']:7} {totals['survived']:9} {totals['other']:6} {score:>9}"
    print(f"{'total':40} {row}")
    if survivors:
        print("\nNot killed (see README, 'Mutation testing', for the equivalent ones; `mutmut show NAME` for any):")
        for name in sorted(survivors, key=lambda n: (n.rpartition('_')[0], int(n.rpartition('_')[2]))):
            print(f"  {name}")
    if missing:
        print(f"\nFAIL: not run: {', '.join(missing)}")
        return 1
    if not totals["mutants"] or 100 * totals["killed"] < args.min_percent * totals["mutants"]:
        print(f"\nFAIL: {score} of mutants killed, below {args.min_percent:g}%")
        return 1
    print(f"\nOK: {score} of mutants killed (at least {args.min_percent:g}% required)")
    return 0


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


if __name__ == "__main__":
    sys.exit(main())

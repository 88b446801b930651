"""Policy what-if throughput: N synthetic stored referrals (a JSON-lines export of referral.submitted events)
replayed through two rulesets, as `frontdoor rules whatif` does (target: 1,000,000 in under 60 s on 2 cores).

Parallel processes over byte ranges of the file, each loading the compiled rulesets once and returning its
chunk's WhatIf; the chunks' reports are merged in order (services.policy.whatif.merge). Baseline in the same run,
with the same processes and chunks: decoding the same JSON lines into the event model alone, which every what-if
must do first. Both timings include starting the processes."""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import case_events
from schemas import ReferralSubmitted
from services.policy.ruleset import Ruleset, load_ruleset
from services.policy.whatif import WhatIf, compare, merge
from tests.cases import write_whatif_proposal

_RULES: tuple[Ruleset, Ruleset] | None = None  # in each worker process: (baseline, proposed), loaded once


def write_events(path: Path, n: int) -> None:
    """n distinct referral.submitted events as JSON lines, cycling through the worked cases, with new ids and
    submission times spread over a year."""
    templates = []
    for event in case_events():
        start = datetime.fromisoformat(event["submitted_at"])
        marked = event | {"event_id": "@E@", "referral_id": "@R@", "correlation_id": "@R@", "child_id": "@C@",
                          "submitted_at": "@T@"}
        templates.append((json.dumps(marked), start))
    with path.open("w") as out:
        for i in range(n):
            text, start = templates[i % len(templates)]
            at = (start - timedelta(minutes=(i * 53) % (365 * 24 * 60))).isoformat()
            rid = str(uuid.UUID(int=2 * i + 1, version=4))
            line = (text.replace("@E@", str(uuid.UUID(int=2 * i + 2, version=4))).replace("@R@", rid)
                    .replace("@C@", str(uuid.UUID(int=i + 1, version=4))).replace("@T@", at))
            out.write(line + "\n")


def proposal(directory: Path) -> Path:
    """The shipped ruleset with SALT's routine clock lengthened and anxiety taken out of the SEMH group."""
    return write_whatif_proposal(directory)


def chunks(path: Path, parts: int) -> list[tuple[int, int]]:
    """Byte ranges of the file that start and end on line boundaries."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as f:
        for k in range(1, parts):
            f.seek(max(cuts[-1], size * k // parts))
            f.readline()
            cuts.append(min(f.tell(), size))
    cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _lines(path: str, start: int, end: int) -> list[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start).splitlines()


def _load(baseline: str | None, proposed: str) -> None:
    global _RULES
    _RULES = (load_ruleset(baseline), load_ruleset(proposed))
    gc.freeze()  # the rulesets stay: the collector need not scan them again
    gc.set_threshold(50_000, 20, 20)  # a batch job that makes no cycles of note: collect less often


def _compare(job: tuple[str, int, int]) -> WhatIf:
    assert _RULES is not None
    events = (ReferralSubmitted.model_validate_json(line) for line in _lines(*job))
    return compare(events, *_RULES)


def _parse(job: tuple[str, int, int]) -> int:
    return sum(1 for line in _lines(*job) if ReferralSubmitted.model_validate_json(line))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's processes, once they have ended
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whatif", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="stored referrals (default 1,000,000; "
                                                                "-n 20000 for a quick check)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunks", type=int, default=0, help="chunks of the file (default 8 per process)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-whatif-") as tmp:
        directory = Path(tmp)
        events, proposed = directory / "events.jsonl", proposal(directory)
        t = time.perf_counter()
        write_events(events, args.n)
        print(f"what-if: {args.n:,} synthetic referral.submitted events ({events.stat().st_size / 1e6:,.0f} MB of "
              f"JSON lines, written in {time.perf_counter() - t:.1f} s), {args.processes} processes, "
              f"load average {os.getloadavg()[0]:.2f} before")
        jobs = [(str(events), a, b) for a, b in chunks(events, args.chunks or 8 * args.processes)]

        start, cpu = time.perf_counter(), _children_cpu()
        with ProcessPoolExecutor(args.processes) as pool:
            parsed = sum(pool.map(_parse, jobs))
        parse_s, parse_cpu = time.perf_counter() - start, _children_cpu() - cpu

        start, cpu = time.perf_counter(), _children_cpu()
        with ProcessPoolExecutor(args.processes, initializer=_load, initargs=(None, str(proposed))) as pool:
            report = merge(pool.map(_compare, jobs))
        whatif_s, whatif_cpu = time.perf_counter() - start, _children_cpu() - cpu

    print(f"load average {os.getloadavg()[0]:.2f} after (other work on the machine shares its 2 cores)")
    assert parsed == report.referrals == args.n, (parsed, report.referrals, args.n)
    print(f"{report.baseline} -> {report.proposed}: {report.changed:,} decisions change "
          f"({', '.join(f'{c} {v:,}' for c, v in sorted(report.by_class.items()))})")
    rate, base = args.n / whatif_s, args.n / parse_s
    print(f"{'what-if (decide twice, compare, add up)':<46} {rate:>12,.0f} referrals/s   {whatif_s:>7.1f} s in all")
    print(f"{'baseline: parse the same JSON lines alone':<46} {base:>12,.0f} referrals/s   {parse_s:>7.1f} s in all")
    print(f"{'CPU seconds in the worker processes':<46} {whatif_cpu:>12.1f} what-if, {parse_cpu:.1f} baseline "
          f"(on idle cores: {args.n / whatif_cpu * args.processes:,.0f} referrals/s with {args.processes})")
    print(f"{'ratio':<46} {rate / base:>12.2f}   (target: 1,000,000 referrals in < 60 s, "
          f"{'met' if args.n >= 1_000_000 and whatif_s < 60 else 'not shown by this run'})")


if __name__ == "__main__":
    main()

"""`frontdoor rules whatif` and the portal's what-if over several processes: the stored events in contiguous
chunks, each process loading both rulesets once (compiled rulesets are closures, so each process compiles its
own from the files), the chunk reports merged in order (`whatif.merge`: the same report as one `compare`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from schemas.events import ReferralSubmitted
from services.policy.ruleset import Ruleset, load_ruleset
from services.policy.whatif import Acceptance, WhatIf, compare, merge

IN_ONE_PROCESS_BELOW = 5_000  # starting processes costs more than it saves on fewer events
CHUNKS_PER_PROCESS = 8  # finer chunks: a steadier progress bar, an even finish
_RULESETS: dict[str, Ruleset] = {}


def _load(baseline: str, proposed: str) -> None:
    _RULESETS["baseline"], _RULESETS["proposed"] = load_ruleset(Path(baseline)), load_ruleset(Path(proposed))


def _compare(chunk: Sequence[ReferralSubmitted], acceptance: Acceptance | None) -> WhatIf:
    return compare(chunk, _RULESETS["baseline"], _RULESETS["proposed"], acceptance=acceptance)


def compare_files(events: Sequence[ReferralSubmitted], baseline: Path, proposed: Path, *,
                  acceptance: Acceptance | None = None, processes: int | None = None,
                  progress: Callable[[int], None] = lambda done: None) -> WhatIf:
    """`compare` of `events` under the two ruleset files, over `processes` processes (default: one per CPU)."""
    workers = max(1, processes if processes is not None else (os.cpu_count() or 1))
    if workers == 1 or len(events) < IN_ONE_PROCESS_BELOW:
        return compare(events, load_ruleset(baseline), load_ruleset(proposed), acceptance=acceptance,
                       progress=progress)
    size = -(-len(events) // (workers * CHUNKS_PER_PROCESS))
    chunks = [events[start:start + size] for start in range(0, len(events), size)]
    reports: list[WhatIf] = []
    with ProcessPoolExecutor(workers, initializer=_load, initargs=(str(baseline), str(proposed))) as pool:
        futures = [pool.submit(_compare, chunk, acceptance) for chunk in chunks]
        done = 0
        for chunk, future in zip(chunks, futures, strict=True):  # in order: merge wants consecutive chunks
            reports.append(future.result())
            done += len(chunk)
            progress(done)
    return merge(reports)

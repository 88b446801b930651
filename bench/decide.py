"""decide() throughput on one core, in-process (target: >= 50,000 decisions/s).

Baseline in the same run: parsing and validating the same events from JSON, which every consumer
does before it can decide, so the ratio says how decide() compares with the unavoidable work."""

from __future__ import annotations

import json

from bench.common import case_events, rate, report
from schemas import ReferralSubmitted
from services.policy.engine import decide
from services.policy.ruleset import load_ruleset


def main() -> None:
    ruleset = load_ruleset()
    raw = [json.dumps(e) for e in case_events()]
    events = [ReferralSubmitted.model_validate_json(r) for r in raw]

    def decide_all() -> int:
        for event in events:
            decide(event, ruleset)
        return len(events)

    def parse_all() -> int:
        for r in raw:
            ReferralSubmitted.model_validate_json(r)
        return len(raw)

    decide_all(), parse_all()  # warm up
    print(f"decide(): {len(events)} worked-case events, ruleset {ruleset.version}")
    report("decide() per second", rate(decide_all), "baseline: parse+validate the event per second", rate(parse_all),
           unit="/s", target=">= 50,000 decisions/s absolute")


if __name__ == "__main__":
    main()

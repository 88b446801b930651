"""Helpers for the benchmarks: worked-case events as load, and timing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "services" / "policy" / "golden"


def case_events() -> list[dict[str, Any]]:
    return [json.loads(p.read_text())["event"] for p in sorted(CASES.glob("*.json"))]


def fresh_events(n: int) -> list[dict[str, Any]]:
    """n distinct referral.submitted events (new ids and children), cycling through the worked cases."""
    base = case_events()
    out = []
    for i in range(n):
        event = dict(base[i % len(base)])
        rid = str(uuid.uuid4())
        out.append(event | {"event_id": str(uuid.uuid4()), "referral_id": rid, "correlation_id": rid,
                            "child_id": str(uuid.uuid4())})
    return out


def rate(fn: Callable[[], int], *, min_seconds: float = 2.0) -> float:
    """Items per second: repeats fn (which returns how many items it did) for at least min_seconds."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        done += fn()
    return done / elapsed


def report(name: str, value: float, baseline_name: str, baseline: float, *, unit: str, target: str) -> None:
    print(f"{name:<46} {value:>12,.0f} {unit}")
    print(f"{baseline_name:<46} {baseline:>12,.0f} {unit}")
    print(f"{'ratio':<46} {value / baseline:>12.2f}   (target: {target})")

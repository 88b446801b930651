"""Fault hooks for the delivery tests, off unless a test sets them in the environment.

FRONTDOOR_FAULT_KILL_AFTER_COMMIT=<consumer>[@<n>] kills this process with SIGKILL right after
that consumer's n-th durable effect (default the first: a database commit, or for triage its
batch's sends confirmed) and before its offset is committed: the window in which at-least-once
delivery redelivers an event whose effect is already durable."""

from __future__ import annotations

import os
import signal
from collections import Counter

_calls: Counter[str] = Counter()


def after_commit(consumer: str) -> None:
    wanted = os.environ.get("FRONTDOOR_FAULT_KILL_AFTER_COMMIT")
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != consumer:
        return
    _calls[consumer] += 1
    if _calls[consumer] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)

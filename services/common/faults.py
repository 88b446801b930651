"""Fault hooks for the delivery tests, off unless a test sets them in the environment.

FRONTDOOR_FAULT_KILL_AFTER_COMMIT=<consumer> kills this process with SIGKILL right after that
consumer's database transaction commits and before its offset is committed: the window in which
at-least-once delivery redelivers an event whose effect is already durable."""

from __future__ import annotations

import os
import signal


def after_commit(consumer: str) -> None:
    if os.environ.get("FRONTDOOR_FAULT_KILL_AFTER_COMMIT") == consumer:
        os.kill(os.getpid(), signal.SIGKILL)

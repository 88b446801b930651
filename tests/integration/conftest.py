"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.common.settings import Settings
from tests.stack import Stack


@pytest.fixture(scope="module")
async def stack(settings: Settings, topics: dict[str, int]) -> AsyncIterator[Stack]:
    """Intake, triage and the worklists in-process on the session's broker and database, one per test
    module (a module that needs another set defines its own `stack`)."""
    running = Stack(settings)
    await running.start(worklists=True)
    yield running
    await running.stop()

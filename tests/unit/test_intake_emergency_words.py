"""Issue 20, item 3: the referral's timeline gives an emergency request's due time, not only its day (an
emergency is due within hours); other requests keep their day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from schemas.events import Route
from services.intake.referrals.domain import redirect_text


@pytest.mark.parametrize(
    ("priority", "due", "words"),
    [
        ("emergency", datetime(2026, 12, 7, 15, 40, tzinfo=UTC),
         "New request: Mental health (SEMH), crisis (emergency), due 7 December 2026, 3:40pm"),
        ("emergency", datetime(2026, 6, 1, 23, 30, tzinfo=UTC),  # 00:30 on 2 June in London
         "New request: Mental health (SEMH), crisis (emergency), due 2 June 2026, 12:30am"),
        ("urgent", datetime(2026, 12, 8, 17, 0, tzinfo=UTC),
         "New request: Mental health (SEMH), crisis (urgent), due 8 December 2026"),
    ],
)
def test_an_emergency_request_is_due_at_a_time(priority: str, due: datetime, words: str) -> None:
    route = Route(service="semh", pathway="crisis", priority=priority, due_by=due, reasons=["semh.emergency"],
                  service_request_id=uuid.uuid4())
    assert redirect_text(route) == words

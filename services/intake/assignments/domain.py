"""Who on the front door holds a referral on its queue, the pure part: the `referral.assigned` event for one change,
and which change of who holds a service request intake keeps (the latest). The rules of a change are
`services.common.assignment`'s, shared with the worklists. No SQL, no I/O."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from schemas.events import ReferralAssigned


def referral_assigned(fields: dict[str, Any], *, referral_id: uuid.UUID, child_id: uuid.UUID) -> ReferralAssigned:
    """The event announcing one change (`services.common.teams.event_fields`) of who holds the referral."""
    return ReferralAssigned(correlation_id=referral_id, referral_id=referral_id, child_id=child_id, **fields)


def is_newer(event_at: datetime, event_id: uuid.UUID, kept_at: datetime | None, kept_id: uuid.UUID | None) -> bool:
    """Whether a change (its time, then its id: a total order) comes after the one kept. Changes of one request are
    made one at a time under its row's lock, so their times say their order whatever order they arrive in."""
    if kept_at is None or kept_id is None:
        return True
    return (event_at, str(event_id)) > (kept_at, str(kept_id))

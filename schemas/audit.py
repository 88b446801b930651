"""The access audit's witness on the bus: the head of the audit chain (the last row's id and hash), published where
the database's owner cannot rewrite it. Key = the chain's name; the topic is compacted, so the latest head of each
chain stays. It names no person and no child: an id, a hash and two times."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from schemas.events import Envelope
from schemas.scalars import WHOLE
from schemas.wire import Instant

TOPIC_AUDIT_HEADS = "frontdoor.audit.heads"
CHAIN_PATTERN = r"^[a-z0-9][a-z0-9._\-]{0,99}$"
ChainName = Annotated[str, StringConstraints(pattern=CHAIN_PATTERN)]


class AuditHeadPublished(Envelope):
    """The audit chain's head as it stood at `occurred_at`, on `frontdoor.audit.heads` (key = `chain`).
    `frontdoor audit verify` checks that the row `head_id` is still in the database with `head_hash`."""

    event_type: Literal["audit.head_published"] = "audit.head_published"
    chain: ChainName = Field(description="The chain's name (AUDIT_CHAIN): one chain per audit database.")
    head_id: Annotated[int, Field(ge=1), WHOLE] = Field(description="The id of the chain's last row.")
    head_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="That row's SHA-256 chain hash (hex).")
    head_at: Instant = Field(description="When that row was written.")

"""Deterministic ids: an event produced in reaction to another gets an id derived from it, so a
redelivered input produces the very same outputs and every consumer can deduplicate them."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5f1c3d2e-8b9a-4c1e-9f3b-0d6a7e2c4b10")


def derived_id(source: uuid.UUID, *parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join([str(source), *parts]))

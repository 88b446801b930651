"""Domain errors every service raises from its use cases; the handling kit turns them into HTTP
answers (404, 409) with the message the class gives. Messages hold no personal data."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A use case refused: the class says how (`status`), the message says why (shown to the caller)."""

    status = 400
    message = "The request cannot be carried out"
    extra: dict[str, Any] = {}  # members of the answer beside its title (e.g. who holds an item), not in the message

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class NotFoundError(DomainError):
    status = 404
    message = "Not found"


class ConflictError(DomainError):
    """The record is not in a state that allows this."""

    status = 409
    message = "The record is not in a state that allows this"

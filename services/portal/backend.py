"""The portal is a thin front: it calls the services' own APIs with the signed-in user's token, so
every role rule is enforced once, in the service that owns the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Backends:
    intake: str
    worklists: str
    dsr: str


class BackendError(Exception):
    """A service answered with an error status; `retry_after` is its Retry-After header, if any."""

    def __init__(self, status: int, body: Any, retry_after: str | None = None):
        self.status, self.body, self.retry_after = status, body, retry_after
        super().__init__(f"backend answered {status}")

    @property
    def problems(self) -> list[dict[str, str]]:
        return list(self.body.get("errors", [])) if isinstance(self.body, dict) else []

    @property
    def title(self) -> str:
        return str(self.body.get("title", "")) if isinstance(self.body, dict) else ""


class TokenRefusedError(Exception):
    """A service answered 401: the person's token has expired or was revoked, so they must sign in again."""


class ServiceUnreachableError(Exception):
    """A service did not answer: it timed out (`timed_out`) or could not be reached at all."""

    def __init__(self, *, timed_out: bool):
        self.timed_out = timed_out
        super().__init__("service timed out" if timed_out else "service unreachable")


class Client:
    """`forwarded_for`: the person's address, sent on as X-Forwarded-For so the services' audit rows and rate
    limits see the person, not the portal (the services believe it from addresses in FORWARDED_ALLOW_IPS only)."""

    def __init__(self, backends: Backends, token: str, transport: httpx.AsyncBaseTransport | None = None, *,
                 forwarded_for: str | None = None):
        self.backends = backends
        self.headers = {"Authorization": f"Bearer {token}"}
        if forwarded_for:
            self.headers["X-Forwarded-For"] = forwarded_for
        self.transport = transport

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        base = getattr(self.backends, service)
        try:
            async with httpx.AsyncClient(base_url=base, headers=self.headers, timeout=15,
                                         transport=self.transport) as client:
                response = await client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServiceUnreachableError(timed_out=True) from exc
        except httpx.TransportError as exc:
            raise ServiceUnreachableError(timed_out=False) from exc
        if response.status_code == 401:
            raise TokenRefusedError
        body = self.body_of(response)
        if response.status_code >= 400:
            raise BackendError(response.status_code, body, response.headers.get("retry-after"))
        return body

    @staticmethod
    def body_of(response: httpx.Response) -> Any:
        """The answer's JSON; its text when it is not JSON (a proxy's error page) or its JSON is broken on an error.
        A success whose JSON is broken is the service failing: a 502, as if it had said so."""
        if not response.headers.get("content-type", "").startswith("application/json"):
            return response.text
        try:
            return response.json()
        except ValueError:
            if response.status_code >= 400:
                return response.text
            raise BackendError(502, "the service's answer could not be read") from None

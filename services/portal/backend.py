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
    def __init__(self, status: int, body: Any):
        self.status, self.body = status, body
        super().__init__(f"backend answered {status}")

    @property
    def problems(self) -> list[dict[str, str]]:
        return list(self.body.get("errors", [])) if isinstance(self.body, dict) else []

    @property
    def title(self) -> str:
        return str(self.body.get("title", "")) if isinstance(self.body, dict) else ""


class TokenRefusedError(Exception):
    """A service answered 401: the person's token has expired or was revoked, so they must sign in again."""


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
        async with httpx.AsyncClient(base_url=base, headers=self.headers, timeout=15,
                                     transport=self.transport) as client:
            response = await client.request(method, path, **kwargs)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if response.status_code == 401:
            raise TokenRefusedError
        body: Any = response.json() if is_json else response.text
        if response.status_code >= 400:
            raise BackendError(response.status_code, body)
        return body

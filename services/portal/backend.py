"""The portal is a thin front: it calls the services' own APIs with the signed-in user's token, so
every role rule is enforced once, in the service that owns the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from schemas.views import shown
from services.common.logging import get_logger

log = get_logger("frontdoor.portal")
NOT_UNDERSTOOD = "the service's answer was not what the portal reads"


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

    async def read(self, shape: Any, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """`call`, its success read through `shape`: the model the service's route answers (schemas.views)."""
        return understood(shape, await self.call(service, method, path, **kwargs), service=service, method=method,
                          path=path)

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


def understood(shape: Any, body: Any, *, service: str, method: str, path: str) -> Any:
    """A service's success checked against `shape` and given back as the JSON its route answers (keys it left out
    stay out), so a page reads dicts and lists of what the model says. An answer that does not fit is the service
    failing, as a broken one is: a 502, shown as the service-problem page. Its log line names the call, the model
    and where the answer differs (field paths and pydantic's error types), never what the answer held."""
    try:
        return shown(shape, body)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        log.warning("portal.answer_not_understood", service=service, method=method, path=path,
                    error_type=shape.__name__ if isinstance(shape, type) else str(shape), count=len(problems),
                    problems=sorted({p["type"] for p in problems}),
                    fields=[".".join(str(part) for part in p["loc"]) for p in problems[:20]])
        raise BackendError(502, NOT_UNDERSTOOD) from None

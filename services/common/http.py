"""What every HTTP app shares: health and metrics endpoints, error shapes that never echo input, the guards
of `http_guards.py` (body limits, JSON depth, rate limits, security headers) and an access line with no personal
data."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from schemas.errors import problem, problems
from schemas.names import TypedText as TypedText  # a form's text: the one type, kept where routes import it
from services.common.http_guards import (
    AllowedMethods,
    BodyLimits,
    BodyProblemError,
    JsonDepthLimit,
    RateLimits,
    SecurityHeaders,
    security_headers,
)
from services.common.logging import get_logger
from services.common.settings import Settings

log = get_logger("frontdoor.http")
HTTP_ERRORS = Counter("frontdoor_http_errors", "HTTP responses of 4xx/5xx by status", ["status"])


REQUEST_PROBLEMS = "The request has problems"  # a 422's title, unless the route names what it validates
NOT_JSON = "the body is not JSON"
NOT_UTF8 = "send JSON encoded as UTF-8"


def invalid(exc: ValidationError | RequestValidationError, title: str = REQUEST_PROBLEMS) -> JSONResponse:
    """A 422 naming every problem by field (services.common.answers.Problem); `title` says what was checked,
    e.g. "The referral has problems" where a referral is."""
    errors = problems(exc) if isinstance(exc, ValidationError) else [
        {"field": "(body)", "problem": NOT_JSON} if e["type"] == "json_invalid" else
        problem(".".join(str(p) for p in e["loc"][1:]) or "(body)", str(e["msg"]).removeprefix("Value error, "), e)
        for e in exc.errors()
    ]
    return JSONResponse({"title": title, "errors": errors}, status_code=422)


def invalid_body(problem: str) -> JSONResponse:
    body = {"title": REQUEST_PROBLEMS, "errors": [{"field": "(body)", "problem": problem}]}
    return JSONResponse(body, status_code=422)


def api_docs_on(settings: Settings) -> bool:
    return settings.api_docs if settings.api_docs is not None else settings.auth_mode == "dev"


def api_docs_options(settings: Settings) -> dict[str, Any]:
    """FastAPI's options for /docs, /redoc and /openapi.json: served only when settings.api_docs says so
    (unset: in dev only). `app.openapi()` still builds the document either way."""
    return {} if api_docs_on(settings) else {"openapi_url": None, "docs_url": None, "redoc_url": None}


def install_common(app: FastAPI, *, ready: Any, settings: Settings | None = None,
                   not_allowed: Callable[[Scope, str], Awaitable[Response]] | None = None) -> None:
    """`ready()` says whether the service can take work (broker and database up, not shutting down).
    `settings` defaults to `app.state.settings`; `not_allowed(scope, allow)` answers a method a path does not
    take (default: JSON, as every API answers)."""
    settings = settings or app.state.settings
    error_headers = dict(security_headers(settings, cache=True).headers)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/health/ready", include_in_schema=False)
    async def readiness() -> PlainTextResponse:
        ok = bool(ready())
        return PlainTextResponse("ready" if ok else "not ready", status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid(exc)

    @app.exception_handler(ValidationError)
    async def on_model_invalid(_: Request, exc: ValidationError) -> JSONResponse:
        return invalid(exc)

    @app.exception_handler(BodyProblemError)
    async def on_body_problem(_: Request, exc: BodyProblemError) -> JSONResponse:
        return invalid_body(str(exc.detail))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            return invalid_body(NOT_UTF8)  # FastAPI's 400 for a JSON body it cannot decode: a body problem, 422
        headers = getattr(exc, "headers", None)
        body = exc.detail if isinstance(exc.detail, dict) else {"title": str(exc.detail)}  # a title, or one and more
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def on_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", error_type=type(exc).__name__, exc_info=exc)
        title = "Something went wrong on our side; nothing you sent was lost if you were told it was received."
        return JSONResponse({"title": title}, status_code=500, headers=error_headers)  # outside the middleware

    # Added innermost first: a request meets the access line, the headers, the rate limits, the body limits,
    # then OPTIONS and methods a path does not have are answered.
    app.add_middleware(AllowedMethods, refuse=not_allowed)
    app.add_middleware(JsonDepthLimit, max_depth=settings.max_json_depth)
    app.add_middleware(BodyLimits)
    app.add_middleware(RateLimits, sign_in=settings.sign_in_rate_limit, failed_auth=settings.failed_auth_rate_limit)
    app.add_middleware(SecurityHeaders, settings=settings)

    @app.middleware("http")
    async def access_line(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        if response.status_code >= 400:
            HTTP_ERRORS.labels(str(response.status_code)).inc()
        log.info(
            "http request",
            method=request.method,
            path=getattr(request.scope.get("route"), "path", "(unmatched)"),
            status_code=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

"""What every HTTP app shares: health and metrics endpoints, error shapes that never echo input,
a request-size limit and an access line with no personal data."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.errors import problems
from services.common.logging import get_logger

log = get_logger("frontdoor.http")
MAX_BODY_BYTES = 256 * 1024
MAX_IMPORT_BYTES = 10 * 1024 * 1024  # a bulk import file (about 20,000 rows)
HTTP_ERRORS = Counter("frontdoor_http_errors", "HTTP responses of 4xx/5xx by status", ["status"])


def invalid(exc: ValidationError | RequestValidationError) -> JSONResponse:
    errors = problems(exc) if isinstance(exc, ValidationError) else [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or "(body)",
         "problem": str(e["msg"]).removeprefix("Value error, ")}
        for e in exc.errors()
    ]
    return JSONResponse({"title": "The referral has problems", "errors": errors}, status_code=422)


def invalid_body(problem: str) -> JSONResponse:
    body = {"title": "The request has problems", "errors": [{"field": "(body)", "problem": problem}]}
    return JSONResponse(body, status_code=422)


def install_common(app: FastAPI, *, ready: Any) -> None:
    """`ready()` says whether the service can take work (broker and database up, not shutting down)."""

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

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return JSONResponse({"title": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def on_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", error_type=type(exc).__name__, exc_info=exc)
        title = "Something went wrong on our side; nothing you sent was lost if you were told it was received."
        return JSONResponse({"title": title}, status_code=500)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        length = request.headers.get("content-length")
        limit = MAX_IMPORT_BYTES if request.url.path in ("/imports", "/admin/import") else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > limit):
            response: Response = JSONResponse({"title": f"Request body over {limit} bytes"}, status_code=413)
        else:
            response = await call_next(request)
        if response.status_code >= 400:
            HTTP_ERRORS.labels(str(response.status_code)).inc()
        log.info(
            "http request",
            method=request.method,
            path=request.scope.get("route").path if request.scope.get("route") else "(unmatched)",
            status_code=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

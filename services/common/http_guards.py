"""The guards every HTTP app wears (installed by `http.install_common`): request bodies counted as the bytes
arrive (413), JSON nesting refused past a depth before any parser sees it (422), per-client rate limits on
failed sign-ins and failed authentication (429 with Retry-After), and the security headers (README, "Security")."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from secure import Secure
from secure.headers import (
    CacheControl,
    ContentSecurityPolicy,
    ReferrerPolicy,
    StrictTransportSecurity,
    XContentTypeOptions,
    XFrameOptions,
)
from secure.middleware import SecureASGIMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logging import get_logger
from services.common.settings import Settings

log = get_logger("frontdoor.http")
MAX_BODY_BYTES = 256 * 1024
MAX_IMPORT_BYTES = 10 * 1024 * 1024  # a bulk import file (about 20,000 rows)
IMPORT_PATHS = frozenset({"/imports", "/admin/import"})
# The portal's CSS, fonts, images and scripts: cacheable, nothing personal in them.
STATIC_PREFIXES = ("/assets/", "/static/", "/app-assets/")
DOCS_PREFIXES = ("/docs", "/redoc")  # FastAPI's API documentation pages (settings.api_docs)
SIGN_IN = frozenset({("POST", "/sign-in"), ("GET", "/auth/callback")})
NOT_LIMITED = ("/health/", "/metrics")  # probes and scrapes come from inside, often many at once


class BodyLimits:
    """Starlette's body limit, which counts the bytes as they arrive (a chunked upload has no
    Content-Length to check) and stops at the limit with 413: MAX_IMPORT_BYTES on the bulk-import
    paths, MAX_BODY_BYTES everywhere else."""

    def __init__(self, app: ASGIApp) -> None:
        self.usual = RequestBodyLimitMiddleware(app, max_body_size=MAX_BODY_BYTES)
        self.imports = RequestBodyLimitMiddleware(app, max_body_size=MAX_IMPORT_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limited = self.imports if scope.get("path") in IMPORT_PATHS else self.usual
        await limited(scope, receive, send)


class BodyProblemError(StarletteHTTPException):
    """A body refused while it is read: a 422 naming the problem (install_common's handler)."""

    def __init__(self, problem: str) -> None:
        super().__init__(422, problem)


class JsonTooDeepError(BodyProblemError):
    def __init__(self, max_depth: int) -> None:
        super().__init__(f"the JSON is nested more than {max_depth} levels deep")


_JSON_SYNTAX = re.compile(rb'["\\\[\]{}]')
_UTF8_BOM = b"\xef\xbb\xbf"


class DepthScanner:
    """How deep a JSON body nests, read chunk by chunk as it arrives, without parsing it (a parser
    recurses: a body 1,000 levels deep was a RecursionError, a 500). Only bodies that start with
    `{` or `[` (after white space and a UTF-8 byte-order mark) are followed; a form, CSV or multipart
    body is left alone. JSON in UTF-16 or UTF-32, which json.loads would read but this count could
    not, is refused: JSON between systems is UTF-8 (RFC 8259)."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.json: bool | None = None  # unknown until the first eight bytes past white space are in
        self.head = b""
        self.depth = 0
        self.in_string = False
        self.escaped = -1  # the offset of a byte escaped by a backslash
        self.offset = 0

    def feed(self, chunk: bytes, *, more: bool = False) -> None:
        if self.json is None:
            self.head += chunk
            start = self.head.removeprefix(_UTF8_BOM).lstrip()
            if len(start) < 8 and more:
                return
            if b"\x00" in start[:8]:  # UTF-16 or UTF-32, a byte-order mark or not
                if b"{" in start[:8] or b"[" in start[:8]:
                    raise BodyProblemError("send JSON encoded as UTF-8")
                self.json = False
            else:
                self.json = start[:1] in (b"{", b"[")
            chunk, self.head = self.head, b""
        if self.json:
            self._scan(chunk)
        self.offset += len(chunk)

    def _scan(self, chunk: bytes) -> None:
        for match in _JSON_SYNTAX.finditer(chunk):
            at = self.offset + match.start()
            if at == self.escaped:
                continue
            char = match.group()
            if self.in_string:
                if char == b"\\":
                    self.escaped = at + 1
                elif char == b'"':
                    self.in_string = False
            elif char == b'"':
                self.in_string = True
            elif char in (b"{", b"["):
                self.depth += 1
                if self.depth > self.max_depth:
                    raise JsonTooDeepError(self.max_depth)
            else:
                self.depth -= 1


class JsonDepthLimit:
    """A JSON body nested deeper than settings.max_json_depth is a 422 naming the problem, found while
    the body is read (before any parser sees it)."""

    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scanner = DepthScanner(self.max_depth)

        async def receive_scanned() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                scanner.feed(message.get("body", b""), more=message.get("more_body", False))
            return message

        await self.app(scope, receive_scanned, send)


class RateLimits:
    """Per client address, with `limits` (the library slowapi is built on; slowapi's decorators would sit on
    each route and count requests, while these limits count answers): a sign-in attempt (POST /sign-in,
    GET /auth/callback) that fails (4xx or 5xx) counts against settings.sign_in_rate_limit, and any 401
    against settings.failed_auth_rate_limit. Past the first, sign-in answers 429 with Retry-After until the
    window moves on; past the second, everything but health and metrics does. Successful sign-ins do not
    count, so a school or a council office behind one address is not locked out at nine in the morning.
    Counters live in this process (one set per replica)."""

    def __init__(self, app: ASGIApp, *, sign_in: str, failed_auth: str) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.sign_in = parse(sign_in)
        self.failed_auth = parse(failed_auth)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_LIMITED):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        who = client[0] if client else "unknown"
        signing_in = (scope["method"], scope["path"]) in SIGN_IN
        if not self.limiter.test(self.failed_auth, "failed-auth", who):
            await self.too_many(scope, receive, send, self.failed_auth, "failed-auth", who)
            return
        if signing_in and not self.limiter.test(self.sign_in, "sign-in", who):
            await self.too_many(scope, receive, send, self.sign_in, "sign-in", who)
            return

        async def counting_failures(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 401:
                    self.limiter.hit(self.failed_auth, "failed-auth", who)
                if signing_in and message["status"] >= 400:
                    self.limiter.hit(self.sign_in, "sign-in", who)
            await send(message)

        await self.app(scope, receive, counting_failures)

    async def too_many(self, scope: Scope, receive: Receive, send: Send, limit: RateLimitItem, kind: str,
                       who: str) -> None:
        reset = self.limiter.get_window_stats(limit, kind, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        log.warning("rate limit reached", reason_code=kind, seconds=wait)
        headers = {"Retry-After": str(wait)}
        title = f"Too many attempts from your address. Try again in {wait} seconds."
        accept = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept"), "")
        response: Response = (PlainTextResponse(title, 429, headers) if "text/html" in accept
                              else JSONResponse({"title": title}, 429, headers))
        await response(scope, receive, send)


class AllowedMethods:
    """What a path allows, answered the way RFC 9110 asks: OPTIONS is 204 with `Allow` listing every method of
    every route on the path (Starlette's router only knows the first route it meets, so `/referrals`, a GET
    route and a POST route, answered OPTIONS with 405 and `Allow: GET`); a method the path does not have is 405
    with that same `Allow`. A request some route takes, and a path no route has (404), go on to the router.
    `refuse(scope, allow)`, when given, answers the 405 instead (the portal's page in words, not JSON)."""

    METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

    def __init__(self, app: ASGIApp, refuse: Callable[[Scope, str], Awaitable[Response]] | None = None) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routes = getattr(scope.get("app"), "routes", ())
        if scope["type"] != "http" or self.taken(routes, scope, scope["method"]):
            await self.app(scope, receive, send)
            return
        allowed = {method for method in self.METHODS if self.taken(routes, scope, method)}
        if not allowed:
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(allowed | {"OPTIONS"}))
        if scope["method"] == "OPTIONS":
            response: Response = Response(status_code=204, headers={"Allow": allow})
        elif self.refuse is not None:
            response = await self.refuse(scope, allow)
        else:
            response = JSONResponse({"title": f"This address does not take {scope['method']}"}, 405, {"Allow": allow})
        await response(scope, receive, send)

    @staticmethod
    def taken(routes: Any, scope: Scope, method: str) -> bool:
        """Whether a route of the app (an included router's, a mount's) takes `method` on this path."""
        asked = {**scope, "method": method}
        return any(route.matches(asked)[0] is Match.FULL for route in routes)


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else None


def security_headers(settings: Settings, *, cache: bool, docs: bool = False) -> Secure:
    """The headers every response carries (`secure`): a CSP with no inline script, no framing, no
    sniffing, no referrer, HSTS outside dev and, but for static assets, `Cache-Control: no-store`.
    Forms may post to this origin and, with oidc, to the identity provider (sign-out redirects there)."""
    provider = [settings.oidc_issuer, settings.oidc_authorize_url, settings.oidc_end_session_url,
                settings.oidc_discovery_url] if settings.auth_mode == "oidc" else []
    origins = sorted({o for o in map(_origin, provider) if o})
    csp = ContentSecurityPolicy().default_src("'self'")
    if docs:  # FastAPI's Swagger UI and ReDoc pages load their code from a CDN and start it inline
        cdn = "https://cdn.jsdelivr.net"
        csp = (csp.script_src("'self'", cdn, "'unsafe-inline'")
               .style_src("'self'", cdn, "'unsafe-inline'", "https://fonts.googleapis.com")
               .img_src("'self'", "data:", "https://fastapi.tiangolo.com", "https://cdn.redoc.ly")
               .font_src("'self'", "https://fonts.gstatic.com").worker_src("blob:"))
    else:
        csp = csp.script_src("'self'").style_src("'self'").img_src("'self'", "data:").font_src("'self'")
    csp = (csp.frame_ancestors("'none'").base_uri("'none'").form_action("'self'", *origins)
           .object_src("'none'"))
    return Secure(
        csp=csp, xfo=XFrameOptions().deny(), xcto=XContentTypeOptions(), referrer=ReferrerPolicy().no_referrer(),
        hsts=StrictTransportSecurity().max_age(31_536_000).include_subdomains() if settings.auth_mode != "dev"
        else None,
        cache=CacheControl().no_store() if cache else None,
    )


class SecurityHeaders:
    """`secure`'s ASGI middleware on every response, with the header set chosen by path."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.pages = SecureASGIMiddleware(app, secure=security_headers(settings, cache=True))
        self.assets = SecureASGIMiddleware(app, secure=security_headers(settings, cache=False))
        self.docs = SecureASGIMiddleware(app, secure=security_headers(settings, cache=True, docs=True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        chosen = (self.assets if path.startswith(STATIC_PREFIXES)
                  else self.docs if path.startswith(DOCS_PREFIXES) else self.pages)
        await chosen(scope, receive, cast(Any, send))  # secure types a message as `object`

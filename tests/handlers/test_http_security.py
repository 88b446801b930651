"""What every app does before and around its routes (issue 12, items 4, 5 and 15): body limits counted as
the bytes arrive, JSON nested too deep refused, security headers on every response, 429 past the sign-in
and failed-authentication limits. Intake's API and the portal, in-process on migrated SQLite."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth import mint_dev_token
from services.common.http_guards import MAX_BODY_BYTES
from services.common.settings import Settings
from services.intake.main import create_app as intake_app
from services.intake.referrals import handlers
from services.portal.main import create_app as portal_app
from tests.handlers.conftest import NOW
from tests.handlers.intake_support import BY, decided, submit

CHUNK = 64 * 1024
CSP = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
       "font-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'",
       "object-src": "'none'"}


def settings_for(engine: Engine, **changes: Any) -> Settings:
    return Settings(database_url=str(engine.url), **changes)


def client(app: Any, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def token(settings: Settings, subject: str = BY.subject, roles: tuple[str, ...] = ("referrer",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(settings, subject=subject, roles=list(roles))}"}


class Upload:
    """A chunked body (no Content-Length) of `total` bytes, counting the chunks the server pulled."""

    def __init__(self, total: int, chunk: bytes = b"x" * CHUNK):
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent * len(self.chunk) < self.total:
            self.sent += 1
            yield self.chunk


@pytest.fixture
def intake(engine: Engine) -> Iterator[tuple[httpx.AsyncClient, Settings]]:
    settings = settings_for(engine)
    yield client(intake_app(settings, engine=engine), "http://intake"), settings


@pytest.fixture
def portal(engine: Engine) -> Iterator[httpx.AsyncClient]:
    yield client(portal_app(settings_for(engine), engine=engine), "http://127.0.0.1:8080")


# Item 5: body limits

async def test_a_chunked_48_mb_upload_to_post_referrals_stops_at_the_limit(intake: Any) -> None:
    """The reproduction: 48 MB with no Content-Length was read to the end and parsed (422, not 413)."""
    api, settings = intake
    upload = Upload(48 * 1024 * 1024)
    async with api:
        answer = await api.post("/referrals", content=upload, headers=token(settings))
    assert answer.status_code == 413
    assert upload.sent <= MAX_BODY_BYTES // CHUNK + 1  # stopped at the limit, not at the end


async def test_the_portal_sign_in_stops_reading_at_the_limit(portal: httpx.AsyncClient) -> None:
    """The reproduction: the portal's sign-in read an 8 MB form to the end."""
    upload = Upload(8 * 1024 * 1024, chunk=b"user=" + b"a" * (CHUNK - 5))
    async with portal:
        answer = await portal.post("/sign-in", content=upload,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
    assert upload.sent <= MAX_BODY_BYTES // CHUNK + 1


async def test_a_body_under_the_limit_still_arrives_whole(intake: Any) -> None:
    api, settings = intake
    async with api:
        answer = await api.post("/referrals", content=Upload(CHUNK * 2, chunk=b" " * CHUNK), headers=token(settings))
    assert answer.status_code == 422  # read to the end: white space is not a referral


async def test_json_nested_1000_deep_in_a_patch_is_a_422_not_a_500(intake: Any, engine: Engine) -> None:
    """The reproduction: PATCH /referrals/{id} with a 1,000-deep body was a RecursionError (500)."""
    api, settings = intake
    with Session(engine, expire_on_commit=False) as session:
        record = submit(session)
        handlers.apply_decision(session, decided(record, outcome="needs_information", missing=("voice_of_child",)),
                                NOW)
        session.commit()
    deep = b'{"voice_of_child": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    async with api:
        answer = await api.patch(f"/referrals/{record.id}", content=deep, headers=token(settings))
        shallow = await api.patch(f"/referrals/{record.id}", content=b'{"voice_of_child": [[["x"]]]}',
                                  headers=token(settings))
        in_utf16 = await api.patch(f"/referrals/{record.id}", content=deep.decode().encode("utf-16-be"),
                                   headers=token(settings))  # json.loads reads UTF-16 too
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "(body)", "problem": "the JSON is nested more than 32 levels deep"}]
    assert in_utf16.status_code == 422
    assert in_utf16.json()["errors"] == [{"field": "(body)", "problem": "send JSON encoded as UTF-8"}]
    assert shallow.status_code == 422 and "nested" not in shallow.text  # refused for what it says, not its depth


async def test_brackets_inside_strings_do_not_count_as_depth(intake: Any) -> None:
    api, settings = intake
    body = b'{"reason": "' + b"[{" * 500 + b'\\"' + b"[" * 50 + b'"}'
    async with api:
        answer = await api.post("/referrals", content=body, headers=token(settings))
    assert answer.status_code == 422 and "nested" not in answer.text


# Item 4: headers

def csp_of(response: httpx.Response) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_secure(response: httpx.Response, *, hsts: bool, cached: bool = False) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in headers) is hsts
    if not cached:
        assert headers["cache-control"] == "no-store"


async def test_the_api_sends_security_headers_on_answers_and_refusals(intake: Any) -> None:
    api, settings = intake
    async with api:
        listed = await api.get("/referrals", headers=token(settings))
        refused = await api.get("/referrals")
        missing = await api.get(f"/referrals/{uuid.uuid4()}", headers=token(settings))
    for answer in (listed, refused, missing):
        assert_secure(answer, hsts=False)
        assert csp_of(answer) == CSP
    assert (listed.status_code, refused.status_code, missing.status_code) == (200, 401, 404)


async def test_a_csv_download_is_not_cached_and_not_sniffed(intake: Any) -> None:
    api, settings = intake
    async with api:
        answer = await api.get("/reports/concerns-by-school", params={"format": "csv"},
                               headers=token(settings, "manager-1", ("manager",)))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert_secure(answer, hsts=False)


async def test_even_a_500_carries_the_headers() -> None:
    from fastapi import FastAPI

    from services.common.http import install_common

    app = FastAPI()
    install_common(app, ready=lambda: True, settings=Settings())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        answer = await http.get("/boom")
    assert answer.status_code == 500
    assert_secure(answer, hsts=False)
    assert csp_of(answer) == CSP


async def test_portal_pages_have_a_csp_without_inline_script_and_assets_stay_cacheable(
        portal: httpx.AsyncClient) -> None:
    async with portal:
        page = await portal.get("/sign-in")
        asset = await portal.get("/static/govuk-frontend.min.css")
    assert page.status_code == 200
    assert_secure(page, hsts=False)
    assert csp_of(page) == CSP  # no inline script or style
    assert asset.status_code == 200
    assert_secure(asset, hsts=False, cached=True)
    assert "no-store" not in asset.headers.get("cache-control", "")


async def test_outside_dev_hsts_is_sent_and_forms_may_go_to_the_identity_provider(engine: Engine) -> None:
    settings = settings_for(engine, auth_mode="oidc", oidc_issuer="https://idp.example.gov.uk/realms/council",
                            oidc_jwks_url="https://idp.example.gov.uk/jwks",
                            oidc_end_session_url="https://logout.example.gov.uk/end")
    async with client(intake_app(settings, engine=engine), "http://intake") as api:
        answer = await api.get("/referrals")
    assert_secure(answer, hsts=True)
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert csp_of(answer) == CSP | {"form-action": "'self' https://idp.example.gov.uk https://logout.example.gov.uk"}


# Item 15: rate limits

async def test_failed_authentication_past_the_limit_is_429_with_retry_after(engine: Engine) -> None:
    settings = settings_for(engine, failed_auth_rate_limit="3/minute")
    async with client(intake_app(settings, engine=engine), "http://intake") as api:
        failures = [(await api.get("/referrals", headers={"Authorization": "Bearer forged"})).status_code
                    for _ in range(3)]
        blocked = await api.get("/referrals", headers=token(settings))  # even a good token, from that address
        healthy = await api.get("/health/live")
    assert failures == [401, 401, 401]
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 60
    assert_secure(blocked, hsts=False)
    assert healthy.status_code == 200


async def test_successes_do_not_count_as_failures(engine: Engine) -> None:
    settings = settings_for(engine, failed_auth_rate_limit="2/minute")
    async with client(intake_app(settings, engine=engine), "http://intake") as api:
        answers = [(await api.get("/referrals", headers=token(settings))).status_code for _ in range(5)]
    assert answers == [200] * 5


async def test_failed_sign_ins_past_the_limit_are_429_with_retry_after(engine: Engine) -> None:
    settings = settings_for(engine, sign_in_rate_limit="2/minute")
    async with client(portal_app(settings, engine=engine), "http://127.0.0.1:8080") as site:
        async def sign_in(user: str, **headers: str) -> httpx.Response:
            page = await site.get("/sign-in")
            form = {"user": user, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]}
            return await site.post("/sign-in", data=form, headers=headers)

        signed_in = [(await sign_in("senco-seaview")).status_code for _ in range(3)]
        failed = [await site.get("/auth/callback", params={"code": "x", "state": "forged"}),
                  await sign_in("nobody")]
        third = await sign_in("senco-seaview", Accept="text/html")
        page = await site.get("/sign-in")  # looking at the page is not an attempt
    assert signed_in == [303] * 3  # people signing in from one school's address are not held back
    assert [f.status_code // 100 for f in failed] == [4, 4]
    assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
    assert "Try again in" in third.text and third.headers["content-type"].startswith("text/plain")
    assert page.status_code == 200


# Item 14: the API's documentation pages

OIDC = {"auth_mode": "oidc", "oidc_issuer": "https://idp.example.gov.uk", "oidc_jwks_url": "https://idp.example.gov.uk/k"}


def api(name: str, settings: Settings, engine: Engine) -> Any:
    from services.dsr.main import create_app as dsr_app
    from services.worklists.main import create_app as worklists_app

    return {"intake": intake_app, "dsr": dsr_app, "worklists": worklists_app}[name](settings, engine=engine)


@pytest.mark.parametrize("name", ["intake", "dsr", "worklists"])
@pytest.mark.parametrize(("changes", "served"), [({}, True), (OIDC, False), (OIDC | {"api_docs": True}, True),
                                                  ({"api_docs": False}, False)])
async def test_api_documentation_is_served_only_when_the_setting_says(
        engine: Engine, name: str, changes: dict[str, Any], served: bool) -> None:
    app = api(name, settings_for(engine, **changes), engine)
    async with client(app, "http://api") as http:
        answers = [(await http.get(path)).status_code for path in ("/docs", "/redoc", "/openapi.json")]
    assert answers == ([200] * 3 if served else [404] * 3)
    assert app.openapi()["info"]["title"].startswith("Front Door")  # the document itself can still be built


async def test_the_docs_page_may_load_swagger_from_its_cdn_but_still_cannot_be_framed(engine: Engine) -> None:
    async with client(intake_app(settings_for(engine), engine=engine), "http://intake") as http:
        page = await http.get("/docs")
    assert "https://cdn.jsdelivr.net" in csp_of(page)["script-src"]
    assert csp_of(page)["frame-ancestors"] == "'none'"
    assert_secure(page, hsts=False)

"""The portal's forms against cross-site request forgery (issue 12, item 3), on the running portal with a migrated
SQLite database and the services stood in for: a state-changing request needs the session's token, must come from
the portal's own pages (Origin, Sec-Fetch-Site) and must be a form. The issue's reproduction was a page on another
port of the same host getting a SEMH request accepted as the signed-in worker."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import Engine

from services.common.settings import Settings
from services.portal.main import create_app
from tests.handlers.portal_standins import BASE, StandIn, page, told_which_model

EXPIRED = "This form has expired. Go back, reload the page and try again."
REQUEST_ID = uuid.UUID("5b0a6a8e-6f4e-4a55-9a4f-1f2b3c4d5e6f")
ACCEPT = f"/work/semh/{REQUEST_ID}/accept"
ACCEPTED = f"/worklists/semh/requests/{REQUEST_ID}/accept"  # what the portal asks of the worklists
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


class Services(StandIn):
    """The services' APIs as the portal reaches them (a stand-in: answers built from their routes' models),
    remembering each state-changing call and its body as sent."""

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []
        self.on("POST", ACCEPTED, 200, {"service_request_id": str(REQUEST_ID), "status": "accepted"})
        self.on("POST", "/imports", 200, {"refused": False, "imported": 1, "already": 0, "bad_rows": 0, "rows": 1,
                                          "problems": []})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.changes.append((request.method, request.url.path))
            self.bodies.append(request.content)
        return super().handle(request)


@pytest.fixture
def services() -> Iterator[Services]:
    with told_which_model():
        yield Services()


@pytest.fixture
async def portal(engine: Engine, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(services.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, user: str) -> str:
    """Signs in as `user`; the token of the session that follows."""
    _, token = await page(client, "/sign-in")
    done = await client.post("/sign-in", data={"user": user, "csrf_token": token})
    assert done.status_code == 303
    return (await page(client, done.headers["location"]))[1]


async def test_signing_in_needs_the_token_of_the_session(portal: httpx.AsyncClient) -> None:
    _, token = await page(portal, "/sign-in")
    for sent in ({}, {"csrf_token": ""}, {"csrf_token": "not-the-token"}, {"csrf_token": token + "x"}):
        refused = await portal.post("/sign-in", data={"user": "worker-semh"} | sent)
        assert refused.status_code == 403 and EXPIRED in refused.text
        assert "Signed in as" not in refused.text
    assert (await portal.get("/work/semh")).status_code == 303  # still nobody signed in: sent to sign in
    done = await portal.post("/sign-in", data={"user": "worker-semh", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/work/semh"


async def test_another_session_s_token_is_refused(engine: Engine, services: Services) -> None:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(services.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as attacker, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as worker:
        attackers_token = await sign_in(attacker, "hv-east")
        await sign_in(worker, "worker-semh")
        refused = await worker.post(ACCEPT, data={"csrf_token": attackers_token})
    assert refused.status_code == 403 and EXPIRED in refused.text
    assert services.changes == []


@pytest.mark.parametrize(("case", "headers", "body", "status"), [
    ("no token", {}, {"note": "accept"}, 403),
    ("a wrong token", {}, {"csrf_token": "guessed"}, 403),
    ("a page on another port of the same host", {"sec-fetch-site": "same-site"}, None, 403),
    ("another site", {"sec-fetch-site": "cross-site"}, None, 403),
    ("another port's origin", {"origin": "http://portal.test:8081"}, None, 403),
    ("another site's origin", {"origin": "https://evil.example"}, None, 403),
    ("a sandboxed frame on another site", {"origin": "null", "sec-fetch-site": "cross-site"}, None, 403),
    ("its own page under no-referrer, without the token", {"origin": "null", "sec-fetch-site": "same-origin"},
     {"note": "accept"}, 403),
])
async def test_a_worker_s_action_is_refused_unless_it_is_their_own_form(
    portal: httpx.AsyncClient, services: Services, case: str, headers: dict[str, str], body: dict[str, str] | None,
    status: int,
) -> None:
    token = await sign_in(portal, "worker-semh")
    refused = await portal.post(ACCEPT, data={"csrf_token": token} if body is None else body, headers=headers)
    assert refused.status_code == status, case
    assert "This form" in refused.text and "Signed in as" in refused.text  # a page in words, still signed in
    assert services.changes == []
    accepted = await portal.post(ACCEPT, data={"csrf_token": token},
                                 headers={"origin": BASE, "sec-fetch-site": "same-origin"})
    assert accepted.status_code == 303
    no_referrer = await portal.post(ACCEPT, data={"csrf_token": token},  # how a browser sends it under no-referrer
                                    headers={"origin": "null", "sec-fetch-site": "same-origin"})
    assert no_referrer.status_code == 303
    assert services.changes == [("POST", ACCEPTED)] * 2
    assert services.bodies == [b"{}"] * 2  # the token is the portal's: the service never sees it


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
async def test_only_a_form_is_accepted(portal: httpx.AsyncClient, services: Services, content_type: str | None) -> None:
    token = await sign_in(portal, "worker-semh")
    headers = {"content-type": content_type} if content_type else {}
    sent = await portal.post(ACCEPT, content=f'{{"csrf_token": "{token}"}}', headers=headers)
    assert sent.status_code == 415 and "This form could not be read" in sent.text
    as_upload = await portal.post(ACCEPT, data={"csrf_token": token}, files={"file": ("a.csv", b"x")})
    assert as_upload.status_code == 415  # a multipart body only where a file is uploaded
    assert services.changes == []


async def test_signing_out_needs_the_token(portal: httpx.AsyncClient) -> None:
    token = await sign_in(portal, "worker-semh")
    assert (await portal.post("/sign-out", headers=FORM_TYPE)).status_code == 403
    assert (await portal.get("/work/semh")).status_code == 200  # still signed in
    done = await portal.post("/sign-out", data={"csrf_token": token})
    assert done.status_code == 303 and (await portal.get("/work/semh")).status_code == 303


async def test_a_refused_form_loses_no_draft(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "senco-seaview")
    _, token = await page(portal, "/referrals/new/child")
    answers = {"child-given_name": "Ada", "child-family_name": "Lovelace", "dob-day": "3", "dob-month": "4",
               "dob-year": "2016", "child-postcode": "SS1 2AB", "csrf_token": token}
    assert (await portal.post("/referrals/new/child", data=answers)).status_code == 303
    refused = await portal.post("/referrals/new/child", data=answers | {"child-given_name": "Eve", "csrf_token": "x"})
    assert refused.status_code == 403 and EXPIRED in refused.text
    html, _ = await page(portal, "/referrals/new/child")
    assert 'value="Ada"' in html and "Eve" not in html
    await page(portal, "/referrals/new/check")


async def test_an_administrator_uploads_a_file_with_the_token(portal: httpx.AsyncClient, services: Services) -> None:
    await sign_in(portal, "fd-admin")
    _, token = await page(portal, "/admin/import")
    upload = {"file": ("referrals.csv", b"given_name\nAda\n", "text/csv")}
    refused = await portal.post("/admin/import", data={"mode": "all"}, files=upload)
    assert refused.status_code == 403 and services.changes == []
    done = await portal.post("/admin/import", data={"mode": "all", "csrf_token": token}, files=upload)
    assert done.status_code == 200 and "1 referrals imported" in done.text
    assert services.changes == [("POST", "/imports")]
    broken = await portal.post("/admin/import", content=b"--x\r\nnot a part",
                               headers={"content-type": "multipart/form-data; boundary=x"})
    assert broken.status_code in (400, 403)


async def test_the_pages_run_no_inline_script_and_load_only_the_portal_s_files(portal: httpx.AsyncClient) -> None:
    html, _ = await page(portal, "/sign-in")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.DOTALL | re.IGNORECASE)
    assert scripts and all(re.search(r'\ssrc="/', attrs) and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=|javascript:", html, flags=re.IGNORECASE)
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    for path in re.findall(r'<script[^>]*\ssrc="([^"]+)"', html):
        script = await portal.get(path)
        assert script.status_code == 200 and "javascript" in script.headers["content-type"], path


async def test_the_token_goes_with_the_session_signing_in_and_out(portal: httpx.AsyncClient,
                                                                   services: Services) -> None:
    _, before = await page(portal, "/sign-in")
    after = await sign_in(portal, "worker-semh")
    assert after != before  # a new session at sign-in, and its own token: one known beforehand opens nothing
    assert (await portal.post(ACCEPT, data={"csrf_token": before})).status_code == 403
    assert (await portal.post("/sign-out", data={"csrf_token": after})).status_code == 303
    _, next_visit = await page(portal, "/sign-in")
    assert next_visit not in (before, after)
    assert services.changes == []

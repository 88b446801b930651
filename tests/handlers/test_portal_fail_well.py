"""Pages that fail well (issue 22, items 9 and 12): an unknown address, a method an address does not take and an
unknown static file are GOV.UK "Page not found" pages, never `{"title":"Not Found"}`; the import banner is words, not
escaped HTML; the import page offers the sample file; a signed-in page carries the timeout warning (its dialog,
the time left, "Stay signed in" that extends the session, "Sign out"); and a form posted after the session ended is
kept for the same person, who is brought back to it after signing in again."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy import Engine

from services.intake.referrals.bulk import COLUMNS
from services.intake.referrals.sample import sample_import_csv
from tests.handlers import portal_standins
from tests.handlers.portal_standins import CsvText, StandIn, page, sign_in
from tests.handlers.test_portal_sessions import PORTAL, Backend, Clock, csrf_token
from tests.handlers.test_portal_sessions import portal as portal_with_clock
from tests.handlers.test_portal_sessions import sign_in as sign_in_at_portal

portal, standin = portal_standins.portal, portal_standins.standin  # the fixtures
Timed = tuple[httpx.AsyncClient, Clock]


@pytest.fixture
async def timed(engine: Engine) -> AsyncIterator[Timed]:
    """The portal as the session tests make it, its sessions' clock moved on by the test (nobody sleeps)."""
    clock = Clock()
    app = portal_with_clock(engine, Backend(), clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PORTAL) as client:
        yield client, clock


def not_found_page(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.text[:200]
    assert "<h1 class=\"govuk-heading-l\">Page not found</h1>" in response.text
    assert "If you typed the web address, check it is correct." in response.text
    assert '"title"' not in response.text


async def test_an_unknown_address_is_a_govuk_page_not_found(portal: httpx.AsyncClient) -> None:
    for path in ("/no-such-page", "/dsr/not/a/page/at/all", "/app-assets/no-such-file.js", "/static/nothing.css"):
        response = await portal.get(path)
        assert response.status_code == 404, path
        not_found_page(response)
    await sign_in(portal, "dsr-chair")  # signed in: the same page, with the person's menu
    signed_in = await portal.get("/no-such-page")
    assert signed_in.status_code == 404
    not_found_page(signed_in)
    assert "Signed in as Alex Morgan" in signed_in.text


async def test_a_method_an_address_does_not_take_is_a_page_too(portal: httpx.AsyncClient) -> None:
    response = await portal.get("/sign-out")  # POST only: typed into the address bar
    assert response.status_code == 405 and "POST" in response.headers["allow"]
    not_found_page(response)


async def test_the_import_banner_is_words_not_markup(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "fd-admin")
    _, token = await page(portal, "/admin/import")
    upload = {"file": ("referrals.csv", b"given_name\n<b>x</b>\n", "text/csv")}
    for result, words in (
        ({"rows": 12, "bad_rows": 3, "problems": [], "imported": 0, "already": 0, "refused": True},
         "3 of 12 rows have problems."),
        ({"rows": 12, "bad_rows": 2, "problems": [], "imported": 9, "already": 1, "refused": False},
         "9 referrals imported, 1 were already imported. 2 rows with problems were left out."),
    ):
        standin.on("POST", "/imports", 200, result)
        shown = await portal.post("/admin/import", data={"mode": "all", "csrf_token": token}, files=upload)
        assert shown.status_code == 200
        assert "&lt;p" not in shown.text and "&#39;govuk-notification-banner__heading" not in shown.text
        heading = re.search(r'<p class="govuk-notification-banner__heading">(.*?)</p>', shown.text, re.DOTALL)
        assert heading is not None, shown.text
        assert words in " ".join(heading.group(1).split())


async def test_the_import_page_offers_the_sample_file(portal: httpx.AsyncClient, standin: StandIn) -> None:
    await sign_in(portal, "fd-admin")
    standin.answer_as_is("GET", "/imports/sample", 200, CsvText(sample_import_csv(10, 0, today=date.today())))
    html, _ = await page(portal, "/admin/import")
    assert re.search(r'<a class="govuk-link" href="/admin/import/sample.csv" download>[^<]*sample', html)
    sample = await portal.get("/admin/import/sample.csv")
    assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/csv")
    assert sample.headers["content-disposition"] == 'attachment; filename="front-door-import-sample.csv"'
    rows = list(csv.DictReader(io.StringIO(sample.text)))
    assert list(rows[0]) == list(COLUMNS) and len(rows) >= 5
    assert all(r["given_name"] and r["date_of_birth"] for r in rows)
    await sign_in(portal, "commissioning")  # a manager: not theirs
    assert (await portal.get("/admin/import/sample.csv")).status_code == 403


async def test_a_signed_in_page_carries_the_timeout_warning(portal: httpx.AsyncClient) -> None:
    signed_out = (await portal.get("/sign-in")).text
    assert "app-timeout-warning" not in signed_out  # nobody to warn
    await sign_in(portal, "dsr-chair")
    html = (await portal.get("/dsr/add")).text
    root = re.search(r'<div class="app-timeout-warning" data-module="app-timeout-warning"'
                     r' data-seconds-left="(\d+)" data-warn-before="120"[^>]*>', html)
    assert root is not None, html[-3000:]
    assert 1790 <= int(root.group(1)) <= 1800  # the idle timeout: 30 minutes
    dialog = re.search(r'<dialog class="app-timeout-warning__dialog"[^>]*aria-labelledby="timeout-heading"[^>]*>'
                       r'(.*?)</dialog>', html, re.DOTALL)
    assert dialog is not None
    assert "You will be signed out soon" in dialog.group(1)
    assert re.search(r'<form method="post" action="/session/extend"', dialog.group(1))
    assert "Stay signed in" in dialog.group(1) and "Sign out" in dialog.group(1)
    assert 'aria-live="polite"' in dialog.group(1)
    assert '<script type="module" src="/app-assets/timeout-warning.js"></script>' in html


async def test_stay_signed_in_extends_the_session(timed: Timed) -> None:
    client, clock = timed
    await sign_in_at_portal(client, "senco-seaview")
    token = csrf_token((await client.get("/referrals")).text)
    clock.move(minutes=28)  # the warning shows at 28 minutes
    extended = await client.post("/session/extend", data={"csrf_token": token},
                                 headers={"Origin": PORTAL, "Accept": "application/json"})
    assert extended.status_code == 200 and extended.json() == {"seconds_left": 1800}
    clock.move(minutes=28)  # 56 minutes after the page was opened: still signed in
    assert (await client.get("/referrals")).status_code == 200
    no_js = await client.post("/session/extend", data={"csrf_token": token, "return_to": "/referrals/new"},
                              headers={"Origin": PORTAL})
    assert no_js.status_code == 303 and no_js.headers["location"] == "/referrals/new"
    elsewhere = await client.post("/session/extend", data={"csrf_token": token,
                                                           "return_to": "https://evil.example/"},
                                  headers={"Origin": PORTAL})
    assert elsewhere.headers["location"] == "/"  # only the portal's own pages


async def test_a_form_posted_after_the_session_ended_is_kept_for_the_same_person(timed: Timed) -> None:
    client, clock = timed
    await sign_in_at_portal(client, "dsr-chair")
    token = csrf_token((await client.get("/dsr/add")).text)
    clock.move(minutes=31)  # the idle timeout passed while they typed
    answers = {"given_name": "Ffion", "family_name": "Kept-After-Timeout", "reason": "Typed before the timeout"}
    late = await client.post("/dsr/add", data=answers | {"csrf_token": token},
                             headers={"Origin": PORTAL, "Sec-Fetch-Site": "same-origin"})
    assert late.status_code == 303 and late.headers["location"] == "/sign-in"
    signing_in = (await client.get("/sign-in")).text
    assert "You were signed out" in signing_in and "your answers have been kept" in signing_in
    again = await client.post("/sign-in", data={"user": "dsr-chair", "csrf_token": csrf_token(signing_in)},
                              headers={"Origin": PORTAL})
    assert again.status_code == 303 and again.headers["location"] == "/continue"
    resume = await client.get("/continue")
    assert resume.status_code == 200
    form = re.search(r'<form method="post" action="/dsr/add"[^>]*>(.*?)</form>', resume.text, re.DOTALL)
    assert form is not None, resume.text
    for name, value in answers.items():
        assert f'name="{name}" value="{value}"' in form.group(1)
    assert f'value="{csrf_token(resume.text)}"' in form.group(1) and csrf_token(resume.text) != token
    sent = await client.post("/dsr/add", data=answers | {"csrf_token": csrf_token(resume.text)},
                             headers={"Origin": PORTAL})
    assert sent.status_code in (303, 422)  # the form's own answer: it took the answers
    assert "Kept-After-Timeout" in (await client.get("/dsr/add")).text
    assert (await client.get("/continue")).headers.get("location") == "/dsr"  # used once, then home


async def test_kept_answers_are_never_shown_to_someone_else(timed: Timed) -> None:
    client, clock = timed
    await sign_in_at_portal(client, "dsr-chair")
    token = csrf_token((await client.get("/dsr/add")).text)
    clock.move(minutes=31)
    await client.post("/dsr/add", data={"given_name": "Secret", "csrf_token": token},
                      headers={"Origin": PORTAL, "Sec-Fetch-Site": "same-origin"})
    other = await sign_in_at_portal(client, "asc-practitioner")  # someone else at the same computer
    assert other.headers["location"] == "/dsr/entries"
    assert "Secret" not in (await client.get("/continue")).text
    assert "Secret" not in (await client.get("/dsr/add")).text


async def test_a_form_from_elsewhere_after_the_session_ended_is_not_kept(timed: Timed) -> None:
    client, clock = timed
    await sign_in_at_portal(client, "dsr-chair")
    clock.move(minutes=31)
    planted = await client.post("/dsr/add", data={"given_name": "Planted", "csrf_token": "x"})  # no Origin
    assert planted.status_code == 403  # as before: this form has expired
    again = await sign_in_at_portal(client, "dsr-chair")
    assert again.headers["location"] == "/dsr"

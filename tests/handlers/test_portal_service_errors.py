"""Every error a service can give the portal becomes a GOV.UK page in words with the right status (issue 20, item 10):
401 signs the person out, 403, 404, 409, 413, 422, 429 (with Retry-After in the wording), 5xx, a timeout and a
service that cannot be reached; never a reset connection, a stack trace or a library's text. The services are
stood in for by a fake that answers each page's call with one status (or fails to answer); the pure wording is
tested by table too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import Engine

from services.common.settings import Settings
from services.portal import failures
from services.portal.main import create_app
from tests.handlers.portal_standins import BASE, sign_in

SERVICE_TITLE = "Internal detail the person must not see"
THERE_IS_A_PROBLEM = "Sorry, there is a problem with the service"
Answer = Callable[[httpx.Request], httpx.Response]


def answering(status: int, headers: dict[str, str] | None = None, *, json: bool = True) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if json:
            return httpx.Response(status, json={"title": SERVICE_TITLE}, headers=headers)
        return httpx.Response(status, text=f"<html>{SERVICE_TITLE}</html>", headers={"content-type": "text/html"})
    return answer


def broken(request: httpx.Request) -> httpx.Response:
    """A success whose JSON cannot be read (a proxy cut it short)."""
    return httpx.Response(200, content=b'[{"service_request_id": "5b0a', headers={"content-type": "application/json"})


def failing(error: type[httpx.TransportError]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error("library text: [Errno 111] Connection refused", request=request)
    return answer


class Fake:
    answer: Answer = staticmethod(answering(200))  # type: ignore[assignment]

    def handle(self, request: httpx.Request) -> httpx.Response:
        return self.answer(request)


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
async def portal(engine: Engine, fake: Fake) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=str(engine.url), portal_url=BASE)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(fake.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


CASES = [
    # what the service does, the portal's status, the page's heading, words in the page
    (answering(403), 403, "You cannot do this", "Your role does not allow this"),
    (answering(404), 404, "Page not found", "Check the address"),
    (answering(409), 409, "This has changed since you opened the page", "Go back, reload the page"),
    (answering(413), 413, "What you sent is too large", "Go back"),
    (answering(422), 422, "What you sent could not be used", "Go back"),
    (answering(429), 429, "Too many requests", "Too many requests: wait a minute and try again."),
    (answering(429, {"Retry-After": "180"}), 429, "Too many requests", "wait 3 minutes and try again"),
    (answering(429, json=False), 429, "Too many requests", "wait a minute and try again"),
    (answering(500), 502, THERE_IS_A_PROBLEM, "Try again later"),
    (answering(502, json=False), 502, THERE_IS_A_PROBLEM, "Try again later"),
    (answering(503), 503, THERE_IS_A_PROBLEM, "Try again later"),
    (answering(504), 504, THERE_IS_A_PROBLEM, "Try again later"),
    (broken, 502, THERE_IS_A_PROBLEM, "Try again later"),
    (failing(httpx.ReadTimeout), 504, THERE_IS_A_PROBLEM, "Try again later"),
    (failing(httpx.ConnectError), 503, THERE_IS_A_PROBLEM, "Try again later"),
]


@pytest.mark.parametrize(("answer", "status", "heading", "words"), CASES)
async def test_each_service_error_is_a_page_in_words(portal: httpx.AsyncClient, fake: Fake, answer: Answer,
                                                      status: int, heading: str, words: str) -> None:
    await sign_in(portal, "worker-semh")
    fake.answer = answer
    page = await portal.get("/work/semh")
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page.text and words in page.text
    for leak in (SERVICE_TITLE, "Traceback", "httpx", "Errno", "library text", "BackendError"):
        assert leak not in page.text


async def test_a_429_passes_on_when_to_try_again(portal: httpx.AsyncClient, fake: Fake) -> None:
    await sign_in(portal, "worker-semh")
    fake.answer = answering(429, {"Retry-After": "30"})
    page = await portal.get("/work/semh")
    assert page.headers["retry-after"] == "30" and "wait 30 seconds and try again" in page.text


async def test_a_401_signs_the_person_out_to_sign_in_again(portal: httpx.AsyncClient, fake: Fake) -> None:
    await sign_in(portal, "worker-semh")
    fake.answer = answering(401)
    page = await portal.get("/work/semh")
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in")
    fake.answer = answering(200)
    assert (await portal.get("/work/semh")).headers["location"] == "/sign-in"  # the session ended


async def test_an_error_after_a_form_is_sent_is_a_page_too(portal: httpx.AsyncClient, fake: Fake) -> None:
    """A form's 409 and 422 show on the form (the pages' own handling); any other error of its call is a page."""
    await sign_in(portal, "worker-semh")
    token = (await portal.get("/sign-in")).text.split('name="csrf_token" value="')[1].split('"')[0]
    fake.answer = answering(429, {"Retry-After": "60"})
    sent = await portal.post("/work/semh/5b0a6a8e-6f4e-4a55-9a4f-1f2b3c4d5e6f/accept", data={"csrf_token": token})
    assert sent.status_code == 429 and "wait a minute and try again" in sent.text


NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("retry_after", "words"), [
    (None, "a minute"), ("", "a minute"), ("soon", "a minute"), ("-5", "a minute"), ("0", "a minute"),
    ("1", "1 second"), ("30", "30 seconds"), ("59", "59 seconds"), ("60", "a minute"), ("61", "2 minutes"),
    ("90", "2 minutes"), ("120", "2 minutes"), ("3600", "60 minutes"), ("7200", "2 hours"),
    ("Mon, 07 Dec 2026 09:00:45 GMT", "45 seconds"), ("Mon, 07 Dec 2026 09:05:00 GMT", "5 minutes"),
    ("Mon, 07 Dec 2026 08:00:00 GMT", "a minute"),
])
def test_retry_after_in_words(retry_after: str | None, words: str) -> None:
    assert failures.wait_words(retry_after, NOW) == words


@pytest.mark.parametrize(("status", "shown"), [
    (400, 502), (403, 403), (404, 404), (405, 502), (409, 409), (413, 413), (415, 502), (422, 422), (429, 429),
    (500, 502), (501, 502), (502, 502), (503, 503), (504, 504), (None, 503), ("timeout", 504),
])
def test_each_status_has_its_page(status: int | str | None, shown: int) -> None:
    page = failures.page_for(None if status is None else status, retry_after=None, now=NOW)
    assert page.status == shown and page.title and page.message.endswith(".")

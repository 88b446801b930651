"""The portal's forms against cross-site request forgery, and its pages against a strict Content-Security-Policy:
the checks themselves (pure), and every template's source. The checks on the running portal are in
tests/handlers/test_portal_forms.py; every page a browser visits is checked in tests/browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.portal import csrf
from services.portal.pages import HERE

TEMPLATES = sorted((HERE / "templates").glob("*.html"))


def markup(template: Path) -> str:
    """A template's source without its Jinja comments."""
    return re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.DOTALL)

OWN = {"https://frontdoor.example.gov.uk", "http://127.0.0.1:8080"}


@pytest.mark.parametrize(("headers", "elsewhere"), [
    ({}, False),  # an older browser or a script: the token still decides
    ({"sec-fetch-site": "same-origin"}, False),
    ({"sec-fetch-site": "none"}, False),  # typed or bookmarked by the person
    ({"sec-fetch-site": "same-site"}, True),  # another port of the same host: the reproduction
    ({"sec-fetch-site": "cross-site"}, True),
    ({"sec-fetch-site": "Same-Site"}, True),
    ({"origin": "https://frontdoor.example.gov.uk"}, False),
    ({"origin": "https://FrontDoor.example.gov.uk:443"}, False),
    ({"origin": "http://127.0.0.1:8080", "sec-fetch-site": "same-origin"}, False),
    ({"origin": "http://127.0.0.1:9000"}, True),  # same host, another port
    ({"origin": "http://frontdoor.example.gov.uk"}, True),  # same host, not https
    ({"origin": "https://evil.example"}, True),
    ({"origin": "null", "sec-fetch-site": "same-origin"}, False),  # the portal's own form under no-referrer
    ({"origin": "null", "sec-fetch-site": "cross-site"}, True),  # a sandboxed frame or a data: page
    ({"origin": "null"}, False),  # no word from the browser: the token decides
    ({"origin": ""}, True),
    ({"origin": "https://frontdoor.example.gov.uk", "sec-fetch-site": "same-site"}, True),
])
def test_a_request_from_another_site_or_another_port_is_told_apart(headers: dict[str, str], elsewhere: bool) -> None:
    assert csrf.from_elsewhere(headers, OWN) is elsewhere


def test_the_token_is_kept_in_the_session_made_once_and_compared_exactly() -> None:
    session: dict[str, object] = {}
    first = csrf.token(session)
    assert len(first) >= 40 and session[csrf.SESSION_KEY] == first
    assert csrf.token(session) == first  # one per session: several tabs and the back button keep working
    assert csrf.token({}) != first
    assert csrf.matches(first, first)
    for sent in (None, "", first[:-1], first + "x", first.upper(), ["x"]):
        assert not csrf.matches(sent, first)
    assert not csrf.matches("", "") and not csrf.matches(None, None)


@pytest.mark.parametrize(("content_type", "kind"), [
    ("application/x-www-form-urlencoded", csrf.FORM), ("application/x-www-form-urlencoded; charset=UTF-8", csrf.FORM),
    ("multipart/form-data; boundary=x", csrf.UPLOAD), ("application/json", "application/json"), (None, ""),
    ("text/plain", "text/plain"),
])
def test_the_media_type_of_a_body(content_type: str | None, kind: str) -> None:
    assert csrf.media_type(content_type) == kind


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_every_post_form_in_every_template_carries_the_token(template: Path) -> None:
    source = markup(template)
    opening = re.findall(r"<form\b[^>]*>", source, flags=re.IGNORECASE)
    posts = [tag for tag in opening if re.search(r"method\s*=\s*[\"']?post", tag, flags=re.IGNORECASE)]
    assert len(posts) == len(re.findall(r"<form\b[^>]*>\s*\{\{ csrf_field\(request\) \}\}", source)), template.name
    for tag in opening:
        assert re.search(r"method\s*=\s*[\"']?(post|get)\b", tag, flags=re.IGNORECASE), f"{template.name}: {tag}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_inline_script_event_handlers_or_style_attributes(template: Path) -> None:
    source = markup(template)
    for tag in re.findall(r"<script\b[^>]*>", source, flags=re.IGNORECASE):
        assert re.search(r"\bsrc\s*=", tag), f"{template.name}: an inline script"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", source, flags=re.IGNORECASE), template.name
    assert not re.search(r"\sstyle\s*=", source, flags=re.IGNORECASE), template.name
    assert not re.search(r"<style\b", source, flags=re.IGNORECASE), template.name
    assert "javascript:" not in source.lower(), template.name
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", source, flags=re.IGNORECASE), template.name


def test_the_scripts_the_pages_load_are_files_of_the_portal() -> None:
    assert (HERE / "static" / "js-enabled.js").read_text().count("js-enabled") == 1
    assert "initAll()" in (HERE / "static" / "init.js").read_text()

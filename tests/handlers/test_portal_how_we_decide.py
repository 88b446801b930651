"""The portal's "How we decide" pages (issue 15, item 4; issue 22, item 13): public (no sign-in), made from the
ruleset in force (RULESET_PATH), linked from every page's footer with that ruleset's version, and printable. The page a
family reads (/how-we-decide) is in short sentences, with the emergency contacts; it links to the exact rules, for
professionals (/how-we-decide/rules). Both are generated from the same file."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import yaml
from sqlalchemy import Engine

from services.common.settings import Settings
from services.policy.ruleset import load_ruleset
from services.portal.main import create_app
from tests.cases import reference_ruleset

BASE = "http://portal.test"


def _client(engine: Engine, ruleset: Path | None = None) -> httpx.AsyncClient:
    settings = Settings(database_url=str(engine.url), portal_url=BASE, ruleset_path=ruleset)
    app = create_app(settings, engine=engine, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def test_the_family_page_is_in_short_sentences_and_links_to_the_exact_rules(engine: Engine) -> None:
    async with _client(engine) as client:
        page = await client.get("/how-we-decide")
    assert page.status_code == 200
    html = page.text
    assert '<h1 class="govuk-heading-xl">How we decide</h1>' in html
    assert "We send a request to speech and language therapy when" in html
    assert "The service looks at it within 90 working days." in html
    assert '<h2 class="govuk-heading-l" id="in-an-emergency">If a child needs help now</h2>' in html
    assert '<a class="govuk-link" href="/how-we-decide/rules">The exact rules, for professionals</a>' in html
    main = html[html.index("<main"):html.index("</main>")]
    for jargon in ("(rule ", "not (", " is yes", "[the child", "GB-ENG", load_ruleset().version, "Rules in force"):
        assert jargon not in main, jargon
    assert "<script>" not in html and not re.search(r"\son[a-z]+=", html) and "style=" not in html


async def test_the_exact_rules_are_public_and_say_what_the_shipped_rules_do(engine: Engine) -> None:
    async with _client(engine) as client:
        page = await client.get("/how-we-decide/rules")
        sign_in = await client.get("/sign-in")
    assert page.status_code == 200
    html = page.text
    assert "<h1 class=\"govuk-heading-xl\">How we decide: the exact rules</h1>" in html
    assert '<a class="govuk-back-link" href="/how-we-decide">How we decide, in short sentences</a>' in html
    assert "due within 90 working days" in html and "the child&#x27;s age is 13 or over" in html
    assert "<script>" not in html and not re.search(r"\son[a-z]+=", html) and "style=" not in html
    version = load_ruleset().version
    footer = f'<a class="govuk-footer__link" href="/how-we-decide">Rules in force: {version}</a>'
    assert footer in html and footer in sign_in.text  # every page's footer
    assert '<link rel="stylesheet" href="/app-assets/print.css" media="print">' in html
    async with _client(engine) as client:
        css = await client.get("/app-assets/print.css")
    assert css.status_code == 200 and "@media print" in css.text


async def test_the_page_and_footer_follow_the_ruleset_in_force(engine: Engine, tmp_path: Path) -> None:
    data = reference_ruleset()
    data["due"]["services"]["salt"]["routine"] = {"working_days": 60}
    data["version"] = "1.1.0"
    path = tmp_path / "council.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    async with _client(engine, path) as client:
        page = await client.get("/how-we-decide/rules")
        family = await client.get("/how-we-decide")
    assert page.status_code == 200
    assert "due within 60 working days" in page.text and "90 working days" not in page.text
    assert "The service looks at it within 60 working days." in family.text and "90 working days" not in family.text
    assert f"Rules in force: {load_ruleset(path).version}</a>" in page.text
    assert "Rules in force: 1.1.0+" in page.text


async def test_both_pages_say_so_in_words_when_the_rules_cannot_be_read(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("ruleset: broken\n")
    async with _client(engine, path) as client:
        pages = [await client.get(p) for p in ("/how-we-decide", "/how-we-decide/rules")]
    for page in pages:
        assert page.status_code == 503
        assert "The rules in force cannot be shown just now. Try again later." in page.text

"""The portal's "How we decide" page (issue 15, item 4): public (no sign-in), made from the ruleset in force
(RULESET_PATH), linked from every page's footer with that ruleset's version, and printable."""

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


async def test_the_page_is_public_and_says_what_the_shipped_rules_do(engine: Engine) -> None:
    async with _client(engine) as client:
        page = await client.get("/how-we-decide")
        sign_in = await client.get("/sign-in")
    assert page.status_code == 200
    html = page.text
    assert "<h1 class=\"govuk-heading-xl\">How we decide</h1>" in html
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
        page = await client.get("/how-we-decide")
    assert page.status_code == 200
    assert "due within 60 working days" in page.text and "90 working days" not in page.text
    assert f"Rules in force: {load_ruleset(path).version}</a>" in page.text
    assert "Rules in force: 1.1.0+" in page.text

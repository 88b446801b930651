"""Pages anyone may read, signed in or not: "How we decide", the triage criteria in plain English, generated
from the ruleset in force (`RULESET_PATH`, or triage's reference ruleset) so it cannot disagree with triage."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from services.policy.ruleset import DEFAULT_RULESET, RulesetError
from services.policy.ruleset.explain import Explanation, body_html, explain
from services.policy.ruleset.in_force import ruleset_in_force
from services.portal import emergency
from services.portal.deps import render

router = APIRouter()


@lru_cache(maxsize=4)
def _explained(path: Path) -> Explanation | None:
    try:
        return explain(ruleset_in_force(path))
    except RulesetError:
        return None


def in_force(settings: object) -> Explanation | None:
    """The ruleset triage runs, explained (None when the file is not a valid ruleset: triage will not start)."""
    path = getattr(settings, "ruleset_path", None) or DEFAULT_RULESET
    return _explained(Path(path))


def rules_version(request: Request) -> str | None:
    """For the footer: the version of the rules in force."""
    doc = in_force(request.app.state.settings)
    return doc.version if doc else None


@router.get("/how-we-decide", response_class=HTMLResponse)
async def how_we_decide(request: Request) -> Response:
    doc = in_force(request.app.state.settings)
    if doc is None:
        return render(request, "error.html", 503, title="How we decide",
                      message="The rules in force cannot be shown just now. Try again later.")
    # body_html escapes every word it places (html.escape), so the joined blocks are markup already
    sections = [(s, Markup("".join(blocks)), [(p, Markup("".join(b))) for p, b in parts])  # noqa: S704
                for s, blocks, parts in body_html(doc)]
    return render(request, "how_we_decide.html", doc=doc, sections=sections,
                  **emergency.help_context(request.app.state.settings))

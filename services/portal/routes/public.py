"""Pages anyone may read, signed in or not: "How we decide", the triage criteria in plain English, generated
from the ruleset in force (`RULESET_PATH`, or triage's reference ruleset) so it cannot disagree with triage. Two
versions of the one file: /how-we-decide in short sentences for a child's family (services.policy.ruleset.family),
linking to /how-we-decide/rules, the exact rules for professionals (services.policy.ruleset.explain)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from services.policy.ruleset import DEFAULT_RULESET, RulesetError
from services.policy.ruleset.explain import Explanation, body_html, explain
from services.policy.ruleset.family import for_families
from services.policy.ruleset.in_force import ruleset_in_force
from services.portal import emergency
from services.portal.deps import render

router = APIRouter()


@lru_cache(maxsize=4)
def _explained(path: Path, family: bool = False) -> Explanation | None:
    try:
        ruleset = ruleset_in_force(path)
    except RulesetError:
        return None
    return for_families(ruleset) if family else explain(ruleset)


def in_force(settings: object, *, family: bool = False) -> Explanation | None:
    """The ruleset triage runs, explained exactly or for families (None when the file is not a valid ruleset:
    triage will not start)."""
    path = getattr(settings, "ruleset_path", None) or DEFAULT_RULESET
    return _explained(Path(path), family)


def rules_version(request: Request) -> str | None:
    """For the footer: the version of the rules in force."""
    doc = in_force(request.app.state.settings)
    return doc.version if doc else None


@router.get("/how-we-decide", response_class=HTMLResponse)
async def how_we_decide(request: Request) -> Response:
    """For a child's family: short sentences, the emergency contacts, a link to the exact rules."""
    return _page(request, family=True)


@router.get("/how-we-decide/rules", response_class=HTMLResponse)
async def how_we_decide_exactly(request: Request) -> Response:
    """For professionals: every rule, condition and clock of the file, with the rule ids and the version."""
    return _page(request, family=False)


def _page(request: Request, *, family: bool) -> Response:
    doc = in_force(request.app.state.settings, family=family)
    if doc is None:
        return render(request, "error.html", 503, title="How we decide",
                      message="The rules in force cannot be shown just now. Try again later.")
    # body_html escapes every word it places (html.escape), so the joined blocks are markup already
    sections = [(s, Markup("".join(blocks)), [(p, Markup("".join(b))) for p, b in parts])  # noqa: S704
                for s, blocks, parts in body_html(doc)]
    return render(request, "how_we_decide.html", doc=doc, sections=sections, family=family,
                  **emergency.help_context(request.app.state.settings))

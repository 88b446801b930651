"""`frontdoor triage decide` and `frontdoor rules check`: the rules without a broker or database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError

from services.cli.apps import fail, rules_app, triage_app

RulesOption = Annotated[
    Optional[Path], typer.Option("--rules", help="Ruleset file (default: the shipped reference ruleset).", exists=False)
]


def _ruleset(path: Optional[Path]) -> Any:
    from services.policy.ruleset import DEFAULT_RULESET, RulesetError, load_ruleset

    try:
        return load_ruleset(path or DEFAULT_RULESET)
    except RulesetError as exc:
        fail(str(exc))


@triage_app.command("decide")
def triage_decide(
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="referral.submitted events (or worked-case files with an `event` key). None: read standard input.",
    )] = None,
    rules: RulesOption = None,
) -> None:
    """Print the TriageDecision for each event as JSON: one object for one input, one per line for several
    (a malformed file gives {"file": ..., "error": ...} on its line, the others are decided, and the exit
    status is 1)."""
    ruleset = _ruleset(rules)
    if not files:
        decision = _decide_one("<stdin>", sys.stdin.read(), ruleset)
        if isinstance(decision, str):
            fail(decision)
        typer.echo(json.dumps(decision, indent=2))
        return
    if len(files) == 1:
        decision = _decide_one(str(files[0]), _read(files[0]), ruleset)
        if isinstance(decision, str):
            fail(decision)
        typer.echo(json.dumps(decision, indent=2))
        return
    # Several files: one line each, in order; a malformed one says why on its line and the rest are still decided.
    failed = False
    for path in files:
        decision = _decide_one(str(path), _read(path), ruleset)
        if isinstance(decision, str):
            failed = True
            typer.echo(json.dumps({"file": str(path), "error": decision}, separators=(",", ":")))
        else:
            typer.echo(json.dumps(decision, separators=(",", ":")))
    if failed:
        raise typer.Exit(1)


def _read(path: Path) -> str | Exception:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return exc


def _decide_one(name: str, text: str | Exception, ruleset: Any) -> dict[str, Any] | str:
    """The decision as JSON data, or what is wrong with the input (a readable message, no input values)."""
    from schemas import ReferralSubmitted
    from schemas.errors import problems
    from services.policy.engine import decide

    if isinstance(text, Exception):
        return f"{name}: cannot read ({type(text).__name__})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{name}: not JSON (line {exc.lineno}, column {exc.colno})"
    if isinstance(data, dict) and "event" in data and "event_type" not in data:
        data = data["event"]
    try:
        event = ReferralSubmitted.model_validate(data)
    except ValidationError as exc:
        lines = "\n".join(f"  - {p['field']}: {p['problem']}" for p in problems(exc))
        return f"{name}: not a valid referral.submitted event:\n{lines}"
    return decide(event, ruleset).model_dump(mode="json")


@rules_app.command("check")
def rules_check(
    path: Annotated[Optional[Path], typer.Argument(help="Ruleset file to check (default: the shipped one).")] = None,
    cases: Annotated[
        Optional[Path], typer.Option(help="Folder of worked cases (default: the project's golden cases).")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when any case decides differently from its expectation.")
    ] = False,
) -> None:
    """Validate a ruleset, then run the golden cases through it and list every decision that changed."""
    from services.policy.golden import compare_cases

    ruleset = _ruleset(path)
    rules = sum(len(s.rules) for s in ruleset.stages)
    typer.echo(f"ruleset {ruleset.name} {ruleset.version}: valid ({rules} rules in {len(ruleset.stages)} stages)")
    report = compare_cases(ruleset, cases)
    for line in report.lines():
        typer.echo(line)
    if strict and report.changed:
        raise typer.Exit(1)


@rules_app.command("explain")
def rules_explain(
    path: Annotated[Optional[Path], typer.Argument(help="Ruleset file to explain (default: the shipped one).")] = None,
    format: Annotated[str, typer.Option("--format", help="markdown or html")] = "markdown",
) -> None:
    """The ruleset in plain English ("How we decide"): where referrals go, due times, consent, what raises
    priority. Generated from the file, as the portal's /how-we-decide page is."""
    from services.policy.ruleset.explain import explain, html, markdown

    if format not in ("markdown", "html"):
        fail("--format must be markdown or html")
    doc = explain(_ruleset(path))
    typer.echo(markdown(doc) if format == "markdown" else html(doc), nl=False)


@rules_app.command("whatif")
def rules_whatif(
    proposed: Annotated[Path, typer.Argument(help="The proposed ruleset file.")],
    baseline: Annotated[
        Optional[Path], typer.Option(help="The ruleset to compare with (default: the shipped one).")
    ] = None,
    since: Annotated[Optional[str], typer.Option(help="First submission day to replay (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last submission day to replay (YYYY-MM-DD).")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json, csv or html.")] = "table",  # noqa: A002
    events: Annotated[Optional[Path], typer.Option(
        help="A JSON-lines file of referral.submitted events (default: the events stored in DATABASE_URL).",
    )] = None,
    processes: Annotated[Optional[int], typer.Option(
        min=1, help="Processes to replay in (default: one per CPU; a few thousand events or fewer: one).",
    )] = None,
) -> None:
    """Replay every stored referral in the period through the baseline and the proposed ruleset and report what
    would have changed: decisions by class, each service's workload, rule firings, example referral ids.
    Never writes to the database."""
    from datetime import date

    from services.cli.data import ProgressBar
    from services.intake.whatif.store import EventsFileError, from_database, from_file
    from services.policy.ruleset import DEFAULT_RULESET, RulesetError, load_ruleset
    from services.policy.whatif_run import compare_files

    if format not in ("table", "json", "csv", "html"):
        fail(f"--format must be table, json, csv or html (not {format!r})")
    try:
        first, last = (date.fromisoformat(d) if d else None for d in (since, until))
    except ValueError:
        fail("--since and --until are days: YYYY-MM-DD")
    try:
        load_ruleset(proposed)  # each file checked as `rules check` does, before anything is read
        load_ruleset(baseline or DEFAULT_RULESET)
    except RulesetError as exc:
        fail(str(exc), 1)
    try:
        if events is not None:
            stored = from_file(events, since=first, until=last)
        else:
            from services.common.db import make_engine
            from services.common.settings import get_settings

            engine = make_engine(get_settings().database_url)
            try:
                stored = from_database(engine, since=first, until=last)
            finally:
                engine.dispose()
    except (OSError, EventsFileError) as exc:
        fail(f"cannot read the events: {exc}")
    bar = ProgressBar("replaying")
    total = len(stored.events)
    report = compare_files(stored.events, baseline or DEFAULT_RULESET, proposed, acceptance=stored.acceptance,
                           processes=processes, progress=lambda n: bar(n, total))
    report.apart = stored.apart
    if format == "json":
        typer.echo(json.dumps(report.as_json(), indent=2))
    elif format == "csv":
        typer.echo(report.csv(), nl=False)
    elif format == "html":
        from services.policy.whatif import html_report

        typer.echo(html_report(report), nl=False)
    else:
        typer.echo(report.table())

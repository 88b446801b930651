"""The `frontdoor` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError

app = typer.Typer(help="Front Door: a single front door for children's additional-needs referrals.", no_args_is_help=True)
triage_app = typer.Typer(help="Run the triage rules without a broker or database.", no_args_is_help=True)
rules_app = typer.Typer(help="Check a triage ruleset file.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
schemas_app = typer.Typer(help="The exported contracts (JSON Schema, AsyncAPI).", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
dsr_app = typer.Typer(help="The Dynamic Support Register.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-letter topics (administrators: needs the broker's credentials).", no_args_is_help=True)
app.add_typer(triage_app, name="triage")
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")
app.add_typer(schemas_app, name="schemas")
app.add_typer(topics_app, name="topics")
app.add_typer(dsr_app, name="dsr")
app.add_typer(dlq_app, name="dlq")

RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="Ruleset file (default: the shipped reference ruleset).", exists=False)]
SERVICES = ("intake", "triage", "dsr", "worklists", "portal")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _ruleset(path: Optional[Path]) -> Any:
    from services.triage.ruleset import DEFAULT_RULESET, RulesetError, load_ruleset

    try:
        return load_ruleset(path or DEFAULT_RULESET)
    except RulesetError as exc:
        _fail(str(exc))


@triage_app.command("decide")
def triage_decide(
    files: Annotated[Optional[list[Path]], typer.Argument(help="referral.submitted events (or worked-case files with an `event` key). None: read standard input.")] = None,
    rules: RulesOption = None,
) -> None:
    """Print the TriageDecision for each event as JSON: one object for one input, one per line for several."""
    from schemas import ReferralSubmitted
    from schemas.errors import problems
    from services.triage.engine import decide

    ruleset = _ruleset(rules)
    sources: list[tuple[str, str]] = []
    if not files:
        sources.append(("<stdin>", sys.stdin.read()))
    else:
        for path in files:
            try:
                sources.append((str(path), path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                _fail(f"{path}: cannot read ({type(exc).__name__})")
    outputs = []
    for name, text in sources:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            _fail(f"{name}: not JSON (line {exc.lineno}, column {exc.colno})")
        if isinstance(data, dict) and "event" in data and "event_type" not in data:
            data = data["event"]
        try:
            event = ReferralSubmitted.model_validate(data)
        except ValidationError as exc:
            lines = "\n".join(f"  - {p['field']}: {p['problem']}" for p in problems(exc))
            _fail(f"{name}: not a valid referral.submitted event:\n{lines}")
        outputs.append(decide(event, ruleset).model_dump(mode="json"))
    if len(outputs) == 1:
        typer.echo(json.dumps(outputs[0], indent=2))
    else:
        for decision in outputs:
            typer.echo(json.dumps(decision, separators=(",", ":")))


@rules_app.command("check")
def rules_check(
    path: Annotated[Optional[Path], typer.Argument(help="Ruleset file to check (default: the shipped one).")] = None,
    cases: Annotated[Optional[Path], typer.Option(help="Folder of worked cases (default: the project's golden cases).")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any case decides differently from its expectation.")] = False,
) -> None:
    """Validate a ruleset, then run the golden cases through it and list every decision that changed."""
    from services.triage.golden import compare_cases

    ruleset = _ruleset(path)
    typer.echo(f"ruleset {ruleset.name} {ruleset.version}: valid ({sum(len(s.rules) for s in ruleset.stages)} rules in {len(ruleset.stages)} stages)")
    report = compare_cases(ruleset, cases)
    for line in report.lines():
        typer.echo(line)
    if strict and report.changed:
        raise typer.Exit(1)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")],
    port: Annotated[Optional[int], typer.Option(help="HTTP port for the API, health and metrics.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run one service (what each container runs). Settings come from the environment."""
    import uvicorn

    from services.common.logging import configure_logging
    from services.common.settings import get_settings

    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if service == "intake":
        from services.intake.main import create_app as intake_app

        application, default_port = intake_app(settings), settings.intake_port
    elif service == "triage":
        from services.triage.main import create_app as triage_app_

        try:
            application = triage_app_(settings)
        except ValueError as exc:
            _fail(str(exc))
        default_port = settings.triage_port
    elif service == "dsr":
        from services.dsr.main import create_app as dsr_app_

        application, default_port = dsr_app_(settings), settings.dsr_port
    elif service == "worklists":
        from services.worklists.main import create_app as worklists_app

        application, default_port = worklists_app(settings), settings.worklists_port
    elif service == "portal":
        from services.portal.main import create_app as portal_app

        application, default_port = portal_app(settings), settings.portal_port
    else:
        _fail(f"unknown service {service!r}: choose one of {', '.join(SERVICES)}")
    from services.common.runtime import DrainingServer

    config = uvicorn.Config(application, host=host, port=port or default_port, log_config=None, access_log=False,
                            timeout_graceful_shutdown=int(settings.graceful_timeout_seconds))
    DrainingServer(config, drain_seconds=settings.shutdown_drain_seconds).run()


@app.command()
def dev(
    demo: Annotated[bool, typer.Option(help="Submit a handful of realistic demo referrals once everything is up.")] = False,
) -> None:
    """Start the whole stack on this machine (what `make run` calls). Ctrl-C stops everything."""
    from services.devstack import run_dev

    raise typer.Exit(run_dev(demo=demo))


@app.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="referrer, worker:<service>, dsr_panel, admin or manager (repeatable).")],
    subject: Annotated[str, typer.Option(help="Who the token is for (a user id, not a name).")] = "dev-user",
    hours: Annotated[int, typer.Option(help="How long the token lasts.")] = 8,
) -> None:
    """Mint a dev bearer token signed with the local secret (AUTH_MODE=dev only)."""
    from services.common.auth import mint_dev_token
    from services.common.settings import get_settings

    settings = get_settings()
    if settings.auth_mode != "dev":
        _fail("tokens come from your identity provider when AUTH_MODE=oidc")
    try:
        typer.echo(mint_dev_token(settings, subject=subject, roles=role, ttl_seconds=hours * 3600))
    except ValueError as exc:
        _fail(str(exc))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations to DATABASE_URL."""
    from services.common.db import make_engine, migrate, wait_for_database
    from services.common.settings import get_settings

    settings = get_settings()
    wait_for_database(make_engine(settings.database_url), timeout=settings.startup_timeout_seconds)
    migrate(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic (KAFKA_TOPIC_PARTITIONS partitions each, dead-letter topics one); existing ones are kept."""
    import asyncio

    from services.common.settings import get_settings
    from services.topics import all_topics, ensure_topics

    settings = get_settings()
    wanted = all_topics(settings.kafka_topic_partitions)
    asyncio.run(ensure_topics(settings.kafka_bootstrap_servers, wanted, timeout=settings.startup_timeout_seconds))
    typer.echo(f"{len(wanted)} topics present on {settings.kafka_bootstrap_servers}")


@dlq_app.command("list")
def dlq_list(topic: Annotated[Optional[str], typer.Option(help="One dead-letter topic (default: every *.dlq topic).")] = None) -> None:
    """What is in the dead-letter topics: where each record came from and why (never its content)."""
    import asyncio

    from services.common.dlq_tools import dlq_topics, list_dead_letters
    from services.common.settings import get_settings

    bootstrap = get_settings().kafka_bootstrap_servers

    async def run() -> None:
        for name in [topic] if topic else await dlq_topics(bootstrap):
            letters = await list_dead_letters(bootstrap, name)
            typer.echo(f"{name}: {len(letters)} record(s)")
            for d in letters:
                typer.echo(f"  id {d.id}  from {d.original_topic} [{d.original_partition}:{d.original_offset}]  "
                           f"{d.size} bytes  key#{d.key_hash}  attempts {d.attempts}  {d.error}")

    asyncio.run(run())


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Option(help="The dead-letter topic, e.g. frontdoor.referrals.submitted.dlq.")],
    ids: Annotated[Optional[str], typer.Option(help="Comma-separated ids from `dlq list` (partition:offset); default: all.")] = None,
) -> None:
    """Send dead-lettered records back to their original topic after a fix (consumers deduplicate)."""
    import asyncio

    from services.common.dlq_tools import replay
    from services.common.settings import get_settings

    chosen = {i.strip() for i in ids.split(",") if i.strip()} if ids else None
    sent = asyncio.run(replay(get_settings().kafka_bootstrap_servers, topic, chosen))
    typer.echo(f"replayed {sent} record(s) from {topic}")


@dsr_app.command("agenda")
def dsr_agenda(
    horizon: Annotated[int, typer.Option(help="Include reviews due within this many days.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Print the DSR meeting's agenda from DATABASE_URL, for a meeting without the portal."""
    from services.common.db import make_engine, session_scope
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.common.workdays import WorkingCalendar
    from services.dsr.domain import Clock
    from services.dsr.views import agenda

    with session_scope(make_engine(get_settings().database_url)) as session:
        items = agenda(session, Clock(utcnow(), WorkingCalendar()), horizon_days=horizon)
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    typer.echo(_agenda_table(items))


def _agenda_table(items: list[dict[str, Any]]) -> str:
    if not items:
        return "Nothing on the agenda."
    header = ("#", "Name", "Age", "Track", "Status", "Rating", "Suggested", "Next review", "Tasks")
    rows = [
        (
            str(i), item["name"], str(item.get("age") or ""), item.get("review_track") or "", item["status"].replace("_", " "),
            (item["rating"] or "-").upper(), (item["suggested_rating"] or "-") + (" (escalate)" if item["escalation_suggested"] else ""),
            (item["next_review_due"] or "-") + (" OVERDUE" if item["overdue"] else ""), str(item["open_tasks"]),
        )
        for i, item in enumerate(items, 1)
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    line = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


class ProgressBar:
    """A progress bar on standard error: redrawn in place on a terminal, a line every 10% otherwise."""

    def __init__(self, label: str):
        self.label, self.last_step, self.tty = label, -1, sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        total = max(total, 1)
        width = 30
        filled = width * done // total
        text = f"{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            print("\r" + text, end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif (step := 10 * done // total) != self.last_step:
            self.last_step = step
            print(text, file=sys.stderr, flush=True)


@app.command("import")
def import_referrals(
    file: Annotated[Path, typer.Argument(help="CSV file in the import layout (README, 'Bulk import').", exists=True, dir_okay=False)],
    import_valid: Annotated[bool, typer.Option("--import-valid", help="Import the valid rows even if some rows are invalid (default: refuse the whole file).")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Write the per-row problems here as CSV (default: <file>.errors.csv).")] = None,
    subject: Annotated[str, typer.Option("--as", help="Whose referrals these are (the referrer who will see them).")] = "import",
) -> None:
    """Import referrals from a spreadsheet: every row validated first; nothing is ever half-imported."""
    from services.common.auth import Principal
    from services.common.db import make_engine, session_scope
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.intake.bulk import check
    from services.intake.handlers import import_checked

    now = utcnow()
    checked = check(file.read_text(encoding="utf-8-sig"), today=now.date(), progress=ProgressBar("checking"))
    report_path = report or file.with_suffix(".errors.csv")
    if checked.problems:
        report_path.write_text(checked.report_csv())
        typer.echo(f"{len(checked.bad_rows)} of {len(checked.valid) + len(checked.bad_rows)} rows have problems "
                   f"({len(checked.problems)} in all); report: {report_path}", err=True)
        for p in checked.problems[:10]:
            typer.echo(f"  row {p.row}, {p.column}: {p.problem}", err=True)
        if not import_valid or not checked.valid:
            _fail("nothing imported: correct the rows above and import the file again (or use --import-valid)", 1)
    by = Principal(subject=subject, roles=frozenset({"referrer"}))
    engine = make_engine(get_settings().database_url)
    with session_scope(engine) as session:  # one transaction: all of it or none of it
        new, existing = import_checked(session, checked.valid, by=by, now=now, progress=ProgressBar("importing"))
    typer.echo(f"imported {new} referrals ({existing} were already imported); each goes to triage as usual")


@app.command("import-sample")
def import_sample(
    rows: Annotated[int, typer.Option(help="How many rows.")] = 2000,
    bad: Annotated[int, typer.Option(help="How many of them carry a mistake.")] = 20,
) -> None:
    """Print a realistic import file (fictional children, NHS test numbers) to try the import with."""
    from datetime import date

    from services.demo import sample_import_csv

    sys.stdout.write(sample_import_csv(rows, bad, today=date.today()))


@schemas_app.command("export")
def schemas_export(check: Annotated[bool, typer.Option(help="Only check: exit 1 if the files differ from the models.")] = False) -> None:
    """Write schemas/json/*.schema.json and schemas/asyncapi.json from the models."""
    from services.contracts import export_all

    stale = export_all(write=not check)
    if check and stale:
        _fail("out of date: " + ", ".join(stale) + " (run `frontdoor schemas export`)", 1)
    typer.echo("up to date" if not stale else f"wrote {len(stale)} file(s)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""The `frontdoor` command line: the Typer apps every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Front Door: a single front door for children's additional-needs referrals.", no_args_is_help=True
)
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


def fail(message: str, code: int = 2) -> None:
    """Say what is wrong on standard error and exit (2: a usage or input problem; 1: a check failed)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)

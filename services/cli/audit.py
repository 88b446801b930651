"""The access audit from the command line: check the hash chain, and who saw or changed a child's record."""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from typing import Annotated, Any

import typer

from services.cli.apps import app, fail
from services.common.csvfile import write_dicts

audit_app = typer.Typer(help="The access audit trail (reads DATABASE_URL).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

COLUMNS = ("at", "actor", "role", "action", "outcome", "status", "client_address", "how", "audit_id")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _session() -> Any:
    from sqlmodel import Session

    from services.common.db import make_engine
    from services.common.settings import get_settings

    return Session(make_engine(get_settings().database_url))


@audit_app.command("verify")
def verify(
    head: Annotated[str | None, typer.Option(
        "--head", metavar="ID:HASH", help="A head noted earlier: that row must still be there with that hash.")] = None,
) -> None:
    """Check the audit trail's hash chain (exit 1 naming the first broken row).

    Each row must link to the row before it and hash to its stored hash: a row deleted or changed breaks
    the chain there. When intact, prints the number of rows and the head (id and hash): note them
    somewhere else, so that a rewritten or cut tail can be caught too."""
    from services.common.audit import verify as check
    from services.common.tables import AuditEntry

    with _session() as session:
        result = check(session)
        noted = session.get(AuditEntry, int(head.split(":")[0])) if head and head.split(":")[0].isdigit() else None
    if head and (noted is None or f"{noted.id}:{noted.hash}" != head):
        fail(f"audit trail broken: row {head.split(':')[0]} is no longer the row noted as {head}", code=1)
    if not result.ok:
        fail(f"audit trail broken at row {result.broken_id}: {result.problem} "
             f"({result.rows} rows before it are intact)", code=1)
    head = f"head row {result.head_id}, hash {result.head_hash}" if result.head_id is not None else "empty"
    typer.echo(f"audit trail intact: {result.rows} rows, {head}")


@audit_app.command("who-saw")
def who_saw(
    child_id: Annotated[str, typer.Argument(help="The child's id (as on a referral, request or register entry).")],
    output: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """Who saw or changed a child's record: when, what, allowed or refused, from which address.

    Every audit row naming the child, every list that showed it, and every access (or refused attempt)
    to one of its referrals, service requests or register entries, oldest first: for a subject access
    request or a Caldicott question."""
    from services.common.audit import who_saw as find

    try:
        child = uuid.UUID(child_id)
    except ValueError:
        fail("CHILD_ID must be a child's id (a UUID)")
        return
    with _session() as session:
        rows = find(session, child)
    if output is Format.json:
        typer.echo(json.dumps(rows, indent=2))
    elif output is Format.csv:
        typer.echo(_csv(rows), nl=False)
    else:
        typer.echo(_table(rows))


def _csv(rows: list[dict[str, Any]]) -> str:
    return write_dicts(COLUMNS, rows)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "Nobody: no audit row is about this child."
    header = ("When (UTC)", "Who", "Role", "Action", "Outcome", "Address", "How")
    lines = [(r["at"][:19].replace("T", " "), r["actor"] or "(no valid token)", r["role"] or "-", r["action"],
              r["outcome"] + (f" {r['status']}" if r["status"] else ""), r["client_address"] or "-", r["how"])
             for r in rows]
    widths = [max(len(x[c]) for x in [header, *lines]) for c in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, lines)])

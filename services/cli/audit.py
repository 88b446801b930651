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


NOT_WITNESSED = 3  # the exit code when the chain could not be checked against a published head


@audit_app.command("verify")
def verify(
    head: Annotated[str | None, typer.Option(
        "--head", metavar="ID:HASH",
        help="Check against this head (from the service log, or noted earlier) instead of the broker's.")] = None,
    no_witness: Annotated[bool, typer.Option(
        "--no-witness", help="Check the chain alone: a cut tail or a rewritten history will not show.")] = False,
    timeout: Annotated[float, typer.Option(help="How long to wait for the broker, in seconds.", min=1)] = 15.0,
) -> None:
    """Check the audit trail's hash chain, and that it still holds the heads published on the broker.

    Each row must link to the row before it and hash to its stored hash: a row deleted or changed breaks the chain
    there (exit 1). Then every head of the chain (AUDIT_CHAIN) published on frontdoor.audit.heads must still be
    there with the same hash: a cut tail, or a history rewritten with every later hash recomputed, fails (exit 1).
    If the published heads cannot be read, or none was published yet, it says so and exits 3."""
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
    summary = f"head row {result.head_id}, hash {result.head_hash}" if result.head_id is not None else "empty"
    if head:
        typer.echo(f"audit trail intact: {result.rows} rows, {summary}; it holds the head {head}")
    elif no_witness:
        typer.echo(f"audit trail intact: {result.rows} rows, {summary}. Not checked against a published head "
                   "(--no-witness): a cut tail or a rewritten history would not show.")
    else:
        typer.echo(f"audit trail intact: {result.rows} rows, {summary}; {_witnessed(result.head_id, timeout)}")


def _witnessed(last_id: int | None, timeout: float) -> str:
    """Check the stored rows against every head of the chain published on the broker (how, in words)."""
    import asyncio

    from schemas.audit import TOPIC_AUDIT_HEADS
    from services.common.audit_witness import WitnessUnavailableError, against_heads, latest, read_heads, stored_hashes
    from services.common.settings import get_settings

    settings = get_settings()
    try:
        heads = asyncio.run(read_heads(settings, settings.audit_chain, timeout=timeout))
    except WitnessUnavailableError as exc:
        fail(f"The chain is intact, but it was not checked against its published head: {exc}. A cut tail or a "
             "rewritten history cannot be ruled out. Run this again when the broker is reachable, or pass a head "
             "from the service log (`audit head published`) with --head ID:HASH, or check the chain alone with "
             "--no-witness.", code=NOT_WITNESSED)
    with _session() as session:
        problem = against_heads(heads, stored_hashes(session, (h.head_id for h in heads)), last_id)
    if problem:
        fail(f"audit trail broken: {problem}", code=1)
    newest = latest(heads)
    if newest is None:
        if last_id is None:
            return f"no head of the chain {settings.audit_chain!r} was published yet, and there are no rows"
        fail(f"The chain is intact, but no head of the chain {settings.audit_chain!r} has been published on "
             f"{TOPIC_AUDIT_HEADS} yet, so a cut tail or a rewritten history cannot be ruled out. The services publish "
             f"it at start and every AUDIT_WITNESS_MINUTES; check that they run with AUDIT_CHAIN="
             f"{settings.audit_chain} and reach the broker, or check the chain alone with --no-witness.",
             code=NOT_WITNESSED)
    assert newest is not None
    when = newest.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"it holds the head published on {when} (row {newest.head_id}) and {len(heads) - 1} earlier one(s)"


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

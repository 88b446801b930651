"""Data in and out: the DSR agenda for a meeting without the portal, and the bulk import."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from services.cli.apps import app, dsr_app, fail


@dsr_app.command("agenda")
def dsr_agenda(
    horizon: Annotated[int, typer.Option(help="Include reviews due within this many days.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    age_band: Annotated[Optional[str], typer.Option(
        "--age-band", help="Only this age band: 0-17, 18-25 or 26+ (the children's or the adults' part).")] = None,
    track: Annotated[Optional[str], typer.Option(
        "--track", help="Only this review track: CETR or CTR.")] = None,
) -> None:
    """Print the DSR meeting's agenda from DATABASE_URL, for a meeting without the portal (all ages, or one age
    band or review track when the children's and adults' parts of the meeting are held apart)."""
    from services.common.db import make_engine, session_scope
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.common.workdays import WorkingCalendar
    from services.dsr.domain import Clock
    from services.dsr.rules import AGE_BANDS, Track
    from services.dsr.views import agenda

    if age_band is not None and age_band not in AGE_BANDS:
        fail(f"--age-band must be one of {', '.join(AGE_BANDS)}")
    if track is not None and track not in {t.value for t in Track}:
        fail(f"--track must be one of {', '.join(t.value for t in Track)}")
    with session_scope(make_engine(get_settings().database_url)) as session:
        items = agenda(session, Clock(utcnow(), WorkingCalendar()), horizon_days=horizon, age_band=age_band,
                       track=track)
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    typer.echo(_agenda_table(items))


def _agenda_table(items: list[dict[str, Any]]) -> str:
    if not items:
        return "Nothing on the agenda."
    header = ("#", "Name", "Age", "Band", "Track", "Status", "Rating", "Suggested", "Next review", "Tasks")
    rows = [
        (
            str(i), item["name"], str(item.get("age") or ""), item.get("age_band") or "",
            item.get("review_track") or "",
            item["status"].replace("_", " "), (item["rating"] or "-").upper(),
            (item["suggested_rating"] or "-") + (" (escalate)" if item["escalation_suggested"] else ""),
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
    file: Annotated[
        Path, typer.Argument(help="CSV file in the import layout (README, 'Bulk import').", exists=True, dir_okay=False)
    ],
    import_valid: Annotated[bool, typer.Option(
        "--import-valid", help="Import the valid rows even if some rows are invalid (default: refuse the whole file).",
    )] = False,
    report: Annotated[
        Optional[Path], typer.Option(help="Write the per-row problems here as CSV (default: <file>.errors.csv).")
    ] = None,
    subject: Annotated[
        str, typer.Option("--as", help="Whose referrals these are (the referrer who will see them).")
    ] = "import",
) -> None:
    """Import referrals from a spreadsheet: every row validated first; nothing is ever half-imported."""
    from services.common.auth import Principal
    from services.common.db import make_engine, session_scope
    from services.common.settings import get_settings
    from services.common.tables import utcnow
    from services.intake.referrals.bulk import check
    from services.intake.referrals.handlers import import_checked

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
            fail("nothing imported: correct the rows above and import the file again (or use --import-valid)", 1)
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

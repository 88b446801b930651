"""Bulk import of the 2,000-row sample with 20 bad rows: refused whole by default with a per-row
report, or the valid rows imported with --import-valid; progress shown; a second run is a no-op."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.db import make_engine
from services.common.settings import get_settings
from services.intake.tables import ReferralRecord

pytestmark = pytest.mark.integration


def frontdoor(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """The command called in this process (an interpreter per call was ~10 s of this module on the loaded machine),
    its exit status, standard output and standard error kept apart as a process's are (standard error is not a
    terminal: the progress bar prints a line every 10%); it reads DATABASE_URL."""
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url})
    finally:
        get_settings.cache_clear()
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return subprocess.CompletedProcess(["frontdoor", *args], done.exit_code, done.stdout, done.stderr)


def imported(url: str, subject: str) -> int:
    with Session(make_engine(url)) as s:
        query = select(func.count()).select_from(ReferralRecord).where(ReferralRecord.submitted_by == subject)
        return int(s.exec(query).one())


def test_the_2000_row_sample_with_20_bad_rows(fresh_database_url: str, tmp_path: Path) -> None:
    sample = tmp_path / "referrals.csv"
    sample.write_text(frontdoor("import-sample", "--rows", "2000", "--bad", "20", url=fresh_database_url).stdout)
    assert len(sample.read_text().splitlines()) == 2001

    refused = frontdoor("import", str(sample), "--as", "school-a", url=fresh_database_url)
    assert refused.returncode == 1
    assert "20 of 2000 rows have problems" in refused.stderr and "nothing imported" in refused.stderr
    # Progress, every 10% off a terminal.
    assert "checking   [##############################] 2000/2000" in refused.stderr
    report = list(csv.DictReader(io.StringIO((tmp_path / "referrals.errors.csv").read_text())))
    assert len({r["row"] for r in report}) == 20
    assert {r["column"] for r in report} <= {"nhs_number", "postcode", "date_of_birth", "concerns", "impact", "reason",
                                             "referrer_role", "consent_basis"}
    assert imported(fresh_database_url, "school-a") == 0

    partial = frontdoor("import", str(sample), "--as", "school-a", "--import-valid", url=fresh_database_url)
    assert partial.returncode == 0, partial.stderr
    assert "imported 1980 referrals (0 were already imported)" in partial.stdout
    assert "importing  [##############################] 1980/1980" in partial.stderr
    assert imported(fresh_database_url, "school-a") == 1980

    again = frontdoor("import", str(sample), "--as", "school-a", "--import-valid", url=fresh_database_url)
    assert "imported 0 referrals (1980 were already imported)" in again.stdout
    assert imported(fresh_database_url, "school-a") == 1980


def test_a_file_in_the_wrong_layout_is_refused_clearly(fresh_database_url: str, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,dob\nSam,2015-01-01\n")
    result = frontdoor("import", str(wrong), url=fresh_database_url)
    assert (result.returncode == 1
            and "required column missing from the header" in (tmp_path / "wrong.errors.csv").read_text())

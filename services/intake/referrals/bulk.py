"""Bulk import of referrals from a CSV file (a front door moving off spreadsheets).

Every row is validated first. By default a file with any invalid row is refused whole, with a
report of every problem by row and column, and nothing is imported; `import_valid` imports the
valid rows and reports the rest. Either way the import is one database transaction, so a file is
never half-imported, and each row's client_reference (given, or derived from the file and row)
makes importing the same file twice a no-op."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from schemas import Referral
from schemas.errors import problems
from services.common import csvfile

# The column layout (README, "Bulk import"). List columns take values separated by ";".
COLUMNS = [
    "client_reference", "given_name", "family_name", "date_of_birth", "nhs_number", "upn", "postcode",
    "school_name", "school_urn", "has_mhst", "year_group", "diagnoses", "sen_status", "social_care_status",
    "referrer_name", "referrer_role", "referrer_organisation", "referrer_email", "referrer_phone",
    "consent_basis", "child_aware", "reason", "concerns", "impact", "duration", "risks", "known_services",
    "voice_of_child",
]
REQUIRED = {"given_name", "family_name", "date_of_birth", "postcode", "referrer_name", "referrer_role", "consent_basis",
            "reason", "concerns", "impact", "duration"}
# Referral field path -> CSV column, to report problems against the column a person edits.
COLUMN_OF = {
    "child.given_name": "given_name", "child.family_name": "family_name", "child.date_of_birth": "date_of_birth",
    "child.nhs_number": "nhs_number", "child.upn": "upn", "child.postcode": "postcode",
    "child.education_setting.name": "school_name", "child.education_setting.urn": "school_urn",
    "child.education_setting.has_mhst": "has_mhst", "child.education_setting.year_group": "year_group",
    "child.diagnoses": "diagnoses", "child.sen_status": "sen_status", "child.social_care_status": "social_care_status",
    "referrer.name": "referrer_name", "referrer.role": "referrer_role",
    "referrer.organisation": "referrer_organisation",
    "referrer.email": "referrer_email", "referrer.phone": "referrer_phone", "consent.basis": "consent_basis",
    "consent.child_aware": "child_aware",
}


@dataclass
class RowProblem:
    row: int  # the line in the file (the header is line 1)
    column: str
    problem: str


@dataclass
class Checked:
    valid: list[tuple[int, Referral]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    def report_csv(self) -> str:
        """The problems as CSV (the column may be a header name from the file: the writer escapes it)."""
        return csvfile.write_rows(["row", "column", "problem"], ([p.row, p.column, p.problem] for p in self.problems))


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _bool(value: str) -> bool | str:
    v = value.strip().lower()
    return {"yes": True, "y": True, "true": True, "1": True,
            "no": False, "n": False, "false": False, "0": False, "": False}.get(v, value)


def row_to_referral(row: dict[str, str], reference: str) -> dict[str, Any]:
    """One CSV row as a Referral body (blank optional columns left out)."""
    v = {k: (row.get(k) or "").strip() for k in COLUMNS}
    child: dict[str, Any] = {"given_name": v["given_name"], "family_name": v["family_name"],
                             "date_of_birth": v["date_of_birth"], "postcode": v["postcode"]}
    for key in ("nhs_number", "upn", "sen_status", "social_care_status"):
        if v[key]:
            child[key] = v[key]
    if v["diagnoses"]:
        child["diagnoses"] = _list(v["diagnoses"])
    if v["school_name"]:
        setting: dict[str, Any] = {"name": v["school_name"], "has_mhst": _bool(v["has_mhst"])}
        if v["school_urn"]:
            setting["urn"] = v["school_urn"]
        if v["year_group"]:
            setting["year_group"] = v["year_group"]
        child["education_setting"] = setting
    referrer = {"name": v["referrer_name"], "role": v["referrer_role"]}
    for key, column in (("organisation", "referrer_organisation"), ("email", "referrer_email"),
                        ("phone", "referrer_phone")):
        if v[column]:
            referrer[key] = v[column]
    body: dict[str, Any] = {
        "client_reference": v["client_reference"] or reference, "channel": "import", "child": child,
        "referrer": referrer,
        "consent": {"basis": v["consent_basis"], "child_aware": _bool(v["child_aware"])}, "reason": v["reason"],
        "concerns": _list(v["concerns"]), "impact": v["impact"], "duration": v["duration"],
        "risks": _list(v["risks"]), "known_services": _list(v["known_services"]),
    }
    if v["voice_of_child"]:
        body["voice_of_child"] = v["voice_of_child"]
    return body


def check(text: str, *, today: date, progress: Callable[[int, int], None] = lambda done, total: None) -> Checked:
    """Validate every row; problems name the row and the column, never the value."""
    reader = csv.DictReader(io.StringIO(text))
    result = Checked()
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        result.problems.append(RowProblem(1, ", ".join(sorted(missing)), "required column missing from the header"))
        return result
    unknown = [c for c in (reader.fieldnames or []) if c not in COLUMNS]
    if unknown:
        result.problems.append(RowProblem(1, ", ".join(unknown), "not a column of the import layout"))
        return result
    rows = list(reader)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    for i, row in enumerate(rows, start=2):
        try:
            referral = Referral.model_validate(row_to_referral(row, f"import-{digest}-{i}"), context={"as_of": today})
            result.valid.append((i, referral))
        except ValidationError as exc:
            for p in problems(exc):
                field = p["field"]
                path = field.rsplit(".", 1)[0] if field.split(".")[-1].isdigit() else field  # concerns.0 -> concerns
                column = COLUMN_OF.get(path, path)
                result.problems.append(RowProblem(i, column, p["problem"]))
        progress(i - 1, len(rows))
    return result


def summary(checked: Checked) -> dict[str, Any]:
    """The answer to an import before anything is imported: rows, bad rows, the first 500 problems."""
    return {"rows": len(checked.valid) + len(checked.bad_rows), "bad_rows": len(checked.bad_rows),
            "problems": [p.__dict__ for p in checked.problems[:500]], "imported": 0, "already": 0}


def not_utf8() -> dict[str, Any]:
    problem = {"row": 1, "column": "(file)", "problem": "the file is not UTF-8 text"}
    return {"imported": 0, "already": 0, "refused": True, "rows": 0, "problems": [problem]}

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from schemas import Referral
from schemas.errors import problems

# The column layout (README, "Bulk import"). List columns take values separated by ";".
COLUMNS = [
    "client_reference", "given_name", "family_name", "date_of_birth", "nhs_number", "upn", "postcode",
    "school_name", "school_urn", "has_mhst", "year_group", "diagnoses", "sen_status", "social_care_status",
    "referrer_name", "referrer_role", "referrer_organisation", "referrer_email", "referrer_phone",
    "consent_basis", "child_aware", "reason", "concerns", "impact", "duration", "risks", "known_services", "voice_of_child",
]
REQUIRED = {"given_name", "family_name", "date_of_birth", "postcode", "referrer_name", "referrer_role", "consent_basis", "reason", "concerns", "impact", "duration"}
# Referral field path -> CSV column, to report problems against the column a person edits.
COLUMN_OF = {
    "child.given_name": "given_name", "child.family_name": "family_name", "child.date_of_birth": "date_of_birth",
    "child.nhs_number": "nhs_number", "child.upn": "upn", "child.postcode": "postcode", "child.education_setting.name": "school_name",
    "child.education_setting.urn": "school_urn", "child.education_setting.has_mhst": "has_mhst", "child.education_setting.year_group": "year_group",
    "child.diagnoses": "diagnoses", "child.sen_status": "sen_status", "child.social_care_status": "social_care_status",
    "referrer.name": "referrer_name", "referrer.role": "referrer_role", "referrer.organisation": "referrer_organisation",
    "referrer.email": "referrer_email", "referrer.phone": "referrer_phone", "consent.basis": "consent_basis", "consent.child_aware": "child_aware",
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
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["row", "column", "problem"])
        writer.writerows([p.row, p.column, p.problem] for p in self.problems)
        return out.getvalue()


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _bool(value: str) -> bool | str:
    v = value.strip().lower()
    return {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False, "": False}.get(v, value)


def row_to_referral(row: dict[str, str], reference: str) -> dict[str, Any]:
    """One CSV row as a Referral body (blank optional columns left out)."""
    v = {k: (row.get(k) or "").strip() for k in COLUMNS}
    child: dict[str, Any] = {"given_name": v["given_name"], "family_name": v["family_name"], "date_of_birth": v["date_of_birth"], "postcode": v["postcode"]}
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
    for key, column in (("organisation", "referrer_organisation"), ("email", "referrer_email"), ("phone", "referrer_phone")):
        if v[column]:
            referrer[key] = v[column]
    body: dict[str, Any] = {
        "client_reference": v["client_reference"] or reference, "channel": "import", "child": child, "referrer": referrer,
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
                path = p["field"].rsplit(".", 1)[0] if p["field"].split(".")[-1].isdigit() else p["field"]  # concerns.0 -> concerns
                column = COLUMN_OF.get(path, path)
                result.problems.append(RowProblem(i, column, p["problem"]))
        progress(i - 1, len(rows))
    return result


def import_rows(rows: Iterable[tuple[int, Referral]], submit_one: Callable[[Referral], bool],
                progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[int, int]:
    """Submit each valid row (inside the caller's single transaction). Returns (new, already there)."""
    rows = list(rows)
    new = existing = 0
    for n, (_, referral) in enumerate(rows, start=1):
        if submit_one(referral):
            new += 1
        else:
            existing += 1
        progress(n, len(rows))
    return new, existing


def sample_csv(rows: int, bad: int, *, today: date, seed: int = 7) -> str:
    """A realistic import file of `rows` referrals, `bad` of them with one mistake each (for trials and tests)."""
    import random

    from services.demo import sample_nhs_number

    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    given = ["Ava", "Noah", "Mia", "Leo", "Isla", "Jacob", "Ella", "Oscar", "Ruby", "Theo", "Amira", "Kai", "Zara", "Finn", "Maya"]
    family = ["Hart", "Okafor", "Patel", "Brown", "Nowak", "Evans", "Smith", "Khan", "Jones", "Taylor", "Murphy", "Chen"]
    schools = [("Seaview Primary Academy", "114999"), ("Eastwood Academy", "115020"), ("Cecil Jones Academy", "136504"), ("Chalkwell Hall Infants", "114873")]
    concerns = [["anxiety"], ["stammering"], ["speech_sounds", "expressive_language"], ["housing", "attendance"], ["low_mood", "bereavement"],
                ["parenting"], ["anxiety", "school_avoidance"], ["social_communication"], ["bullying", "low_self_esteem"]]
    bad_rows = set(rng.sample(range(rows), bad))
    mistakes = [("nhs_number", "1234567890"), ("postcode", "NOT A POSTCODE"), ("date_of_birth", "2030-01-01"), ("concerns", "worries"),
                ("impact", "huge"), ("reason", "too short"), ("referrer_role", "wizard"), ("consent_basis", "")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for i in range(rows):
        school, urn = rng.choice(schools)
        age = rng.randint(3, 16)
        born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        row = {
            "given_name": rng.choice(given), "family_name": f"{rng.choice(family)}-{i:04d}", "date_of_birth": born.isoformat(),
            "nhs_number": sample_nhs_number(10_000 + i * 7), "postcode": rng.choice(["SS1 2AB", "SS2 6HX", "SS0 7QP", "SS9 4BN"]),
            "school_name": school, "school_urn": urn, "has_mhst": rng.choice(["yes", "no"]), "referrer_name": "Import Referrer",
            "referrer_role": rng.choice(["school_senco", "gp", "health_visitor", "teacher"]), "referrer_organisation": school,
            "consent_basis": rng.choice(["parent_with_pr", "parent_with_pr", "parent_with_pr", "best_interests"]), "child_aware": "yes",
            "reason": "Concerns raised by school and family over the last term; what has been tried so far is in the school's notes.",
            "concerns": ";".join(rng.choice(concerns)), "impact": rng.choice(["mild", "moderate", "severe"]),
            "duration": rng.choice(["under_1_month", "1_to_6_months", "over_6_months"]),
        }
        if i in bad_rows:
            column, value = mistakes[len([b for b in bad_rows if b < i]) % len(mistakes)]
            row[column] = value
        writer.writerow(row)
    return out.getvalue()

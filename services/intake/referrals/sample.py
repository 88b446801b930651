"""Made-up import files (`frontdoor import-sample`, the administrator's sample download) and test NHS numbers:
fictional children, ages relative to today, NHS numbers from the 999 range the NHS reserves for testing."""

from __future__ import annotations

import random
from datetime import date

from services.common import csvfile
from services.intake.referrals.bulk import COLUMNS


def sample_nhs_number(serial: int) -> str:
    """A valid NHS number in the 999 test range."""
    for bump in range(10):
        body = f"999{(serial + bump) % 1_000_000:06d}"
        total = sum(int(d) * (10 - i) for i, d in enumerate(body))
        check = (11 - total % 11) % 11
        if check != 10:
            return body + str(check)
    raise AssertionError("unreachable")

def sample_import_csv(rows: int, bad: int, *, today: date, seed: int = 7) -> str:
    """A realistic import file (`frontdoor import-sample`) of `rows` referrals, `bad` of them with one
    mistake each (for trials and tests)."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    given = ["Ava", "Noah", "Mia", "Leo", "Isla", "Jacob", "Ella", "Oscar", "Ruby", "Theo", "Amira", "Kai", "Zara",
             "Finn", "Maya"]
    family = ["Hart", "Okafor", "Patel", "Brown", "Nowak", "Evans", "Smith", "Khan", "Jones", "Taylor", "Murphy",
              "Chen"]
    schools = [("Seaview Primary Academy", "114999"), ("Eastwood Academy", "115020"), ("Cecil Jones Academy", "136504"),
               ("Chalkwell Hall Infants", "114873")]
    concerns = [["anxiety"], ["stammering"], ["speech_sounds", "expressive_language"], ["housing", "attendance"],
                ["low_mood", "bereavement"], ["parenting"], ["anxiety", "school_avoidance"], ["social_communication"],
                ["bullying", "low_self_esteem"]]
    bad_rows = set(rng.sample(range(rows), bad))
    mistakes = [("nhs_number", "1234567890"), ("postcode", "NOT A POSTCODE"), ("date_of_birth", "2030-01-01"),
                ("concerns", "worries"), ("impact", "huge"), ("reason", "too short"), ("referrer_role", "wizard"),
                ("consent_basis", "")]
    written: list[dict[str, str]] = []
    for i in range(rows):
        school, urn = rng.choice(schools)
        age = rng.randint(3, 16)
        born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        row = {
            "given_name": rng.choice(given), "family_name": f"{rng.choice(family)}-{i:04d}",
            "date_of_birth": born.isoformat(), "nhs_number": sample_nhs_number(10_000 + i * 7),
            "postcode": rng.choice(["SS1 2AB", "SS2 6HX", "SS0 7QP", "SS9 4BN"]),
            "school_name": school, "school_urn": urn, "has_mhst": rng.choice(["yes", "no"]),
            "referrer_name": "Import Referrer",
            "referrer_role": rng.choice(["school_senco", "gp", "health_visitor", "teacher"]),
            "referrer_organisation": school,
            "consent_basis": rng.choice(["parent_with_pr", "parent_with_pr", "parent_with_pr", "best_interests"]),
            "child_aware": "yes",
            "reason": "Concerns raised by school and family over the last term; what has been tried so far is in the "
                      "school's notes.",
            "concerns": ";".join(rng.choice(concerns)), "impact": rng.choice(["mild", "moderate", "severe"]),
            "duration": rng.choice(["under_1_month", "1_to_6_months", "over_6_months"]),
        }
        if i in bad_rows:
            column, value = mistakes[len([b for b in bad_rows if b < i]) % len(mistakes)]
            row[column] = value
        written.append(row)
    return csvfile.write_dicts(COLUMNS, written)

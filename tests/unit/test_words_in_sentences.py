"""Words, not codes, inside a sentence (issue 22, item 11): a label set in the middle of a sentence loses only its
capital first letter, never the capitals of an acronym. Lower-casing a whole label made timelines read "mash",
"a&e attendance for mental health" and "mental health (semh)"."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from schemas import labels
from services.dsr import domain as dsr
from services.intake.referrals.domain import route_words

ACRONYM = re.compile(r"\b[A-Z][A-Z&]+\b")  # MASH, A&E, SEMH, CAMHS, ADHD, SEN, EHC, CETR


@pytest.mark.parametrize(("code", "words"), [
    ("mash", "MASH"), ("ae_attendance_mental_health", "A&E attendance for mental health"),
    ("semh", "mental health (SEMH)"), ("adhd", "ADHD"), ("ehcp", "EHC plan"), ("camhs", "CAMHS"),
    ("routine", "routine"), ("community", "community"), ("parent_with_pr", "a parent with parental responsibility"),
    ("sen_support", "SEN support"), ("some_new_thing", "some new thing"),
])
def test_a_label_in_a_sentence_keeps_its_acronyms(code: str, words: str) -> None:
    assert labels.in_sentence(code) == words


@pytest.mark.parametrize("code", sorted(labels.WORDS))
def test_every_label_in_a_sentence_is_the_label_but_for_its_first_letter(code: str) -> None:
    said, words = labels.in_sentence(code), labels.label(code)
    assert said[1:] == words[1:] and said[:1].lower() == words[:1].lower(), (said, words)
    assert ACRONYM.findall(said) == ACRONYM.findall(words), (said, words)  # no acronym lost its capitals


def test_a_route_to_mash_reads_mash_in_the_childs_timeline() -> None:
    assert route_words("safeguarding", "mash", "urgent") == "Safeguarding, MASH (urgent)"


def test_a_direct_addition_to_the_register_reads_a_and_e_in_capitals() -> None:
    said = dsr.direct_summary(agency="Adult social care", created=True, diagnoses=["adhd", "autism"],
                              risks=["ae_attendance_mental_health"], setting="inpatient", suggested=None,
                              escalate=False)
    assert "A&E attendance for mental health" in said and "ADHD, autism" in said, said
    assert "a&e" not in said and "adhd" not in said


def test_a_decision_on_the_register_timeline_reads_mash_in_capitals() -> None:
    from schemas.events import TriageDecided

    event = TriageDecided.model_construct(
        referral_id=uuid.uuid4(), outcome="routed", decided_at=datetime(2026, 1, 5, tzinfo=UTC),
        routes=[type("R", (), {"service": "safeguarding", "pathway": "mash", "priority": "urgent"})()])
    assert dsr.routes_text(event) == "Safeguarding, MASH (urgent)"


def test_no_page_lower_cases_a_whole_label() -> None:
    """A template sets a label inside a sentence with the `in_sentence` filter, never `label(...) | lower`, which
    made "mental health (semh)" of "Mental health (SEMH)" on the advice confirmation."""
    from services.portal.pages import HERE

    lowered = re.compile(r"label\([^)]*\)\s*\|\s*lower|\|\s*label\s*\|\s*lower")
    found = [f"{page.name}: {m.group(0)}" for page in sorted((HERE / "templates").glob("*.html"))
             for m in lowered.finditer(page.read_text(encoding="utf-8"))]
    assert found == []

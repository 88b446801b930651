"""Case notes (issue 23, item 4), the pure part: what a note's text may be (required, at most 5,000 characters as a
person counts them), the catalogue's sentences for each problem, a double submit told from a second note, and who
wrote a note in words."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from schemas.errors import problems
from schemas.messages import for_problem, sentence
from schemas.views.notes import NOTE_MAX_LENGTH, written_by
from services.common.notes import NoteForm, Submission, same_submission

KEY = uuid.UUID(int=1)
THING, OTHER = uuid.UUID(int=2), uuid.UUID(int=3)


def refused(text: str) -> list[str]:
    """The sentences a person reads for a note of `text`, through the API's 422 (its problems) and the catalogue."""
    try:
        NoteForm.model_validate({"text": text, "key": str(KEY)})
    except ValidationError as exc:
        return [for_problem(p, form="case_note") for p in problems(exc)]
    return []


@pytest.mark.parametrize(("text", "sentences"), [
    ("", ["Enter the note"]),
    ("   \n\t  ", ["Enter the note"]),
    ("x" * NOTE_MAX_LENGTH, []),
    ("x" * (NOTE_MAX_LENGTH + 1), ["The note must be 5,000 characters or fewer"]),
    ("  Rang the school: no answer.  ", []),
])
def test_a_note_is_required_and_at_most_5000_characters(text: str, sentences: list[str]) -> None:
    assert refused(text) == sentences


def test_a_line_break_counts_as_one_character_as_the_character_count_shows_it() -> None:
    """A browser sends a textarea's line breaks as CR LF; the page's count (and a person) counts one character."""
    text = ("x" * 99 + "\r\n") * 49 + "x" * 100  # 50 lines of 100 characters as counted: 5,000 (5,049 sent)
    form = NoteForm.model_validate({"text": text, "key": str(KEY)})
    assert len(form.text) == NOTE_MAX_LENGTH
    assert "\r" not in form.text and form.text.count("\n") == 49
    assert refused(text + "x") == ["The note must be 5,000 characters or fewer"]


def test_the_form_needs_its_key_and_nothing_else() -> None:
    with pytest.raises(ValidationError):
        NoteForm.model_validate({"text": "A note"})
    with pytest.raises(ValidationError):
        NoteForm.model_validate({"text": "A note", "key": "not-a-key"})
    with pytest.raises(ValidationError):
        NoteForm.model_validate({"text": "A note", "key": str(KEY), "by": "someone-else"})


def test_the_catalogue_has_the_notes_sentences() -> None:
    assert sentence("text", "missing", form="case_note") == "Enter the note"
    assert sentence("text", "string_too_long", {"max_length": NOTE_MAX_LENGTH},
                    form="case_note") == "The note must be 5,000 characters or fewer"


@pytest.mark.parametrize(("existing", "sent", "same"), [
    (Submission(THING, "Rang mum."), Submission(THING, "Rang mum."), True),  # refresh, or Back then send
    (Submission(THING, "Rang mum."), Submission(THING, "Rang mum. No answer."), False),  # other words: not a replay
    (Submission(THING, "Rang mum."), Submission(OTHER, "Rang mum."), False),  # the key on another thing
])
def test_a_double_submit_is_the_same_thing_and_the_same_words(existing: Submission, sent: Submission,
                                                                 same: bool) -> None:
    assert same_submission(existing, sent) is same


@pytest.mark.parametrize(("name", "team", "words"), [
    ("Dana Wright", "front_door", "Dana Wright, front door"),
    ("Aisha Khan", "semh", "Aisha Khan, Mental health (SEMH)"),
    ("Ruth Adeyemi", "dsr_panel", "Ruth Adeyemi, DSR meeting"),
    (None, "salt", "Name not recorded, Speech and language therapy"),
])
def test_who_wrote_a_note_reads_as_a_name_and_a_team(name: str | None, team: str, words: str) -> None:
    assert written_by(name, team) == words

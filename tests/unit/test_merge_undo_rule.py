"""Whether a merge can still be undone (issue 23, item 6), a table test of the pure rule in
services/intake/children/domain.py, and why not in words people read on the merge history."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.intake.children.domain import UndoState, undo_state

AT = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.utc)

CASES = [
    ("a merge in force, its survivor not merged since", None, None, None, UndoState(True, None, None)),
    ("undone: it says when and by whom", AT, "Dana Wright", None,
     UndoState(False, "undone", "It was undone on 4 March 2026 by Dana Wright.")),
    ("undone by someone whose name the record lacks", AT, None, None,
     UndoState(False, "undone", "It was undone on 4 March 2026 by a member of the front-door team.")),
    ("its survivor merged into another record since: that merge first", None, None, "Grace Wilson",
     UndoState(False, "merged_since", "The record it was merged into has since been merged into Grace Wilson's "
                                      "record. Undo that later merge first, then this one.")),
    ("undone and merged since: undone says more", AT, "Dana Wright", "Grace Wilson",
     UndoState(False, "undone", "It was undone on 4 March 2026 by Dana Wright.")),
]


@pytest.mark.parametrize(("why", "undone_at", "undone_by", "survivor_merged_into", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_undo_state(why: str, undone_at: datetime | None, undone_by: str | None, survivor_merged_into: str | None,
                    expected: UndoState) -> None:
    assert undo_state(undone_at=undone_at, undone_by_name=undone_by,
                      survivor_merged_into=survivor_merged_into) == expected, why

"""Who holds a piece of work: the pure rules (services/common/assignment.py), as a table."""

from __future__ import annotations

import pytest

from services.common.assignment import (
    HeldByAnotherError,
    Holder,
    HolderChangedError,
    NotAColleagueError,
    plan,
    words,
)

DANA, SOL, KIM = Holder("dana", "Dana Wright"), Holder("sol", "Sol Ahmed"), Holder("kim", "Kim Evans")


@pytest.mark.parametrize(("action", "current", "actor", "to", "confirm", "expected", "change", "after"), [
    ("pick_up", None, DANA, None, False, None, "picked_up", DANA),
    ("pick_up", DANA, DANA, None, False, None, None, None),  # already hers: nothing changes, nothing announced
    ("pick_up", DANA, SOL, None, True, "dana", "taken_over", SOL),
    ("give", None, DANA, SOL, False, None, "given", SOL),
    ("give", DANA, DANA, SOL, False, None, "given", SOL),
    ("give", DANA, DANA, DANA, False, None, None, None),
    ("give", SOL, DANA, KIM, True, "sol", "given", KIM),
    ("release", DANA, DANA, None, False, None, "unassigned", None),
    ("release", None, DANA, None, False, None, None, None),
    ("release", SOL, DANA, None, True, "sol", "unassigned", None),
    ("hand_over", DANA, DANA, SOL, False, None, "handed_over", SOL),
    ("hand_over", DANA, KIM, SOL, True, "dana", "handed_over", SOL),
])
def test_what_a_change_does(action, current, actor, to, confirm, expected, change, after) -> None:
    done = plan(action, current=current, actor=actor, to=to, confirm=confirm, expected=expected)
    if change is None:
        assert done is None
    else:
        assert done is not None and (done.change, done.to, done.previous) == (change, after, current)


@pytest.mark.parametrize(("action", "to"), [("pick_up", None), ("give", KIM), ("release", None)])
def test_taking_from_someone_else_needs_a_confirmation_naming_them(action, to) -> None:
    with pytest.raises(HeldByAnotherError) as refused:
        plan(action, current=SOL, actor=DANA, to=to)
    assert refused.value.status == 409
    assert refused.value.extra == {"held_by": "sol", "held_by_name": "Sol Ahmed"}
    assert "Sol" not in str(refused.value)  # the message names nobody; who holds it is in its own fields


@pytest.mark.parametrize(("current", "expected"), [(KIM, "sol"), (None, "sol"), (SOL, None)])
def test_a_confirmation_for_another_holder_is_refused_with_who_holds_it_now(current, expected) -> None:
    with pytest.raises(HolderChangedError) as refused:
        plan("pick_up", current=current, actor=DANA, confirm=True, expected=expected)
    assert refused.value.status == 409
    assert refused.value.extra["held_by"] == (current.subject if current else None)


def test_giving_needs_a_colleague() -> None:
    with pytest.raises(NotAColleagueError):
        plan("give", current=None, actor=DANA, to=None)


def test_words_name_people_never_login_ids() -> None:
    assert words("given", "Sol Ahmed", "Dana Wright") == "Given to Sol Ahmed by Dana Wright"
    assert words("unassigned", None, None) == "Released by a colleague"

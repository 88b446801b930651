"""Who holds a piece of work: the pure rules (services/common/assignment.py), as a table."""

from __future__ import annotations

import pytest

from services.common.assignment import (
    Action,
    HeldByAnotherError,
    Holder,
    HolderChangedError,
    NotAColleagueError,
    NotHolderError,
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
    ("release", DANA, DANA, KIM, False, None, "unassigned", None),  # a colleague named with a release: still nobody
    ("hand_over", DANA, DANA, SOL, False, None, "handed_over", SOL),
    ("hand_over", DANA, KIM, SOL, True, "dana", "handed_over", SOL),
])
def test_what_a_change_does(action: Action, current: Holder | None, actor: Holder, to: Holder | None, confirm: bool,
                             expected: str | None, change: str | None, after: Holder | None) -> None:
    done = plan(action, current=current, actor=actor, to=to, confirm=confirm, expected=expected)
    if change is None:
        assert done is None
    else:
        assert done is not None and (done.change, done.to, done.previous) == (change, after, current)


@pytest.mark.parametrize(("action", "to"), [("pick_up", None), ("give", KIM), ("release", None)])
def test_taking_from_someone_else_needs_a_confirmation_naming_them(action: Action, to: Holder | None) -> None:
    with pytest.raises(HeldByAnotherError) as refused:
        plan(action, current=SOL, actor=DANA, to=to)
    assert refused.value.status == 409
    assert refused.value.extra == {"held_by": "sol", "held_by_name": "Sol Ahmed"}
    assert "Sol" not in str(refused.value)  # the message names nobody; who holds it is in its own fields


@pytest.mark.parametrize(("current", "expected"), [(KIM, "sol"), (None, "sol"), (SOL, None)])
def test_a_confirmation_for_another_holder_is_refused_with_who_holds_it_now(current: Holder | None,
                                                                             expected: str | None) -> None:
    with pytest.raises(HolderChangedError) as refused:
        plan("pick_up", current=current, actor=DANA, confirm=True, expected=expected)
    assert refused.value.status == 409
    assert refused.value.extra["held_by"] == (current.subject if current else None)


@pytest.mark.parametrize("action", ["give", "hand_over"])
def test_giving_or_handing_over_needs_a_colleague(action: Action) -> None:
    with pytest.raises(NotAColleagueError):
        plan(action, current=DANA, actor=DANA, to=None)


@pytest.mark.parametrize(("holder", "extra"), [(SOL, {"held_by": "sol", "held_by_name": "Sol Ahmed"}),
                                               (None, {"held_by": None, "held_by_name": None})])
def test_a_handover_of_an_item_no_longer_held_says_who_holds_it_now(holder: Holder | None,
                                                                     extra: dict[str, str | None]) -> None:
    refused = NotHolderError(holder)
    assert (refused.status, refused.extra) == (409, extra)


@pytest.mark.parametrize(("holder", "shown"), [(DANA, {"subject": "dana", "name": "Dana Wright"}),
                                               (Holder("kim"), {"subject": "kim"})])  # no name known: none shown
def test_a_holder_as_the_events_and_pages_carry_them(holder: Holder, shown: dict[str, str]) -> None:
    assert holder.shown() == shown


@pytest.mark.parametrize(("change", "to_name", "by_name", "said"), [
    ("picked_up", "Dana Wright", None, "Picked up by Dana Wright"),
    ("taken_over", "Sol Ahmed", None, "Taken over by Sol Ahmed"),
    ("given", "Sol Ahmed", "Dana Wright", "Given to Sol Ahmed by Dana Wright"),
    ("handed_over", "Kim Evans", "Dana Wright", "Handed over to Kim Evans by Dana Wright"),
    ("unassigned", None, "Dana Wright", "Released by Dana Wright"),
    ("picked_up", None, None, "Picked up by a colleague"),  # a name not known: never the login id
    ("given", None, None, "Given to a colleague by a colleague"),
    ("reassigned", "Sol Ahmed", "Dana Wright", "reassigned"),  # a change this version does not know: as it came
])
def test_words_name_people_never_login_ids(change: str, to_name: str | None, by_name: str | None, said: str) -> None:
    assert words(change, to_name, by_name) == said

"""Whether MASH has yet to decide about a child (schemas.lifecycle.safeguarding_pending), table-driven: while it
has, every request made for the child waits for it."""

from __future__ import annotations

import pytest

from schemas.lifecycle import Waiting, safeguarding_pending

A, B = "referral-a", "referral-b"


def mash(referral: str = A, status: str = "created") -> Waiting:
    return Waiting(referral, "safeguarding", status, False, False)


def semh(referral: str = A, status: str = "created", *, held: bool = False, holds: bool = True) -> Waiting:
    return Waiting(referral, "semh", status, held, holds)


@pytest.mark.parametrize(("requests", "pending"), [
    ([], False),
    ([semh()], False),  # no safeguarding concern
    ([mash(), semh(held=True)], True),  # the disclosure case: MASH has released nothing yet
    ([mash(), semh(held=False)], False),  # MASH released what it held: it has decided
    ([mash(), semh(status="declined", held=True)], False),  # MASH declined what it held
    ([mash()], True),  # MASH alone: nothing held, MASH has yet to act on its own request
    ([mash(status="accepted")], False),  # MASH took it on
    ([mash(), semh(holds=False)], True),  # beside an emergency only (exempt): MASH has yet to act
    ([mash(status="accepted"), semh(held=True)], True),  # accepted, but has yet to decide on what it holds
    ([mash(A, "accepted"), mash(B)], True),  # a second concern, in another referral, waits
    ([mash(A), semh(A, held=False), semh(B, held=True)], True),  # another referral's request still held
    ([mash(A), semh(B)], True),  # a request of another referral does not answer MASH for this one
    ([semh(status="redirected", held=True)], False),  # held, but gone from the worklist
])
def test_mash_has_yet_to_decide(requests: list[Waiting], pending: bool) -> None:
    assert safeguarding_pending(requests) is pending

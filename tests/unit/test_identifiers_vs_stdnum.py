"""Our NHS number and UPN rules against python-stdnum's (stdnum.gb.nhs, stdnum.gb.upn) on generated inputs.

Where the two disagree, the difference must be one of the named, explained categories below; an unexplained
difference fails the test. A difference is explained when undoing the named leniencies of stdnum's (in the order
given) turns the input into one our contract takes, with the same value stdnum gives; or, the other way round, when
stdnum refuses for the one named reason our contract does not check. When both accept, they must agree on the value.

We compare what the intake takes from a person (the lax-mode field types); on the wire only the canonical form
passes (tests/unit/test_identifiers.py), so there every other input is refused as well.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import stdnum.exceptions
import stdnum.gb.nhs
import stdnum.gb.upn
import stdnum.util
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.identifiers import NhsNumber, Upn

Check = Callable[[str], str | None]

# -- stdnum accepts, our contract refuses: stdnum's leniencies, undone one after another ----------------------------

FOLDS_UNICODE = "stdnum folds Unicode look-alikes into ASCII (no-break and other spaces, en dashes, full-width digits)"
# ...our contract refuses non-ASCII before it normalises anything (schemas/identifiers.py).
HYPHENS = "stdnum takes hyphens as separators (943-476-5919)"
# ...our contract takes spaces only: a hyphenated value in this field is as likely a date or another reference.
OTHER_SPACE = "stdnum trims any white space at the ends (vertical tab, form feed, \\x1c-\\x1f, ...)"
# ...our contract trims tab, newline, carriage return and space only, the white space a person types.
SPACES_INSIDE_UPN = "stdnum takes spaces inside a UPN (H801 2000 01001)"
# ...UPNs are not written in groups; our contract takes spaces around a UPN only, as its JSON Schema pattern says.

# -- our contract accepts, stdnum refuses ------------------------------------------------------------------------
LA_LIST = "stdnum checks a UPN's local-authority number against its 2011 list; our contract does not"
# ...authorities have been created and merged since 2011, and the check letter already catches mistyping.


def _undo(raw: str, steps: list[tuple[str, Callable[[str], str]]], ours: Check, value: str) -> list[str] | None:
    """The leniencies (in order, only those that change something) whose undoing makes us take `raw` as `value`."""
    named = []
    for name, step in steps:
        undone = step(raw)
        if undone != raw:
            raw = undone
            named.append(name)
            if ours(raw) == value:
                return named
    return None


NHS_STEPS = [
    (FOLDS_UNICODE, stdnum.util.clean),
    (HYPHENS, lambda s: s.replace("-", "")),
    (OTHER_SPACE, lambda s: s.strip()),
]
UPN_STEPS = [
    (FOLDS_UNICODE, stdnum.util.clean),
    (SPACES_INSIDE_UPN, lambda s: s.replace(" ", "")),
    (OTHER_SPACE, lambda s: s.strip()),
]


def _theirs(module: object) -> Callable[[str], str | None]:
    def validate(raw: str) -> str | None:
        try:
            return module.validate(raw)  # type: ignore[attr-defined, no-any-return]
        except stdnum.exceptions.ValidationError:
            return None

    return validate


def _ours(type_: object) -> Check:
    adapter: TypeAdapter[str] = TypeAdapter(type_)

    def validate(raw: str) -> str | None:
        try:
            return adapter.validate_python(raw)
        except ValidationError:
            return None

    return validate


THEIRS_NHS, THEIRS_UPN = _theirs(stdnum.gb.nhs), _theirs(stdnum.gb.upn)
OURS_NHS, OURS_UPN = _ours(NhsNumber), _ours(Upn)


def _upn_la_only(raw: str, ours: str) -> bool:
    """stdnum refuses `raw` for its local-authority list alone: it raises InvalidComponent (checked after length and
    format, before the check letter) and our check letter is the one stdnum computes."""
    try:
        stdnum.gb.upn.validate(raw)
    except stdnum.exceptions.InvalidComponent:
        return stdnum.gb.upn.calc_check_digit(ours[1:]) == ours[0]
    except stdnum.exceptions.ValidationError:
        return False
    return False


def difference(raw: str, *, ours: Check, theirs: Check, steps: list[tuple[str, Callable[[str], str]]],
               la_list: bool = False) -> tuple[str, list[str]]:
    """("agree", []) or ("explained", [categories]) or ("unexplained", [what happened])."""
    mine, stdnums = ours(raw), theirs(raw)
    if mine == stdnums:
        return "agree", []
    if mine is None and stdnums is not None:
        named = _undo(raw, steps, ours, stdnums)
        if named:
            return "explained", named
        return "unexplained", [f"stdnum takes it as {stdnums!r}; we refuse it"]
    if mine is not None and stdnums is None and la_list and _upn_la_only(raw, mine):
        return "explained", [LA_LIST]
    return "unexplained", [f"we take it as {mine!r}; stdnum gives {stdnums!r}"]


# -- generated inputs ------------------------------------------------------------------------------------------------

DIGIT_LOOKALIKES = ["０", "٣", "𝟗"]  # full-width, Arabic-Indic, mathematical: stdnum folds the first and last
SEPARATORS = [" ", "  ", "-", "\t", "\u00a0", "\u2013", "\u3000", "/", "."]
ENDS = ["", " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\u00a0", "\u3000", "\u2003", "-"]


def nhs_check_digit(nine: str) -> str | None:
    """The digit stdnum's checksum accepts after these nine, or None when no digit works (check digit 10)."""
    return next((d for d in "0123456789" if stdnum.gb.nhs.checksum(nine + d) == 0), None)


@st.composite
def decorated(draw: st.DrawFn, core: st.SearchStrategy[str]) -> str:
    """A core value with separators, look-alike characters, case changes and padding a person or a system adds."""
    chars = list(draw(core))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        at = draw(st.integers(0, len(chars)))
        chars.insert(at, draw(st.sampled_from(SEPARATORS)))
    if chars and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(chars) - 1))
        if chars[at].isdigit():
            chars[at] = draw(st.sampled_from(DIGIT_LOOKALIKES)) if chars[at] == "9" else chr(0xFF10 + int(chars[at]))
    if draw(st.booleans()):
        chars = [c.lower() for c in chars]
    if draw(st.booleans()):
        return "".join(chars)
    return draw(st.sampled_from(ENDS)) + "".join(chars) + draw(st.sampled_from(ENDS))


@st.composite
def nhs_cores(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "any digits", "wrong length"]))
    if kind == "valid":
        nine = draw(st.text("0123456789", min_size=9, max_size=9))
        return nine + (nhs_check_digit(nine) or "0")
    if kind == "any digits":
        return draw(st.text("0123456789", min_size=10, max_size=10))
    return draw(st.text("0123456789", min_size=0, max_size=13).filter(lambda s: len(s) != 10))


UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
LISTED_LA = ["201", "801", "919", "938"]  # in stdnum's 2011 list


@st.composite
def upn_cores(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid, listed LA", "valid, listed LA", "valid, any LA", "any check letter",
                                 "wrong shape"]))
    if kind == "wrong shape":
        return draw(st.text("0123456789" + UPN_ALPHABET + "IOS", min_size=0, max_size=15))
    la = draw(st.sampled_from(LISTED_LA)) if kind == "valid, listed LA" else draw(st.text("0123456789", min_size=3,
                                                                                         max_size=3))
    middle = draw(st.text("0123456789", min_size=8, max_size=8))
    last = draw(st.sampled_from(["0", "1", "7", "A", "Z", "I", "O", "S"]))
    body = la + middle + last
    if kind == "any check letter" or last in "IOS":
        return draw(st.sampled_from(UPN_ALPHABET + "IOS0")) + body
    return stdnum.gb.upn.calc_check_digit(body) + body



@pytest.mark.property
@settings(max_examples=500, deadline=None)
@given(decorated(nhs_cores()))
def test_nhs_numbers_agree_with_stdnum_but_for_the_named_differences(raw: str) -> None:
    verdict, why = difference(raw, ours=OURS_NHS, theirs=THEIRS_NHS, steps=NHS_STEPS)
    assert verdict != "unexplained", (raw, why)


@pytest.mark.property
@settings(max_examples=500, deadline=None)
@given(decorated(upn_cores()))
def test_upns_agree_with_stdnum_but_for_the_named_differences(raw: str) -> None:
    verdict, why = difference(raw, ours=OURS_UPN, theirs=THEIRS_UPN, steps=UPN_STEPS, la_list=True)
    assert verdict != "unexplained", (raw, why)


# -- the categories are real, and the comparison can fail -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "categories"),
    [("943-476-5919", [HYPHENS]), ("943\u00a0476\u00a05919", [FOLDS_UNICODE]),
     ("９４３４７６５９１９", [FOLDS_UNICODE]),
     ("943\u2013476\u20135919", [FOLDS_UNICODE, HYPHENS]), ("\x0b9434765919", [OTHER_SPACE]),
     ("9434765919\x1c", [OTHER_SPACE]), ("\x0b943-476-5919", [HYPHENS, OTHER_SPACE])],
)
def test_each_nhs_category_is_seen(raw: str, categories: list[str]) -> None:
    assert difference(raw, ours=OURS_NHS, theirs=THEIRS_NHS, steps=NHS_STEPS) == ("explained", categories)


@pytest.mark.parametrize(
    ("raw", "verdict", "categories"),
    [("H801 2000 01001", "explained", [SPACES_INSIDE_UPN]), ("H801200001001\u00a0", "explained", [FOLDS_UNICODE]),
     ("\x0cH801200001001", "explained", [OTHER_SPACE]),
     ("E000200005001", "explained", [LA_LIST]), ("A000200005001", "agree", []),  # unlisted LA: 000
     ("h801200001001", "agree", []), (" H801200001001\t", "agree", [])],
)
def test_each_upn_category_is_seen(raw: str, verdict: str, categories: list[str]) -> None:
    assert difference(raw, ours=OURS_UPN, theirs=THEIRS_UPN, steps=UPN_STEPS, la_list=True) == (verdict, categories)


def test_both_accept_the_same_numbers_with_the_same_value() -> None:
    for raw in ("943 476 5919", "9434765919", "0000000000"):  # neither checks the issued ranges: 0000000000 passes
        assert OURS_NHS(raw) == THEIRS_NHS(raw) == raw.replace(" ", "")
    assert OURS_UPN("b801200005001") == THEIRS_UPN("b801200005001") == "B801200005001"


def test_an_unexplained_difference_fails_the_comparison() -> None:
    def wrong_check_digit_accepted(raw: str) -> str | None:
        digits = "".join(raw.split())
        return digits if digits.isascii() and digits.isdigit() and len(digits) == 10 else None

    def nines_refused(raw: str) -> str | None:
        value = OURS_NHS(raw)
        return None if value and value.startswith("9") else value

    assert difference("9434765918", ours=wrong_check_digit_accepted, theirs=THEIRS_NHS, steps=NHS_STEPS)[0] == (
        "unexplained")
    assert difference("943-476-5919", ours=nines_refused, theirs=THEIRS_NHS, steps=NHS_STEPS)[0] == "unexplained"
    assert difference("A000200005001", ours=lambda raw: raw, theirs=THEIRS_UPN, steps=UPN_STEPS,
                      la_list=True)[0] == "unexplained"  # a wrong check letter is not the LA list's doing

"""Check-digit and format rules for the identifiers a referral carries: pure functions, patterns and types.

Each identifier has a canonical form (`9434765919`, `H801200001001`, `SW1A 1AA`) and a form a person types (any
case, spaces where people put them). The field types `NhsNumber`, `Upn` and `Postcode` take the typed form in
pydantic's lax mode (intake, the portal, bulk import) and store it canonically; in strict mode (the wire: every
consumer decodes events strictly) they take the canonical form only. `CanonicalNhsNumber`, `CanonicalUpn` and
`CanonicalPostcode` take the canonical form only, in either mode (fields no person types).

The JSON Schema of every one of these types is the canonical `pattern` (`*_PATTERN`), which matches exactly the
strings the type accepts in strict mode, except for the NHS number's check digit and the UPN's check letter, which a
regular expression cannot express. `*_INPUT_PATTERN` matches exactly the typed forms. The patterns use only ASCII
character classes and `^...$`, so ECMA-262 (JSON Schema), Python's `re.fullmatch` and pydantic's Rust engine agree
on them. (Python's `re.search`, which the jsonschema package uses, and Java's and .NET's engines also let `$` match
before one final newline: there, `"SW1A 1AA\\n"` passes the pattern and the models still refuse it.)
Non-ASCII input is refused before anything is normalised: no case folding turns `ſ` into `S`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S (DfE UPN guidance)

# What a person may type around an identifier (and, in a postcode, between its two halves): ASCII only.
_SPACE = r"[\t\n\r ]"

# BS 7666 letter positions (the ONS/Royal Mail postcode format).
_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"  # first position: never Q, V or X
_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"  # second position: never I, J or Z
_THIRD_A9A = "ABCDEFGHJKPSTUW"  # third position in A9A
_FOURTH_AA9A = "ABEHMNPRVWXY"  # fourth position in AA9A
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # the inward code's two letters: never C, I, K, M, O or V


def _ranges(letters: str) -> str:
    """`ABCDEFGHJK` -> `A-HJK`: a character class body with runs of three or more letters as ranges."""
    runs: list[list[str]] = []
    for ch in sorted(set(letters)):
        if runs and ord(ch) == ord(runs[-1][-1]) + 1:
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return "".join(f"{r[0]}-{r[-1]}" if len(r) >= 3 else "".join(r) for r in runs)


def _letters(allowed: str, *, any_case: bool, also: str = "") -> str:
    return f"[{also}{_ranges(allowed)}{_ranges(allowed.lower()) if any_case else ''}]"


def _postcode_pattern(*, tolerant: bool) -> str:
    first, second, third, fourth, inward = (
        _letters(x, any_case=tolerant) for x in (_FIRST, _SECOND, _THIRD_A9A, _FOURTH_AA9A, _INWARD)
    )
    # A9, A99, A9A, AA9, AA99, AA9A. BFPO's BF1 fits AA9; GIR 0AA is the one code outside the rules. A district
    # never starts with 0 (B0, B06, AB01, EC0A are refused), except the single digit 0 after two letters (BL0, CR0).
    outward = f"{first}(?:[1-9](?:[0-9]|{third})?|{second}(?:0|[1-9](?:[0-9]|{fourth})?))"
    gap = f"{_SPACE}*" if tolerant else " "
    gir = "[Gg][Ii][Rr]" if tolerant else "GIR"
    zero_aa = "0[Aa][Aa]" if tolerant else "0AA"
    body = f"(?:{gir}{gap}{zero_aa}|{outward}{gap}[0-9]{inward}{inward})"
    return f"^{_SPACE}*{body}{_SPACE}*$" if tolerant else f"^{body}$"


def _upn_pattern(*, tolerant: bool) -> str:
    letter = _letters(_UPN_LETTERS, any_case=tolerant)
    last = _letters(_UPN_LETTERS, any_case=tolerant, also="0-9")
    body = f"{letter}[0-9]{{11}}{last}"
    return f"^{_SPACE}*{body}{_SPACE}*$" if tolerant else f"^{body}$"


POSTCODE_PATTERN = _postcode_pattern(tolerant=False)
"""The canonical postcode: upper case, one space before the inward code (`SW1A 1AA`)."""
POSTCODE_INPUT_PATTERN = _postcode_pattern(tolerant=True)
"""A postcode as a person types it: any case, spaces (or none) around and between the two halves."""
NHS_NUMBER_PATTERN = "^[0-9]{10}$"
"""The canonical NHS number: 10 digits (the last one a modulus 11 check digit the pattern cannot check)."""
NHS_NUMBER_INPUT_PATTERN = f"^{_SPACE}*[0-9](?: *[0-9]){{9}}{_SPACE}*$"
"""An NHS number as a person types it: 10 digits, with spaces anywhere between them (`943 476 5919`)."""
UPN_PATTERN = _upn_pattern(tolerant=False)
"""The canonical UPN: a check letter, 11 digits, a digit or letter (temporary UPN); upper case."""
UPN_INPUT_PATTERN = _upn_pattern(tolerant=True)
"""A UPN as a person types it: any case, spaces around it."""

_POSTCODE_INPUT = re.compile(POSTCODE_INPUT_PATTERN)
_NHS_NUMBER_INPUT = re.compile(NHS_NUMBER_INPUT_PATTERN)
_UPN_INPUT = re.compile(UPN_INPUT_PATTERN)


def _check_nhs_digit(digits: str) -> None:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError("check digit is wrong (not a valid NHS number)")


def normalise_nhs_number(raw: str) -> str:
    """Strip the spaces people type; raise ValueError unless 10 digits with a valid modulus 11 check digit."""
    if not raw.isascii() or not _NHS_NUMBER_INPUT.fullmatch(raw):
        raise ValueError("must be 10 digits")
    digits = "".join(raw.split())
    _check_nhs_digit(digits)
    return digits


def upn_check_letter(body: str) -> str:
    """Check letter for the 12 characters after it: weights 2..13, modulus 23, letters without I, O, S."""
    total = 0
    for weight, ch in enumerate(body, start=2):
        value = int(ch) if ch.isdigit() else _UPN_LETTERS.index(ch)
        total += value * weight
    return _UPN_LETTERS[total % 23]


def normalise_upn(raw: str) -> str:
    """Upper-case a unique pupil number; raise ValueError unless 13 characters with a valid check letter."""
    if not raw.isascii() or not _UPN_INPUT.fullmatch(raw):
        raise ValueError("must be a letter, 11 digits, then a digit or letter")
    upn = raw.strip().upper()
    if upn_check_letter(upn[1:]) != upn[0]:
        raise ValueError("check letter is wrong (not a valid UPN)")
    return upn


def normalise_postcode(raw: str) -> str:
    """Upper case with exactly one space before the inward code; raise ValueError unless a UK postcode.

    BS 7666 position rules (a district never starts with 0, but for the single digit 0 after two letters: CR0, not
    B0 or B06); GIR 0AA is the only code outside them (BFPO's BF1 fits them). Non-ASCII is
    refused first, then the spaces are dealt with, then the shape is checked (which bounds the length).
    """
    if not raw.isascii() or not _POSTCODE_INPUT.fullmatch(raw):
        raise ValueError("must be a UK postcode, like SS1 2AB")
    compact = "".join(raw.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}"


def _canonical_only(normalise: Callable[[str], str], what: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        if normalise(raw) != raw:
            raise ValueError(f"must be {what}")
        return raw

    return check


check_canonical_nhs_number = _canonical_only(normalise_nhs_number, "10 digits without spaces")
check_canonical_upn = _canonical_only(normalise_upn, "13 characters in upper case without spaces")
check_canonical_postcode = _canonical_only(
    normalise_postcode, "a UK postcode in upper case with one space before the last three characters, like SS1 2AB"
)


def _strings_only(check: Callable[[str], str]) -> Callable[[Any], Any]:
    # Runs on the value as received, before pydantic strips or coerces anything; a non-string falls through
    # to pydantic's own type error.
    def validate(value: Any) -> Any:
        return check(value) if isinstance(value, str) else value

    return validate


@dataclass(frozen=True)
class _Identifier:
    """An identifier field: in pydantic's lax mode (what a person types: intake, the portal, bulk import) the
    tolerant form is accepted and stored canonically; in strict mode (the wire: every consumer decodes events
    strictly) only the canonical form. `always_canonical` refuses the tolerant form in lax mode too.
    The JSON Schema is the canonical pattern: what an event carries."""

    tolerant: Callable[[str], str]
    canonical: Callable[[str], str]
    pattern: str
    description: str
    always_canonical: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        def string(check: Callable[[str], str], *, strict: bool) -> CoreSchema:
            plain = core_schema.str_schema(pattern=self.pattern, strict=strict, strip_whitespace=False)
            return core_schema.no_info_before_validator_function(_strings_only(check), plain)

        strict = string(self.canonical, strict=True)
        if self.always_canonical:
            return core_schema.lax_or_strict_schema(lax_schema=string(self.canonical, strict=False),
                                                    strict_schema=strict)
        return core_schema.lax_or_strict_schema(lax_schema=string(self.tolerant, strict=False), strict_schema=strict)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern, "description": self.description}


_TYPED = " Intake also takes it as a person types it: {}."
POSTCODE_DESCRIPTION = ("UK postcode by the BS 7666 letter positions (or GIR 0AA), upper case, one space before the "
                        "inward code; a district never starts with 0 but for the single digit 0 after two letters "
                        "(CR0 1AA, not B06 6UP).")
NhsNumber = Annotated[str, _Identifier(
    normalise_nhs_number, check_canonical_nhs_number, NHS_NUMBER_PATTERN,
    "NHS number: 10 digits, the last a modulus 11 check digit." + _TYPED.format("with spaces (943 476 5919)"),
)]
Upn = Annotated[str, _Identifier(
    normalise_upn, check_canonical_upn, UPN_PATTERN,
    "Unique pupil number: a check letter (modulus 23), 11 digits, then a digit or letter (temporary UPN)."
    + _TYPED.format("in lower case"),
)]
Postcode = Annotated[str, _Identifier(
    normalise_postcode, check_canonical_postcode, POSTCODE_PATTERN,
    POSTCODE_DESCRIPTION + _TYPED.format("in any case, with or without the space (sw1a1aa)"),
)]
CanonicalNhsNumber = Annotated[str, _Identifier(
    normalise_nhs_number, check_canonical_nhs_number, NHS_NUMBER_PATTERN,
    "NHS number: 10 digits, the last a modulus 11 check digit.", always_canonical=True,
)]
CanonicalPostcode = Annotated[str, _Identifier(
    normalise_postcode, check_canonical_postcode, POSTCODE_PATTERN,
    POSTCODE_DESCRIPTION, always_canonical=True,
)]
CanonicalUpn = Annotated[str, _Identifier(
    normalise_upn, check_canonical_upn, UPN_PATTERN,
    "Unique pupil number: a check letter (modulus 23), 11 digits, then a digit or letter (temporary UPN).",
    always_canonical=True,
)]

"""Check-digit and format rules for the identifiers a referral carries (pure functions)."""

from __future__ import annotations

import re

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S (DfE UPN guidance)
_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$")


def normalise_nhs_number(raw: str) -> str:
    """Strip the spaces people type; raise ValueError unless 10 digits with a valid modulus 11 check digit."""
    digits = raw.replace(" ", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise ValueError("must be 10 digits")
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError("check digit is wrong (not a valid NHS number)")
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
    upn = raw.strip().upper()
    if len(upn) != 13 or not upn.isascii():
        raise ValueError("must be 13 characters")
    if upn[0] not in _UPN_LETTERS or not upn[1:12].isdigit() or not (upn[12].isdigit() or upn[12] in _UPN_LETTERS):
        raise ValueError("must be a letter, 11 digits, then a digit or letter")
    if upn_check_letter(upn[1:]) != upn[0]:
        raise ValueError("check letter is wrong (not a valid UPN)")
    return upn


def normalise_postcode(raw: str) -> str:
    """Upper case with exactly one space before the inward code; raise ValueError unless a UK postcode."""
    compact = "".join(raw.split()).upper()
    if not _POSTCODE.match(compact):
        raise ValueError("must be a UK postcode, like SS1 2AB")
    return f"{compact[:-3]} {compact[-3:]}"

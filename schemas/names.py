"""People's names in the contracts: one reusable type, `PersonName`, for every person-name field (the child,
the referrer, the names a service or the register receives).

A name is normalised to NFC (one spelling of "é", so a name typed on two keyboards is the same name) and
refused (a ValueError naming the problem, never the value) when it holds:
- a control character (NUL, tab, newline, escape, ...; Unicode category Cc) or a line/paragraph separator;
- a text-direction control or another invisible format character (category Cf: the bidi embeddings, overrides
  and isolates U+202A-U+202E and U+2066-U+2069, the marks U+200E, U+200F and U+061C, zero-width spaces, the
  byte-order mark, tag characters ...). The zero-width joiner and non-joiner (U+200D, U+200C) stay allowed:
  names in Persian, Urdu, Hindi, Malayalam and other scripts need them between letters;
- a surrogate or private-use character;
- no visible character at all (only spaces, joiners, combining marks or the blank "filler" letters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

JOINERS = frozenset({"\u200c", "\u200d"})  # zero-width non-joiner and joiner: part of how some scripts are spelt
# Letters and symbols that draw nothing: the Hangul fillers, the blank braille pattern, the combining grapheme
# joiner, the Mongolian vowel separator. A "name" made of them looks empty.
BLANK = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u180e"})
REFUSED_CATEGORIES = {
    "Cc": "must not contain control characters",
    "Zl": "must not contain line breaks",
    "Zp": "must not contain line breaks",
    "Cs": "must not contain invalid characters",
    "Co": "must not contain private-use characters",
}
# White space, one definition for the model, the JSON Schema and a tolerant input's trimming: Unicode's White_Space
# characters (not the byte-order mark, a format character, refused in a name). Written with escapes every regex
# dialect reads alike (Python, Rust's regex crate, which pydantic uses, and ECMA-262, which JSON Schema names);
# `\s` differs between the three.
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")
WHITE_SPACE_CLASS = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A string without white space at either end (or empty: lengths are the other constraints' business).
TRIMMED = rf"^(?:[^{WHITE_SPACE_CLASS}](?:[\s\S]*[^{WHITE_SPACE_CLASS}])?)?$"
Trimmed = StringConstraints(pattern=TRIMMED)


def too_long(limit: int) -> PydanticCustomError:
    """pydantic's own error for a string over `limit` characters (the catalogue's "... must be N characters or
    fewer")."""
    return PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                               {"max_length": limit})


def at_most(limit: int) -> BeforeValidator:
    """A before-validator refusing a string longer than `limit` as it was sent, before any trimming: the JSON
    Schema's maxLength counts the raw string, so the server counts it too (issue 24, item 3)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise too_long(limit)
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class TypedText(GroupedMetadata):
    """A form's text as a person types it (`Annotated[str, TypedText(3, 500)]`), the one type of every request's
    free text: refused when longer than `max_length` as sent (white space around it counted, as the schema's
    maxLength counts it), then trimmed, then refused when shorter than `min_length`. The JSON Schema says both: a
    `maxLength`, and a pattern that needs `min_length` characters from the first that is not white space to the
    last (the length after trimming; the schema's own `minLength` counts white space and is weaker)."""

    min_length: int = 0
    max_length: int | None = None

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(strip_whitespace=True, min_length=self.min_length, max_length=self.max_length)
        if self.max_length is not None:
            yield at_most(self.max_length)
        ws, n = WHITE_SPACE_CLASS, self.min_length
        if n:
            middle = r"[\s\S]*$" if n == 1 else rf"[\s\S]{{{n - 2},}}[^{ws}][{ws}]*$"
            yield Field(json_schema_extra={"pattern": rf"^[{ws}]*[^{ws}]" + middle})
FORMAT_PROBLEM = "must not contain text-direction controls or invisible formatting characters"
NO_VISIBLE = "must contain at least one visible letter"


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNPS" and ch not in BLANK


def check_person_name(value: str) -> str:
    """The name in NFC; ValueError when it holds a refused character or nothing visible."""
    name = unicodedata.normalize("NFC", value)
    for ch in name:
        category = unicodedata.category(ch)
        if category in REFUSED_CATEGORIES:
            raise ValueError(REFUSED_CATEGORIES[category])
        if category == "Cf" and ch not in JOINERS:
            raise ValueError(FORMAT_PROBLEM)
    if not any(_visible(ch) for ch in name):
        raise ValueError(NO_VISIBLE)
    return name


PersonName = Annotated[
    str, Trimmed, StringConstraints(min_length=1, max_length=100), AfterValidator(check_person_name),
    Field(description="A person's name, stored in Unicode NFC: no control, line-break, text-direction or other "
                      "invisible formatting characters (the zero-width joiner and non-joiner excepted), and at "
                      "least one visible character"),
]
"""A person's name: 1-100 characters, NFC, no control or direction characters, something visible."""


def name_key(name: str) -> str:
    """A name as a matching key, case-, accent-, space- and punctuation-blind: "O'Brien-Smith " == "obriensmith".
    Intake matches children and the register matches people on it."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())

"""Words, not codes (issue 22, item 11): the codes a rendered page shows a person. A page may name a code only in
small print (`govuk-body-s`, `<small>`, `<code>`): a rule's id beside its name, say. Anywhere else this finds

- a code with an underscore (`due_date_moved`, `looked_after`) or a dotted rule id (`boost.looked_after`);
- an ISO date (`2026-01-05`): dates read "5 January 2026";
- an acronym written in small letters (`mash`, `a&e`, `semh`): what lower-casing a whole label does."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from schemas.labels import WORDS

SMALL_PRINT = ("govuk-body-s", "govuk-hint", "app-small-print")
SMALL_TAGS = ("small", "code", "script", "style", "title")
VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"))
ACRONYMS = sorted({a for words in WORDS.values() for a in re.findall(r"\b[A-Z][A-Z&]+\b", words)}, key=len)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
RULE_ID = re.compile(r"\b[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\b")
FILE_NAMES = re.compile(r"\b[\w.-]+\.(?:csv|yaml|yml|json)\b")


class _Text(HTMLParser):
    """The text a person reads in full size: everything outside small print."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # for each open element: is it small print?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append(tag in SMALL_TAGS or any(c in SMALL_PRINT for c in classes))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.parts.append(data)


def full_size_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return unescape(" ".join(reader.parts))


def codes_shown(html: str) -> list[str]:
    """Every code the page shows outside small print (empty: words only)."""
    text = FILE_NAMES.sub(" ", full_size_text(html))
    found = ISO_DATE.findall(text) + SNAKE.findall(text) + RULE_ID.findall(text)
    found += [a.lower() for a in ACRONYMS if re.search(rf"(?<![\w&]){re.escape(a.lower())}(?![\w&])", text)]
    return found

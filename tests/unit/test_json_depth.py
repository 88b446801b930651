"""The count of how deep a JSON body nests, as its bytes arrive (issue 12, item 5)."""

from __future__ import annotations

import json

import pytest

from services.common.http_guards import BodyProblemError, DepthScanner, JsonTooDeepError


def feed(body: bytes, *, max_depth: int = 4, size: int | None = None) -> DepthScanner:
    """Feed `body` in chunks of `size` bytes (all at once when None), as an ASGI server would."""
    scanner = DepthScanner(max_depth)
    chunks = [body[i:i + size] for i in range(0, len(body), size)] if size else [body]
    for i, chunk in enumerate(chunks):
        scanner.feed(chunk, more=i < len(chunks) - 1)
    return scanner


@pytest.mark.parametrize("size", [None, 1, 2, 3, 7])
def test_depth_up_to_the_limit_passes_and_one_more_is_refused_whatever_the_chunks(size: int | None) -> None:
    assert feed(b'{"a": [[{"b": 1}]]}', size=size).depth == 0  # four levels, closed again
    with pytest.raises(JsonTooDeepError):
        feed(b'{"a": [[{"b": [1]}]]}', size=size)


@pytest.mark.parametrize("size", [None, 1, 5])
def test_brackets_and_escaped_quotes_inside_strings_do_not_count(size: int | None) -> None:
    body = b'{"a": "[[[[[{{{{\\"[[[[[\\\\", "b": ["]]]]"]}'
    assert json.loads(body) == {"a": '[[[[[{{{{"[[[[[\\', "b": ["]]]]"]}
    assert feed(body, size=size, max_depth=2).depth == 0


@pytest.mark.parametrize("body", [b"user=%5B%5B%5B%5B%5B", b"a,b\n[[[[[[,{{{{{{\n", b"--x\r\n[[[[[[[[[[", b"",
                                  b"   \n", b"[["])
def test_what_is_not_json_is_left_alone(body: bytes) -> None:
    feed(body, max_depth=2)


def test_white_space_and_a_byte_order_mark_before_the_json_are_seen_through() -> None:
    for body in (b"\n\n   " + b"[" * 5, b"\xef\xbb\xbf" + b"[" * 5):
        for size in (None, 1):
            with pytest.raises(JsonTooDeepError):
                feed(body, size=size)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32"])
def test_json_in_utf_16_or_32_is_refused_as_a_whole(encoding: str) -> None:
    body = ("[" * 3 + "]" * 3).encode(encoding)
    assert json.loads(body) == [[[]]]  # what json.loads would read, and this count could not follow
    for size in (None, 1):
        with pytest.raises(BodyProblemError, match="UTF-8"):
            feed(body, size=size)

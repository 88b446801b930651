"""The JSON Schema patterns for NHS number, UPN and postcode match exactly what the field types accept.

The one thing a pattern cannot say is a check digit (NHS number) or check letter (UPN): a string the pattern
allows and the type refuses must have a wrong check character, as python-stdnum judges it. The patterns are also
run through an ECMA-262 engine (node), the dialect JSON Schema names, to show it reads them as Python does.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest
import stdnum.exceptions
import stdnum.gb.nhs
import stdnum.gb.upn
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas import identifiers
from schemas.identifiers import (
    NHS_NUMBER_INPUT_PATTERN,
    NHS_NUMBER_PATTERN,
    POSTCODE_INPUT_PATTERN,
    POSTCODE_PATTERN,
    UPN_INPUT_PATTERN,
    UPN_PATTERN,
    NhsNumber,
    Postcode,
    Upn,
)

PATTERNS = {name: getattr(identifiers, name) for name in dir(identifiers) if name.endswith("_PATTERN")}


def accepted(type_: object, raw: str, *, strict: bool) -> str | None:
    try:
        return TypeAdapter(type_).validate_python(raw, strict=strict)
    except ValidationError:
        return None


def nhs_check_wrong(raw: str) -> bool:
    try:
        stdnum.gb.nhs.validate("".join(raw.split()))
    except stdnum.exceptions.InvalidChecksum:
        return True
    return False


def upn_check_wrong(raw: str) -> bool:
    upn = raw.strip().upper()
    return stdnum.gb.upn.calc_check_digit(upn[1:]) != upn[0]


def near(pattern: str, extra: str) -> st.SearchStrategy[str]:
    """Strings the pattern allows, and the same with one character changed, added or taken away."""

    @st.composite
    def edited(draw: st.DrawFn) -> str:
        text = list(draw(st.from_regex(pattern, fullmatch=True)))
        if draw(st.booleans()) and text:
            at = draw(st.integers(0, len(text) - 1))
            change = draw(st.sampled_from(["replace", "insert", "delete"]))
            if change == "delete":
                del text[at]
            else:
                ch = draw(st.sampled_from(list(extra)))
                text[at:at + (change == "replace")] = [ch]
        return "".join(text)

    return edited()


CHARS = "0123456789AaHhIOoSsZz -\t\n\x0b\u00a0ſ９"


@pytest.mark.parametrize(
    ("type_", "typed", "wire", "check_wrong"),
    [(NhsNumber, NHS_NUMBER_INPUT_PATTERN, NHS_NUMBER_PATTERN, nhs_check_wrong),
     (Upn, UPN_INPUT_PATTERN, UPN_PATTERN, upn_check_wrong)],
    ids=["nhs_number", "upn"],
)
@pytest.mark.property
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_pattern_and_its_type_differ_only_by_the_check_character(type_, typed, wire, check_wrong, data) -> None:
    raw = data.draw(st.one_of(near(typed, CHARS), near(wire, CHARS)))
    for pattern, strict in ((typed, False), (wire, True)):
        value = accepted(type_, raw, strict=strict)
        matches = re.fullmatch(pattern, raw) is not None
        if value is not None:
            assert matches, (raw, "the type takes it, the pattern does not")
        elif matches:
            assert check_wrong(raw), (raw, "the pattern allows it, the type refuses it, the check character is right")


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(st.one_of(near(POSTCODE_INPUT_PATTERN, CHARS), near(POSTCODE_PATTERN, CHARS)))
def test_the_postcode_patterns_are_exactly_the_postcode_type(raw: str) -> None:
    for pattern, strict in ((POSTCODE_INPUT_PATTERN, False), (POSTCODE_PATTERN, True)):
        assert (accepted(Postcode, raw, strict=strict) is not None) == (re.fullmatch(pattern, raw) is not None)


def test_the_exported_json_schema_carries_the_wire_patterns() -> None:
    from schemas.referral import Child

    properties = Child.model_json_schema()["properties"]
    assert properties["postcode"]["pattern"] == POSTCODE_PATTERN
    assert properties["nhs_number"]["anyOf"][0]["pattern"] == NHS_NUMBER_PATTERN
    assert properties["upn"]["anyOf"][0]["pattern"] == UPN_PATTERN


SAMPLES = [
    "SW1A 1AA", "sw1a1aa", " SW1A  1AA ", "SW1A 1AA\n", "\nSW1A 1AA", "SW1A\u00a01AA", "ſW1A 1AA", "GIR 0AA", "gir0aa",
    "QA1 1AA", "A1I 1AA", "SW1A 1CI", "AB1 0OO", "BF1 3AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "DN55 1PT",
    "9434765919", "943 476 5919", "9434765919\n", "943-476-5919", "９434765919", "\t9434765919\r\n",
    "H801200001001", "h801200001001", "H801200001001\n", "H80120000100A", "I801200001001", "H 801200001001", "",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node (installed by `make` for the portal) is not on PATH")
def test_an_ecma_262_engine_reads_the_patterns_as_python_does() -> None:
    rng = random.Random(13)  # the fixed samples, and 400 edits of them (one to three characters each)
    samples = list(SAMPLES)
    for _ in range(400):
        text = list(rng.choice(SAMPLES))
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(text))
            text[at:at + rng.randint(0, 1)] = [rng.choice(CHARS)] if rng.random() < 0.8 else []
        samples.append("".join(text))
    script = """
        const [patterns, samples] = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const out = {};
        for (const [name, p] of Object.entries(patterns)) {
            for (const flags of ["", "u"]) {
                const re = new RegExp(p, flags);
                out[name + "/" + flags] = samples.map((s) => re.test(s));
            }
        }
        process.stdout.write(JSON.stringify(out));
    """
    run = subprocess.run(["node", "-e", script], input=json.dumps([PATTERNS, samples]), capture_output=True,
                         text=True, check=True, timeout=60)
    ecma = json.loads(run.stdout)
    for name, pattern in PATTERNS.items():
        python = [re.fullmatch(pattern, s) is not None for s in samples]
        assert ecma[name + "/"] == python, name
        assert ecma[name + "/u"] == python, name

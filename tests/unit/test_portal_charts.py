"""The DSR chart's colours follow the ratings (issue 22, item 8): each rating's parts and legend key are drawn in that
rating's GOV.UK colour, never another's, each with a pattern of its own and named in words (WCAG 1.4.1)."""

from __future__ import annotations

import re

from services.portal import charts

WEEKS = [("7 Jun", [("Red", 2.0), ("Amber", 1.0), ("Green", 3.0), ("Blue", 1.0), ("Not rated", 4.0)]),
         ("14 Jun", [("Red", 0.0), ("Amber", 2.0), ("Green", 3.0), ("Blue", 0.0), ("Not rated", 1.0)])]
GOVUK = {"Red": "#ca3535", "Amber": "#f47738", "Green": "#0f7a52", "Blue": "#1d70b8"}


def test_each_rating_is_drawn_in_its_own_colour_with_its_own_pattern_and_its_name() -> None:
    svg = str(charts.stacked_chart("Open entries by rating", WEEKS, styles=charts.RATING_STYLES))
    parts = re.findall(r'<g class="app-chart__part"><rect [^>]*fill="(#[0-9a-f]{6})"[^>]*>(?:<title>([^<]*)</title>)?'
                       r'</rect><rect [^>]*fill="url\(#([^)]+)\)"[^>]*></rect>(?:<text[^>]*>([^<]*)</text>)?</g>', svg)
    keys = {name: fill for fill, title, _, name in parts if name}
    assert keys == GOVUK | {"Not rated": charts.RATING_STYLES["Not rated"][0]}
    bars = [(title.split(":")[0], fill, pattern) for fill, title, pattern, name in parts if title]
    assert len(bars) == 8  # the zeros are not drawn
    for rating, fill, _ in bars:
        assert fill == keys[rating], (rating, fill)
    patterns = {rating: pattern for rating, _, pattern in bars}
    assert len(set(patterns.values())) == len(patterns)  # a pattern each: colour is never the only cue
    assert "Red: 2 entries" in svg and "Amber: 1 entry" in svg


def test_a_chart_without_styles_is_unchanged_in_kind() -> None:
    svg = str(charts.stacked_chart("Parts", [("A", [("x", 1.0), ("y", 2.0)])]))
    assert svg.count("<rect") >= 4 and "url(#" not in svg

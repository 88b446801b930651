"""Server-rendered SVG bar charts (no JavaScript, no CDN). Each chart is an image with a text
alternative; the page shows the same figures as a table beside it for screen-reader users."""

from __future__ import annotations

import re
from collections.abc import Mapping

from markupsafe import Markup, escape

# GOV.UK colour palette: blue, green, orange, purple, pink, turquoise (distinct in greyscale too, with labels).
COLOURS = ["#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d53880", "#28a197"]
SVG_ATTRS = 'xmlns="http://www.w3.org/2000/svg" focusable="false" font-family="GDS Transport, arial, sans-serif"'
INK = 'fill="#0b0c0c"'
SUPPRESSED = "suppressed"  # what a suppressed small number reads (services.intake.reports.domain.SUPPRESSED)

# White marks drawn over a part's colour, so no part is told from another by its colour alone (WCAG 1.4.1).
PATTERNS = {
    "diagonal": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#ffffff" stroke-width="2"></path>',
    "dots": '<circle cx="4" cy="4" r="1.6" fill="#ffffff"></circle>',
    "horizontal": '<path d="M0,4 h8" stroke="#ffffff" stroke-width="2"></path>',
    "vertical": '<path d="M4,0 v8" stroke="#ffffff" stroke-width="2"></path>',
    "cross": '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#ffffff" stroke-width="1.5"></path>',
}
# The DSR ratings as the register's tags show them: each in its GOV.UK Frontend colour (the palette's "primary"),
# with a pattern of its own; "Not rated" grey (black at 50% tint).
RATING_STYLES = {"Red": ("#ca3535", "diagonal"), "Amber": ("#f47738", "dots"), "Green": ("#0f7a52", "horizontal"),
                 "Blue": ("#1d70b8", "vertical"), "Not rated": ("#858686", "cross")}


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def bar_chart(title: str, bars: list[tuple[str, float | None]], *, unit: str = "", width: int = 640,
              label_w: int = 200) -> Markup:
    """Horizontal bars, one per (label, value), each labelled with its value (labels right-aligned in label_w).
    A value of None is a suppressed small number: no bar, labelled SUPPRESSED (the reports' disclosure control)."""
    if not bars:
        return Markup('<p class="govuk-body">No data yet.</p>')
    row, gap = 28, 8
    top = max((v for _, v in bars if v is not None), default=0) or 1
    height = len(bars) * (row + gap) + gap
    parts = [f'<svg class="app-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" {SVG_ATTRS}>']
    for i, (label, value) in enumerate(bars):
        y = gap + i * (row + gap)
        w = 0 if value is None else max(2, (width - label_w - 90) * value / top)
        shown = SUPPRESSED if value is None else f"{value:g}{unit}"
        label_x, text_y = label_w - 8, f"{y + row * 0.68:.1f}"
        parts.append(f'<text x="{label_x}" y="{text_y}" text-anchor="end" font-size="15" {INK}>{escape(label)}</text>')
        if w:
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row}" fill="{colour(i)}"></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{text_y}" font-size="15" {INK}>{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def stacked_chart(title: str, rows: list[tuple[str, list[tuple[str, float]]]], *, width: int = 640,
                  styles: Mapping[str, tuple[str, str]] | None = None, unit: tuple[str, str] = ("entry", "entries"),
                  ) -> Markup:
    """One horizontal bar per row, split into its named parts, with a legend (parts keep their order).

    `styles` gives each part, by name, its colour and one of PATTERNS (RATING_STYLES for the DSR's ratings): every
    part and legend key is then drawn in its own colour with its pattern over it, and each part of a bar is named
    with its count in a <title> ("Red: 2 entries", `unit` singular and plural). Without `styles` the parts take
    COLOURS in turn."""
    if not rows:
        return Markup('<p class="govuk-body">No data yet.</p>')
    names = [name for name, _ in rows[0][1]]
    row, label_w, gap, legend_h = 24, 150, 6, 30  # label_w: "30 September 2026" at 13px
    top = max(sum(v for _, v in parts) for _, parts in rows) or 1
    height = legend_h + len(rows) * (row + gap) + gap
    chart_id = "app-chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")

    def fill(i: int, name: str) -> str:
        return styles[name][0] if styles and name in styles else colour(i)

    def part(i: int, name: str, box: str, named: str = "", after: str = "") -> str:
        """A part of a bar or a legend key: its colour, then (with `styles`) its pattern over it."""
        shape = f'<rect {box} fill="{fill(i, name)}">{named}</rect>'
        if not (styles and name in styles):
            return shape + after
        over = f'<rect {box} fill="url(#{chart_id}-{styles[name][1]})"></rect>'
        return f'<g class="app-chart__part">{shape}{over}{after}</g>'

    out = [f'<svg class="app-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
           f'width="100%" {SVG_ATTRS}>']
    if styles:
        out.append("<defs>" + "".join(
            f'<pattern id="{chart_id}-{key}" width="8" height="8" patternUnits="userSpaceOnUse">{marks}</pattern>'
            for key, marks in PATTERNS.items() if any(p == key for _, p in styles.values())) + "</defs>")
    for i, name in enumerate(names):
        key_x = label_w + i * 95
        out.append(part(i, name, f'x="{key_x}" y="4" width="14" height="14"',
                        after=f'<text x="{key_x + 18}" y="16" font-size="13" {INK}>{escape(name)}</text>'))
    label_x = label_w - 8
    for r, (label, parts) in enumerate(rows):
        y = legend_h + gap + r * (row + gap)
        text_y = f"{y + row * 0.7:.1f}"
        out.append(f'<text x="{label_x}" y="{text_y}" text-anchor="end" font-size="13" {INK}>{escape(label)}</text>')
        x = float(label_w)
        for i, (name, value) in enumerate(parts):
            w = (width - label_w - 40) * value / top
            if w > 0:
                counted = f"{value:g} {unit[0] if value == 1 else unit[1]}"
                named = f"<title>{escape(name)}: {counted}</title>" if styles else ""
                out.append(part(i, name, f'x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row}"', named))
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{text_y}" font-size="13" {INK}>{sum(v for _, v in parts):g}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text in it went through escape()

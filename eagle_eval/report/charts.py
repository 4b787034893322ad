"""Inline SVG bar charts: deltas against the paper per benchmark, differences against a baseline.

Written by hand rather than with matplotlib (not a dependency, and its SVG embeds glyph paths and
styles that make each chart tens of kilobytes): a horizontal bar chart with optional interval
whiskers is a few dozen lines, and every label goes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from eagle_eval.core.units import UNITS
from eagle_eval.report.view import TaskOverview

ROW_HEIGHT = 22
PLOT_WIDTH = 320
# Generous widths of a character of the 12 px label font (capitals and m/w are the widest), so no
# label runs past its margin whatever font the browser picks.
CHAR_WIDTH, WIDE_CHAR_WIDTH = 7.5, 11.0
MIN_MARGIN = 48


@dataclass
class Bar:
    label: str
    value: float
    low: float | None = None
    high: float | None = None


def _format(value: float) -> str:
    return f"{value:+.1f}"


def _text_width(texts: Sequence[str]) -> float:
    def width(text: str) -> float:
        return sum(WIDE_CHAR_WIDTH if char.isupper() or char in "mwMW@%" else CHAR_WIDTH for char in text)

    return max(MIN_MARGIN, max(width(text) for text in texts) + 12)


def _value_text(bar: Bar) -> str:
    text = _format(bar.value)
    if bar.low is not None and bar.high is not None:
        text += f" [{bar.low:+.1f}, {bar.high:+.1f}]"
    return text


def bar_chart(bars: Sequence[Bar], title: str, empty_note: str) -> str:
    """A horizontal bar per item around a zero line; whiskers where an interval is given.

    The margins are as wide as the longest label and value text, and the SVG scales to its box
    (width 100%, viewBox), so no label is cut at either edge at any window width.
    """
    if not bars:
        return f'<p class="chart-empty">{escape(empty_note)}</p>'
    extent = max(max(abs(b.value), abs(b.low or 0), abs(b.high or 0)) for b in bars) or 1.0
    label_width = _text_width([b.label for b in bars])
    value_width = _text_width([_value_text(b) for b in bars])
    width = round(label_width + PLOT_WIDTH + value_width)
    height = ROW_HEIGHT * len(bars) + 40
    zero = label_width + PLOT_WIDTH / 2

    def x(value: float) -> float:
        return zero + value / extent * (PLOT_WIDTH / 2 - 6)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>',
        f'<line x1="{zero:.1f}" y1="18" x2="{zero:.1f}" y2="{height - 18}" class="axis"/>',
        f'<text x="{zero:.1f}" y="{height - 4}" text-anchor="middle" class="tick">0</text>',
        f'<text x="{x(extent):.1f}" y="{height - 4}" text-anchor="end" class="tick">{_format(extent)}</text>',
        f'<text x="{x(-extent):.1f}" y="{height - 4}" text-anchor="start" class="tick">{_format(-extent)}</text>',
    ]
    for index, bar in enumerate(bars):
        top = 20 + index * ROW_HEIGHT
        left, right = sorted((x(0), x(bar.value)))
        kind = "pos" if bar.value >= 0 else "neg"
        parts.append(f'<text x="{label_width - 8:.1f}" y="{top + 14}" text-anchor="end" class="label">{escape(bar.label)}</text>')
        parts.append(
            f'<rect x="{left:.1f}" y="{top + 3}" width="{max(right - left, 1):.1f}" height="{ROW_HEIGHT - 8}" class="bar {kind}"/>'
        )
        if bar.low is not None and bar.high is not None:
            mid = top + ROW_HEIGHT / 2 - 1
            parts.append(f'<line x1="{x(bar.low):.1f}" y1="{mid}" x2="{x(bar.high):.1f}" y2="{mid}" class="whisker"/>')
            for end in (bar.low, bar.high):
                parts.append(f'<line x1="{x(end):.1f}" y1="{mid - 5}" x2="{x(end):.1f}" y2="{mid + 5}" class="whisker"/>')
        parts.append(f'<text x="{label_width + PLOT_WIDTH + 6:.1f}" y="{top + 14}" class="value">{escape(_value_text(bar))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts_by_units(bars: Sequence[tuple[str, Bar]], title: str, empty_note: str) -> str:
    """One bar chart per unit, each on its own scale: MME's points beside percentages would shrink
    every percent bar to nothing. A single unit gives a single chart."""
    units = list(dict.fromkeys(unit for unit, _ in bars))
    if len(units) <= 1:
        return bar_chart([bar for _, bar in bars], title, empty_note)
    parts = []
    for unit in units:
        label = UNITS[unit].label if unit in UNITS else unit
        parts.append(f'<h4 class="chart-unit">{escape(label)}</h4>')
        parts.append(bar_chart([bar for u, bar in bars if u == unit], f"{title}: {label}", empty_note))
    return "".join(parts)


def paper_delta_chart(tasks: Sequence[TaskOverview], reference: str | None) -> str:
    bars = [(t.units, Bar(f"{t.task} ({t.paper_column})", t.paper_delta)) for t in tasks if t.paper_delta is not None]
    note = "no paper reference for this model (pass --reference NAME)" if reference is None else "no task has a paper value"
    return charts_by_units(bars, f"Run minus the paper ({reference}), in paper units", note)


def baseline_chart(tasks: Sequence[TaskOverview], baseline: str) -> str:
    bars = []
    for t in tasks:
        if t.baseline_delta is None:
            continue
        interval = t.baseline_interval
        bars.append((t.units, Bar(t.task, t.baseline_delta, interval.low if interval else None,
                                  interval.high if interval else None)))
    return charts_by_units(bars, f"Run minus the baseline {baseline}, with 95% intervals", "no task in common with the baseline")

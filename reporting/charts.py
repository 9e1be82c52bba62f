"""Server-side charts for the operations dashboard: geometry for inline SVG, computed here, drawn by templates.

Pure functions (no database). Horizontal positions are percentages of the chart's width and vertical ones are
pixels, so a chart stretches to any screen while its text keeps its size (no viewBox scaling that would shrink
labels to nothing on a phone). Numbers are formatted here, as strings, so templates never localise coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext as _

BAR_TRACK = 72.0  # % of the width the longest bar takes; the rest holds its value
ROW_HEIGHT = 40  # px per horizontal bar: a label line and the bar under it
COLUMN_PLOT_HEIGHT = 160
COLUMN_AXIS_HEIGHT = 22


def number(value: float | int | None, places: int = 0) -> str:
    """A figure for people: grouped thousands, `places` decimals, a dash when unknown. Chinese locale formats
    group nothing (no separator); statistics read better as 3,603,627, so an empty separator becomes a comma."""
    if value is None:
        return "—"
    separator = get_format("THOUSAND_SEPARATOR")
    return numberformat.format(
        round(value, places),
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=get_format("NUMBER_GROUPING") if separator else 3,
        thousand_sep=separator or ",",
        force_grouping=True,
    )


def duration(seconds: float | None) -> str:
    """Seconds as the largest unit that reads well: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return _("%(n)s s") % {"n": number(seconds)}
    if seconds < 90 * 60:
        return _("%(n)s min") % {"n": number(seconds / 60)}
    if seconds < 48 * 3600:
        return _("%(n)s h") % {"n": number(seconds / 3600, 1)}
    return _("%(n)s d") % {"n": number(seconds / 86400, 1)}


def _pct(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value, as shown after the bar
    width: str  # % of the chart width
    text_x: str  # % where the value text starts
    label_y: int
    bar_y: int
    css: str = ""
    marker: str | None = None  # % position of a reference tick (a time limit), if any


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    height: int
    bar_height: int = 14


def bar_chart(
    rows: list[tuple[str, float | None, str]],
    *,
    markers: list[float | None] | None = None,
    css: list[str] | None = None,
) -> BarChart:
    """Horizontal bars, one per (label, value, value text); the largest value (or marker) fills BAR_TRACK."""
    markers = markers or [None] * len(rows)
    css = css or [""] * len(rows)
    scale = max([v or 0 for _l, v, _t in rows] + [m or 0 for m in markers] + [0])
    bars = []
    for index, ((label, value, text), marker, style) in enumerate(zip(rows, markers, css, strict=True)):
        width = BAR_TRACK * (value or 0) / scale if scale else 0.0
        if value and width < 0.4:
            width = 0.4  # a value that exists is never drawn as nothing
        bars.append(
            Bar(
                label=label,
                text=text,
                width=_pct(width),
                text_x=_pct(width + 1.5),
                label_y=index * ROW_HEIGHT + 14,
                bar_y=index * ROW_HEIGHT + 20,
                css=style,
                marker=_pct(BAR_TRACK * marker / scale) if marker is not None and scale else None,
            )
        )
    return BarChart(bars=tuple(bars), height=len(rows) * ROW_HEIGHT + 4)


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10^n) that divides 0…top into about `ticks` parts."""
    if top <= 0:
        return 1
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(1, factor * magnitude)
    return 10 * magnitude  # pragma: no cover — the loop always returns


@dataclass(frozen=True)
class Column:
    label: str  # under the column; empty when there is no room for every label
    value: int
    x: str  # % of the width
    width: str
    y: int
    height: int
    title: str  # the full label and value (a tooltip)


@dataclass(frozen=True)
class Tick:
    y: int
    text: str


@dataclass(frozen=True)
class ColumnChart:
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    height: int
    plot_height: int
    axis_y: int
    label_y: int


def column_chart(points: list[tuple[str, str, int]], *, label_every: int = 1) -> ColumnChart:
    """Vertical columns over time, one per (axis label, full label, value), with a round-numbered scale."""
    top = max([n for _a, _f, n in points] + [0])
    step = nice_step(top)
    scale_top = max(step, math.ceil(top / step) * step)
    slot = 100 / max(1, len(points))
    plot = COLUMN_PLOT_HEIGHT
    columns = []
    for index, (axis_label, full_label, value) in enumerate(points):
        height = round(plot * value / scale_top) if scale_top else 0
        if value and height < 1:
            height = 1
        columns.append(
            Column(
                label=axis_label if index % label_every == 0 else "",
                value=value,
                x=_pct(index * slot + slot * 0.15),
                width=_pct(slot * 0.7),
                y=plot - height + 4,
                height=height,
                title=f"{full_label}: {number(value)}",
            )
        )
    ticks = tuple(
        Tick(y=plot - round(plot * k * step / scale_top) + 4, text=number(k * step))
        for k in range(int(scale_top / step) + 1)
    )
    return ColumnChart(
        columns=tuple(columns),
        ticks=ticks,
        height=plot + 4 + COLUMN_AXIS_HEIGHT,
        plot_height=plot,
        axis_y=plot + 4,
        label_y=plot + 4 + 16,
    )


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    value: int
    value_text: str
    share: str  # "48.0 %" for people
    dasharray: str  # SVG stroke-dasharray on a circle whose circumference is 100
    dashoffset: str


def donut(parts: list[tuple[str, str, int]]) -> tuple[Slice, ...]:
    """Shares of a whole as arcs of a ring (stroke-dasharray on a circle of circumference 100), clockwise from
    the top; zero parts get no arc."""
    total = sum(n for _k, _l, n in parts)
    slices = []
    start = 0.0
    for key, label, value in parts:
        share = 100 * value / total if total else 0.0
        slices.append(
            Slice(
                key=key,
                label=label,
                value=value,
                value_text=number(value),
                share=_("%(n)s %%") % {"n": number(share, 1)},
                dasharray=f"{share:.3f} {100 - share:.3f}",
                dashoffset=f"{25 - start:.3f}",
            )
        )
        start += share
    return tuple(slices)

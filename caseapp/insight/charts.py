"""Server-rendered SVG charts: geometry in Python, markup in templates/insight/_chart.html.

A chart is a list of shapes, each a tag with presentation attributes (x, y,
fill, stroke, class, data-*). No style attributes: the CSP forbids inline
styles, so colours come from app.css classes or presentation attributes, and
every series also differs by pattern and carries a direct text label, so the
charts read without colour. Every data mark has `data-value` (and a key), so
tests and curious people can read the numbers straight from the SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Sequence

# Pattern names understood by the template; "solid" means a plain fill.
PATTERNS = ("solid", "hatch", "dots", "cross", "horizontal", "vertical")


@dataclass
class Shape:
    tag: str  # rect, line, polygon, text, circle
    attrs: dict[str, object]
    text: str = ""


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    patterns: set[str] = field(default_factory=set)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (pattern, label)

    def fill(self, pattern: str) -> Optional[str]:
        """The fill attribute for a pattern (None: the CSS class decides)."""
        if pattern == "solid":
            return None
        self.patterns.add(pattern)
        return f"url(#{self.id}-{pattern})"

    def add(self, tag: str, text: str = "", **attrs: object) -> Shape:
        clean = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items() if value is not None}
        shape = Shape(tag, clean, text)
        self.shapes.append(shape)
        return shape


def number(value: Optional[float], decimals: int = 1) -> str:
    """Dutch notation: a decimal comma (3,5)."""
    if value is None:
        return "–"
    return f"{value:.{decimals}f}".replace(".", ",")


def _bar_class(pattern: str) -> str:
    # A patterned shape must not get a CSS fill: CSS beats the fill attribute.
    return "chart__bar" if pattern == "solid" else "chart__bar--pattern"


def _r(value: float) -> float:
    return round(value, 2)


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least `maximum` (steps of 1, 2 or 5 times a power of ten)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if step < 1 and maximum >= 1:
        step = 1
    top = math.ceil(maximum / step) * step
    return [round(step * n, 6) for n in range(int(round(top / step)) + 1)]


# ---------------------------------------------------------------------------
# Horizontal bars: one value per row (registrations per step)
# ---------------------------------------------------------------------------


def bar_chart(
    chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, str, float]], *, value_suffix: str = ""
) -> Chart:
    """rows: (key, label, value). Bars left to right, labels left, values at the bar end."""
    label_w, bar_w, row_h, top = 200, 380, 30, 10
    chart = Chart(chart_id, title, desc, width=label_w + bar_w + 80, height=top * 2 + row_h * max(len(rows), 1))
    top_value = max([value for _k, _l, value in rows] + [1])
    for index, (key, label, value) in enumerate(rows):
        y = top + index * row_h
        width = bar_w * value / top_value
        chart.add("text", label, x=label_w - 8, y=y + row_h / 2 + 5, text_anchor="end", class_="chart__label")
        chart.add(
            "rect", x=label_w, y=y + 5, width=_r(width), height=row_h - 10, class_="chart__bar",
            data_key=key, data_value=value,
        )
        chart.add("text", f"{number(value, 0)}{value_suffix}", x=_r(label_w + width + 6), y=y + row_h / 2 + 5,
                  class_="chart__value")
    chart.add("line", x1=label_w, y1=top, x2=label_w, y2=chart.height - top, class_="chart__axis")
    return chart


# ---------------------------------------------------------------------------
# Paired horizontal bars: median (solid) and 90th percentile (hatched) per row
# ---------------------------------------------------------------------------


def duration_chart(
    chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, str, Optional[float], Optional[float]]],
    *, median_label: str, p90_label: str, unit: str, empty_label: str,
) -> Chart:
    """rows: (key, label, median days, p90 days)."""
    label_w, bar_w, row_h, bar_h, top = 200, 360, 46, 16, 34
    chart = Chart(chart_id, title, desc, width=label_w + bar_w + 100, height=top + row_h * max(len(rows), 1) + 8)
    chart.legend = [("solid", median_label), ("hatch", p90_label)]
    top_value = max([v for _k, _l, m, p in rows for v in (m, p) if v is not None] + [1])
    # Legend inside the SVG, above the bars (a swatch with each pattern, and its name).
    for n, (pattern, text) in enumerate(chart.legend):
        x = label_w + n * 170
        chart.add("rect", x=x, y=6, width=18, height=14, fill=chart.fill(pattern),
                  class_=_bar_class(pattern))
        chart.add("text", text, x=x + 24, y=18, class_="chart__legend")
    for index, (key, label, median, p90) in enumerate(rows):
        y = top + index * row_h
        chart.add("text", label, x=label_w - 8, y=y + bar_h + 4, text_anchor="end", class_="chart__label")
        if median is None and p90 is None:
            chart.add("text", empty_label, x=label_w + 6, y=y + bar_h + 4, class_="chart__value chart__value--empty")
            continue
        for offset, series, value, pattern in ((0, "median", median, "solid"), (bar_h + 2, "p90", p90, "hatch")):
            width = bar_w * (value or 0) / top_value
            chart.add(
                "rect", x=label_w, y=y + offset, width=_r(width), height=bar_h, fill=chart.fill(pattern),
                class_=_bar_class(pattern),
                data_key=key, data_series=series, data_value=round(value or 0, 4),
            )
            chart.add("text", f"{number(value)} {unit}", x=_r(label_w + width + 6), y=y + offset + bar_h - 3,
                      class_="chart__value")
    chart.add("line", x1=label_w, y1=top - 4, x2=label_w, y2=chart.height - 8, class_="chart__axis")
    return chart


# ---------------------------------------------------------------------------
# Columns: one value per week (realised links)
# ---------------------------------------------------------------------------


def column_chart(
    chart_id: str, title: str, desc: str, columns: Sequence[tuple[date, str, int]], *, y_label: str
) -> Chart:
    """columns: (date, short label, value)."""
    left, right, top, bottom, plot_h = 44, 12, 16, 46, 200
    slot = max(12, min(56, 620 // max(len(columns), 1)))
    chart = Chart(chart_id, title, desc, width=left + right + slot * max(len(columns), 1), height=top + plot_h + bottom)
    ticks = nice_ticks(max([v for _d, _l, v in columns] + [1]), count=4)
    top_value = ticks[-1]
    base = top + plot_h
    for tick in ticks:
        y = _r(base - plot_h * tick / top_value)
        chart.add("line", x1=left, y1=y, x2=chart.width - right, y2=y, class_="chart__grid")
        chart.add("text", number(tick, 0), x=left - 6, y=y + 4, text_anchor="end", class_="chart__tick")
    chart.add("text", y_label, x=left, y=10, class_="chart__tick")
    label_every = max(1, math.ceil(36 / slot))
    for index, (day, label, value) in enumerate(columns):
        x = left + index * slot
        height = plot_h * value / top_value
        chart.add(
            "rect", x=x + 3, y=_r(base - height), width=slot - 6, height=_r(height), class_="chart__bar",
            data_key=day.isoformat(), data_value=value,
        )
        if value and slot >= 16:
            chart.add("text", str(value), x=x + slot / 2, y=_r(base - height - 4), text_anchor="middle",
                      class_="chart__value")
        if index % label_every == 0:
            chart.add("text", label, x=x + slot / 2, y=base + 16, text_anchor="middle", class_="chart__tick")
    chart.add("line", x1=left, y1=base, x2=chart.width - right, y2=base, class_="chart__axis")
    return chart


# ---------------------------------------------------------------------------
# Cumulative flow: stacked areas, one band per step
# ---------------------------------------------------------------------------


def flow_chart(
    chart_id: str, title: str, desc: str, dates: Sequence[date], bands: Sequence[tuple[str, str, str, Sequence[int]]],
    *, date_label,
) -> Chart:
    """bands: (key, label, pattern, counts per date), bottom band first.

    Each band is a polygon with `data-values` (its count per date, space
    separated); its label is written on the band at the right edge where there
    is room, and in the legend below.
    """
    left, right, top, plot_w, plot_h = 44, 230, 14, 560, 240
    legend_rows = math.ceil(len(bands) / 3)
    chart = Chart(chart_id, title, desc, width=left + plot_w + right, height=top + plot_h + 36 + legend_rows * 22)
    base = top + plot_h
    n = len(dates)
    totals = [sum(band[3][i] for band in bands) for i in range(n)]
    ticks = nice_ticks(max(totals + [1]), count=5)
    top_value = ticks[-1]

    def x_at(i: int) -> float:
        return _r(left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2))

    def y_at(value: float) -> float:
        return _r(base - plot_h * value / top_value)

    for tick in ticks:
        chart.add("line", x1=left, y1=y_at(tick), x2=left + plot_w, y2=y_at(tick), class_="chart__grid")
        chart.add("text", number(tick, 0), x=left - 6, y=y_at(tick) + 4, text_anchor="end", class_="chart__tick")

    lower = [0] * n
    for key, label, pattern, counts in bands:
        upper = [lower[i] + counts[i] for i in range(n)]
        if n == 1:  # a single date: draw a block rather than a line
            xs = [left + plot_w / 2 - 20, left + plot_w / 2 + 20]
            top_pts = [(xs[0], y_at(upper[0])), (xs[1], y_at(upper[0]))]
            bottom_pts = [(xs[1], y_at(lower[0])), (xs[0], y_at(lower[0]))]
        else:
            top_pts = [(x_at(i), y_at(upper[i])) for i in range(n)]
            bottom_pts = [(x_at(i), y_at(lower[i])) for i in reversed(range(n))]
        points = " ".join(f"{x},{y}" for x, y in top_pts + bottom_pts)
        chart.add(
            "polygon", points=points, fill=chart.fill(pattern),
            class_=f"chart__band chart__band--{key}" + ("" if pattern == "solid" else " chart__band--pattern"),
            data_key=key, data_values=" ".join(str(c) for c in counts),
        )
        if n:
            thickness = (upper[-1] - lower[-1]) * plot_h / top_value
            if thickness >= 13:  # direct label on the band, at the right edge
                mid = y_at((upper[-1] + lower[-1]) / 2)
                chart.add("text", f"{label} ({counts[-1]})", x=left + plot_w + 8, y=mid + 4, class_="chart__label")
        lower = upper
        chart.legend.append((pattern, label))

    chart.add("line", x1=left, y1=base, x2=left + plot_w, y2=base, class_="chart__axis")
    if n:
        for i in sorted({0, n // 2, n - 1}):
            chart.add("text", date_label(dates[i]), x=x_at(i), y=base + 16,
                      text_anchor="start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle"),
                      class_="chart__tick")
    # Legend under the plot: a swatch with each band's pattern and its name.
    for index, (pattern, label) in enumerate(chart.legend):
        row, col = divmod(index, 3)
        x, y = left + col * 230, base + 32 + row * 22
        chart.add("rect", x=x, y=y, width=18, height=14, fill=chart.fill(pattern),
                  class_=f"chart__band chart__band--{bands[index][0]}" + ("" if pattern == "solid" else " chart__band--pattern"))
        chart.add("text", label, x=x + 24, y=y + 12, class_="chart__legend")
    return chart

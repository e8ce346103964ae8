"""Bar and line charts as inline SVG, drawn on the server.

The same markup goes into a dashboard page and into a WeasyPrint PDF (which renders inline
SVG), so a chart looks the same in both and the page needs no JavaScript library. Each bar or
point may carry a link to the list behind the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#b23b3b", "#6b4fa0", "#7a7a7a")
FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif"


@dataclass
class Series:
    """One named row of figures, one figure per label; ``links`` parallel to ``values``."""

    name: str
    values: Sequence[float | int | Decimal | None]
    links: Sequence[str] = field(default_factory=tuple)


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def _nice_max(value: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _format(value) -> str:
    if value is None:
        return "—"
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:.1f}"


def _text(x, y, text, *, anchor="middle", size=11, fill="#333", extra="") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}" font-family="{FONT}"{extra}>{escape(str(text))}</text>')


def _wrap_link(markup: str, href: str, title: str) -> str:
    if not href:
        return f"<g><title>{escape(title)}</title>{markup}</g>"
    return f'<a href="{escape(href)}"><title>{escape(title)}</title>{markup}</a>'


def _frame(title: str, labels: Sequence[str], series: Sequence[Series], width: int, height: int,
           unit: str, maximum: float | None):
    top, bottom, left, right = (34 if title else 14), 46, 44, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((_number(v) for s in series for v in s.values), default=0)
    axis_max = maximum if maximum is not None else _nice_max(peak)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" aria-label="{escape(title)}">']
    if title:
        parts.append(_text(width / 2, 18, title, size=13, fill="#111", extra=' font-weight="bold"'))
    for i in range(5):
        value = axis_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(_text(left - 4, y + 4, _format(value) + unit, anchor="end", size=10, fill="#666"))
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#999"/>')
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        parts.append(_text(left + slot * (i + 0.5), top + plot_h + 15, label, size=10))
    if len(series) > 1 or (series and series[0].name):
        x = left
        for i, s in enumerate(series):
            colour = PALETTE[i % len(PALETTE)]
            parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{colour}"/>')
            parts.append(_text(x + 14, height - 7, s.name, anchor="start", size=10))
            x += 24 + 12 * len(s.name)
    geometry = {"top": top, "left": left, "plot_w": plot_w, "plot_h": plot_h, "slot": slot, "axis_max": axis_max}
    return parts, geometry


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str = "", width: int = 560,
              height: int = 260, unit: str = "", maximum: float | None = None) -> SafeString:
    """Grouped bars: one group per label, one bar per series, the figure above each bar."""
    parts, g = _frame(title, labels, series, width, height, unit, maximum)
    count = max(len(series), 1)
    bar_w = g["slot"] * 0.7 / count
    for si, s in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        for i, value in enumerate(s.values):
            number = _number(value)
            h = g["plot_h"] * min(number / g["axis_max"], 1.0)
            x = g["left"] + g["slot"] * i + g["slot"] * 0.15 + bar_w * si
            y = g["top"] + g["plot_h"] - h
            shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>'
                     + _text(x + bar_w / 2, y - 3, _format(value), size=10))
            href = s.links[i] if i < len(s.links) else ""
            parts.append(_wrap_link(shape, href, f"{labels[i]} {s.name}: {_format(value)}{unit}"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str = "", width: int = 560,
               height: int = 260, unit: str = "", maximum: float | None = None) -> SafeString:
    """One line per series over the labels (years, months); a missing figure breaks the line."""
    parts, g = _frame(title, labels, series, width, height, unit, maximum)
    for si, s in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        points, segments = [], [[]]
        for i, value in enumerate(s.values):
            if value is None:
                segments.append([])
                continue
            x = g["left"] + g["slot"] * (i + 0.5)
            y = g["top"] + g["plot_h"] - g["plot_h"] * min(_number(value) / g["axis_max"], 1.0)
            segments[-1].append(f"{x:.1f},{y:.1f}")
            dot = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
                   + _text(x, y - 7, _format(value), size=10))
            href = s.links[i] if i < len(s.links) else ""
            points.append(_wrap_link(dot, href, f"{labels[i]} {s.name}: {_format(value)}{unit}"))
        for segment in segments:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(points)
    parts.append("</svg>")
    return mark_safe("".join(parts))

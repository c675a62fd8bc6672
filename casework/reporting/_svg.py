"""Tiny inline SVG charts (no scripts, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from casework.reporting._format import Kind, fmt

_BAR = "#2b6cb0"
_PREV = "#b9cde5"
_TEXT = "#1a202c"


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float | int | None, float | int | None]],
    kind: Kind,
    width: int = 560,
) -> str:
    """Horizontal bars per group: this period (dark) and the previous one (light).

    Args:
        title: Accessible title of the chart.
        rows: ``(group, current, previous)``.
        kind: How values are formatted.
        width: Total width in pixels.
    """
    if not rows:
        return ""
    label_w, value_w, bar_h, gap = 130, 90, 11, 8
    plot_w = width - label_w - value_w
    values = [float(v) for _, c, p in rows for v in (c, p) if v is not None]
    top = 1.0 if kind == "ratio" else max(values, default=0.0) or 1.0
    height = len(rows) * (2 * bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">'
        f"<title>{escape(title)}</title>"
    ]
    y = gap
    for group, current, previous in rows:
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h + 3}" text-anchor="end" '
            f'font-size="11" fill="{_TEXT}">{escape(group[:20])}</text>'
        )
        for value, colour, dy in ((current, _BAR, 0), (previous, _PREV, bar_h)):
            w = 0.0 if value is None else max(0.0, float(value)) / top * plot_w
            parts.append(
                f'<rect x="{label_w}" y="{y + dy}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + bar_h - 2}" font-size="11" '
            f'fill="{_TEXT}">{escape(fmt(current, kind))}</text>'
        )
        y += 2 * bar_h + gap
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    points: Sequence[tuple[str, float | int | None]],
    kind: Kind,
    width: int = 560,
    height: int = 150,
) -> str:
    """A line over sub-periods (weeks), with the value at each point."""
    if not points:
        return ""
    left, right, top_pad, bottom = 20, 20, 22, 24
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [float(v) for _, v in points if v is not None]
    top = 1.0 if kind == "ratio" else (max(values, default=0.0) or 1.0)
    step = plot_w / max(1, len(points) - 1)
    coords: list[tuple[float, float | None]] = []
    for i, (_, value) in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        y = None if value is None else top_pad + plot_h - max(0.0, float(value)) / top * plot_h
        coords.append((x, y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_pad + plot_h}" stroke="#cbd5e0"/>'
    ]
    drawn = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords if y is not None)
    if drawn:
        parts.append(f'<polyline points="{drawn}" fill="none" stroke="{_BAR}" stroke-width="2"/>')
    for (x, y), (label, value) in zip(coords, points, strict=True):
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
            f'fill="{_TEXT}">{escape(label)}</text>'
        )
        if y is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{_BAR}"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" font-size="11" '
                f'fill="{_TEXT}">{escape(fmt(value, kind))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)

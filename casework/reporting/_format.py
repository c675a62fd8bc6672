"""Formatting of KPI measures for people (durations, percentages, counts)."""

from __future__ import annotations

from typing import Literal

Kind = Literal["seconds", "ratio", "count", "days", "score"]

_SECONDS = {"mean", "median", "p90", "signoff_median", "signoff_p90", "signoff_mean"}
_RATIOS = {"compliance", "rate", "csat"}


def measure_kind(measure: str) -> Kind:
    """Return how a measure is expressed, from its name."""
    if measure in _SECONDS:
        return "seconds"
    if measure in _RATIOS or measure.endswith("_compliance"):
        return "ratio"
    if measure.endswith("_days"):
        return "days"
    if measure == "mean_score":
        return "score"
    return "count"


def duration(seconds: float) -> str:
    """Return ``45s``, ``12m``, ``3h 20m`` or ``2d 4h``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h {m:02d}m"
    d, h = divmod(s // 3600, 24)
    return f"{d}d {h}h"


def fmt(value: float | int | None, kind: Kind) -> str:
    """Format ``value`` as ``kind`` (``-`` for no value)."""
    if value is None:
        return "-"
    if kind == "seconds":
        return duration(float(value))
    if kind == "ratio":
        return f"{float(value) * 100:.1f}%"
    if kind == "days":
        return f"{float(value):.1f} d"
    if kind == "score":
        return f"{float(value):.2f}"
    return f"{round(float(value)):,}"


def fmt_measure(measure: str, value: float | int | None) -> str:
    """Format the value of ``measure``."""
    return fmt(value, measure_kind(measure))


def change(
    current: float | int | None, previous: float | int | None, kind: Kind, better: str
) -> tuple[str, str]:
    """Return ``(text, tone)`` for the change from ``previous``; tone is good/bad/flat."""
    if current is None or previous is None:
        return ("no comparison", "flat")
    delta = float(current) - float(previous)
    if abs(delta) < 1e-9:
        return ("no change", "flat")
    arrow = "▲" if delta > 0 else "▼"
    if kind == "ratio":
        text = f"{arrow} {abs(delta) * 100:.1f} pts"
    elif kind == "seconds":
        text = f"{arrow} {duration(abs(delta))}"
    else:
        text = f"{arrow} {fmt(abs(delta), kind)}"
    if better == "neither":
        return (text, "flat")
    good = (delta > 0) == (better == "higher")
    return (text, "good" if good else "bad")

"""The results table and JSON line of ``bench/engine.py``, with its goals."""

from __future__ import annotations

import json
from typing import Any

from _bench_util import Row, print_table

GOALS: list[tuple[str, str, str, Any]] = [
    ("throughput_ratio", "interpreter / hand-written cases/s", ">= 0.95", lambda v: v >= 0.95),
    (
        "history_bytes_ratio",
        "history bytes interpreter / hand-written",
        "<= 1.10",
        lambda v: v <= 1.10,
    ),
    ("tuned_vs_default_throughput", "tuned / default server cases/s", ">= 2.5", lambda v: v >= 2.5),
    ("update_p50_ms", "task Update p50 (ms)", "<= 15", lambda v: v <= 15),
    ("update_p95_ms", "task Update p95 (ms)", "<= 25", lambda v: v <= 25),
    ("rejected_p95_ms", "rejected Update p95 (ms)", "<= 15", lambda v: v <= 15),
    ("memory_per_waiting_case_kb", "worker KB per waiting case", "<= 80", lambda v: v <= 80),
    (
        "memory_per_waiting_case_kb_sandboxed",
        "same, --sandbox worker",
        "<= 80",
        lambda v: v <= 80,
    ),
]


def _triple(out: dict[str, Any], figure: str, digits: int) -> str:
    return " / ".join(
        f"{out[f'{name}_{figure}']:.{digits}f}"
        for name in ("interpreter", "handwritten", "recorded")
    )


def report(out: dict[str, Any]) -> None:
    """Print the table, then the JSON line."""
    rows = [
        Row("interpreter cases/s (5 actions)", f"{out['interpreter_cases_per_s']:.1f}"),
        Row("hand-written cases/s", f"{out['handwritten_cases_per_s']:.1f}"),
        Row("hand-written + SAs + records cases/s", f"{out['recorded_cases_per_s']:.1f}"),
        Row("interpreter / that", f"{out['recorded_throughput_ratio']:.2f}"),
        Row("worker+client CPU ms per case interp/hand/+rec", _triple(out, "cpu_ms_per_case", 1)),
        Row("history events interp/hand/+rec", _triple(out, "history_events", 0)),
        Row("history bytes interp/hand/+rec", _triple(out, "history_bytes", 0)),
        Row(
            "side by side: tuned / default server cases/s",
            f"{out['tuned_server_cases_per_s']:.1f} / {out['default_server_cases_per_s']:.1f}"
            f" (rounds {', '.join(f'{r:.2f}' for r in out['tuned_vs_default_throughputs'])})",
        ),
        Row(
            "latency tuned / default (ms)",
            f"{out['tuned_latency_ms']:.0f} / {out['default_latency_ms']:.0f}",
        ),
        Row("latency ratio default/tuned", f"{out['tuned_vs_default_latency']:.2f}"),
    ]
    floor = out["memory_floor_kb"]
    rows.append(Row("worker KB per waiting hand-written case", f"{floor:.1f}"))
    above = out["memory_per_waiting_case_kb"] - floor
    rows.append(Row("worker KB per waiting case above that", f"{above:.1f}"))
    goals: dict[str, bool] = {}
    for key, label, goal, check in GOALS:
        met = bool(check(out[key]))
        goals[key] = met
        rows.append(Row(label, f"{out[key]:.2f}", goal, met))
    for name, figures in out["per_process"].items():
        if "error" in figures:
            rows.append(Row(f"history {name}", f"error: {figures['error'][:60]}"))
        else:
            rows.append(
                Row(
                    f"history {name}",
                    f"{figures['events']} ev, {figures['bytes']} B ({str(figures['ended'])[:40]})",
                )
            )
    print_table(rows)
    out["goals_met"] = goals
    print(json.dumps(out, default=str, sort_keys=True))

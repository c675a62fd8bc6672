"""Benchmark: time the ``weekly-regional`` report over a big records database.

    python bench/gen_records.py --url postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench
    python bench/reports.py --url postgresql+psycopg://postgres@127.0.0.1:5432/cw_bench

The database is the records benchmark's (``bench/gen_records.py``: 1M cases /
10M events by default). On a smaller one the time is also scaled linearly to
10M events (an estimate, said so). The period is the last full week
(Monday to Monday) before the newest case.
The time is split into SQL (executing and fetching the KPI queries) and Python
(building, rendering and writing the files), and the SQL time is broken down
per KPI and per statement (``--top N`` slowest statements of the best run).
Goal: < 30 s at 10M events. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, select

from casework.records.db import make_engine, upgrade
from casework.records.tables import (
    case_events,
    cases,
)
from casework.reporting._sql import sql_timer
from casework.reporting.build import build_report
from casework.reporting.periods import Period
from casework.reporting.render import write_files
from casework.reporting.specs import get_report

TARGET_EVENTS = 10_000_000
GOAL_SECONDS = 30.0


def _count(engine: Engine) -> tuple[int, int, dt.datetime | None]:
    with engine.connect() as conn:
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(case_events)).scalar_one()
        last = conn.execute(select(func.max(cases.c.opened_at))).scalar_one()
    if isinstance(last, str):
        last = dt.datetime.fromisoformat(last)
    return int(n_cases), int(n_events), last


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table and, last, one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:///bench/data/records.db")
    parser.add_argument("--report", default="weekly-regional")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top", type=int, default=8, help="slowest statements to list")
    args = parser.parse_args(argv)

    upgrade(args.url)
    engine = make_engine(args.url)
    n_cases, n_events, last = _count(engine)
    if not n_cases or last is None:
        print("the database holds no cases: run bench/gen_records.py --url URL first")
        return 2
    end_day = last.astimezone(dt.UTC).date()
    monday = end_day - dt.timedelta(days=end_day.weekday())
    end = dt.datetime.combine(monday, dt.time(0), tzinfo=dt.UTC)
    period = Period(end - dt.timedelta(days=7), end, "Europe/London")
    spec = get_report(args.report)

    runs: list[dict[str, float]] = []
    statements: list[list[tuple[str, float]]] = []
    report = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        with engine.connect() as conn, sql_timer() as timer:
            report = build_report(conn, spec, period, now=end)
        statements.append(timer.per_statement)
        built = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            write_files(report, Path(tmp))
        total = time.perf_counter() - started
        runs.append({
            "sql_s": report.sql_seconds,
            "python_s": total - report.sql_seconds,
            "render_s": total - (built - started),
            "total_s": total,
        })  # fmt: skip
    best_index = min(range(len(runs)), key=lambda k: runs[k]["total_s"])
    best = runs[best_index]
    per_kpi: dict[str, float] = collections.defaultdict(float)
    for label, seconds in statements[best_index]:
        per_kpi[label.split("[")[0] or "(other)"] += seconds
    scale = TARGET_EVENTS / n_events if n_events else 1.0
    assert report is not None

    print(f"\n{args.report} over {period.start:%Y-%m-%d} .. {period.end:%Y-%m-%d} "
          f"({engine.dialect.name}; {n_cases:,} cases, {n_events:,} events; "
          f"{report.sql_statements} SQL statements)")  # fmt: skip
    print(f"{'phase':<22}{'seconds':>10}{'at 10M events':>16}")
    for key, label in (("sql_s", "SQL"), ("python_s", "Python (incl. render)"),
                       ("render_s", "  of which render+write"), ("total_s", "total")):  # fmt: skip
        print(f"{label:<22}{best[key]:>10.2f}{best[key] * scale:>16.2f}")
    estimate = best["total_s"] * scale
    verdict = "PASS" if estimate < GOAL_SECONDS else "FAIL"
    if len(runs) > 1:
        print("every run, total s: " + ", ".join(f"{r['total_s']:.2f}" for r in runs))
    print(f"goal < {GOAL_SECONDS:.0f} s at 10M events: {verdict}"
          + (" (linear estimate)" if abs(scale - 1) > 0.05 else ""))  # fmt: skip
    print(f"\n{'SQL by KPI (both periods, every slice)':<44}{'seconds':>10}")
    for name, seconds in sorted(per_kpi.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<42}{seconds:>10.3f}")
    print(f"\n{'slowest statements':<44}{'seconds':>10}")
    for label, seconds in sorted(statements[best_index], key=lambda ls: -ls[1])[: args.top]:
        print(f"  {label:<42}{seconds:>10.3f}")
    print(json.dumps({
        "bench": "reports", "report": args.report, "dialect": engine.dialect.name,
        "cases": n_cases, "events": n_events, "statements": report.sql_statements,
        **{k: round(v, 3) for k, v in best.items()},
        "scale_to_10m": round(scale, 3), "total_s_at_10m": round(estimate, 2),
        "sql_s_by_kpi": {k: round(v, 3) for k, v in sorted(per_kpi.items())},
        "runs_total_s": [round(r["total_s"], 3) for r in runs],
        "goal_s": GOAL_SECONDS, "pass": estimate < GOAL_SECONDS,
    }))  # fmt: skip
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

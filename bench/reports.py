"""Benchmark: time the ``weekly-regional`` report over a big records database.

    python bench/reports.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/reports.py --url sqlite:///bench/data/reports.db --generate 100000

The database is the records benchmark's (``bench/gen_records.py``: 1M cases /
10M events). ``--generate N`` instead fills it with N synthetic cases (~10
events each) first, and the result is also scaled linearly to 10M events.
The time is split into SQL (executing and fetching the KPI queries) and Python
(building, rendering and writing the files). Goal: < 30 s at 10M events.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, select  # noqa: E402

from casework.records.db import make_engine, upgrade  # noqa: E402
from casework.records.tables import (  # noqa: E402
    case_events,
    cases,
    sla_clocks,
    survey_responses,
    tasks,
)
from casework.reporting.build import build_report  # noqa: E402
from casework.reporting.periods import Period  # noqa: E402
from casework.reporting.render import write_files  # noqa: E402
from casework.reporting.specs import get_report  # noqa: E402

TARGET_EVENTS = 10_000_000
GOAL_SECONDS = 30.0
REGIONS = ("north", "south", "east", "west", "central")
PROCESSES = ("complaint", "escalation", "policy-change-approval", "training-onboarding")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "phone", "chat", "web")
START = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)  # a Monday
SPAN_DAYS = 84


def _generate(engine: Engine, n: int, seed: int = 7) -> None:
    """Fill the case tables with ``n`` synthetic cases (about 10 events each)."""
    rnd = random.Random(seed)
    with engine.begin() as conn:
        for table in (case_events, tasks, sla_clocks, survey_responses, cases):
            conn.execute(table.delete())
    batch: dict[str, list[dict[str, Any]]] = {"c": [], "e": [], "t": [], "k": [], "s": []}

    def flush() -> None:
        with engine.begin() as conn:
            for key, table in (("c", cases), ("e", case_events), ("t", tasks),
                               ("k", sla_clocks), ("s", survey_responses)):  # fmt: skip
                if batch[key]:
                    conn.execute(table.insert(), batch[key])
                    batch[key].clear()

    for i in range(n):
        cid = f"C-{i:08X}"
        region = rnd.choice(REGIONS)
        opened = START + dt.timedelta(seconds=rnd.randrange(SPAN_DAYS * 86400))
        fr = opened + dt.timedelta(seconds=rnd.randrange(600, 4 * 86400))
        resolved = fr + dt.timedelta(seconds=rnd.randrange(600, 10 * 86400))
        done = rnd.random() < 0.85
        level = rnd.choice((0, 0, 0, 0, 1, 1, 2, 3))
        batch["c"].append({
            "case_id": cid, "process": rnd.choice(PROCESSES), "version": 1,
            "plan_hash": "0" * 64, "title": "", "status": "resolved" if done else "open",
            "priority": rnd.choice(PRIORITIES), "region": region,
            "team": f"{region}-{rnd.randrange(3)}", "customer": f"cust-{rnd.randrange(n // 3 + 1)}",
            "channel": rnd.choice(CHANNELS), "opened_by": "bench", "opened_at": opened,
            "first_response_at": fr, "resolved_at": resolved if done else None,
            "escalation_level": level, "sla_state": rnd.choice(("met", "breached", "at_risk")),
            "updated_at": resolved if done else fr, "current_steps": [], "data": {},
        })  # fmt: skip
        for name, stop in (("first_response", fr), ("resolution", resolved if done else None)):
            met = rnd.random() < 0.8
            batch["k"].append({
                "case_id": cid, "name": name, "target_seconds": 14400, "business": True,
                "started_at": opened, "state": ("met" if met else "breached") if stop else "running",
                "paused_seconds": 0, "stopped_at": stop,
                "breached_at": None if met else opened + dt.timedelta(hours=4),
                "at_risk": False, "elapsed_seconds": rnd.randrange(600, 40000) if stop else None,
            })  # fmt: skip
        for k in range(rnd.choice((1, 1, 2))):
            batch["t"].append({
                "task_id": f"{cid}.t{k}.1", "case_id": cid, "step_id": f"t{k}", "kind": "task",
                "name": "", "state": "completed" if done else "open", "created_at": opened,
                "completed_at": resolved if done else None,
            })  # fmt: skip
        kinds = ("case_opened", "step_entered", "sla_started", "task_created", "task_claimed",
                 "task_completed", "step_left", "notification_sent", "sla_met", "case_ended")  # fmt: skip
        for seq, kind in enumerate(kinds, start=1):
            at = opened + (resolved - opened) * (seq / len(kinds))
            batch["e"].append({"case_id": cid, "seq": seq, "at": at, "kind": kind,
                               "actor": "system", "details": {}})  # fmt: skip
        if done and rnd.random() < 0.1:
            batch["s"].append({"case_id": f"S-{i:08X}", "subject_case_id": cid,
                               "score": rnd.randint(1, 5), "responded_at": resolved})  # fmt: skip
        if len(batch["e"]) >= 50_000:
            flush()
    flush()


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
    parser.add_argument("--generate", type=int, default=0, help="insert N synthetic cases first")
    parser.add_argument("--report", default="weekly-regional")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    upgrade(args.url)
    engine = make_engine(args.url)
    if args.generate:
        t0 = time.perf_counter()
        _generate(engine, args.generate)
        print(f"generated {args.generate:,} cases in {time.perf_counter() - t0:.1f} s")
    n_cases, n_events, last = _count(engine)
    if not n_cases or last is None:
        print("the database holds no cases: run bench/gen_records.py or pass --generate N")
        return 2
    end_day = last.astimezone(dt.UTC).date()
    monday = end_day - dt.timedelta(days=end_day.weekday())
    end = dt.datetime.combine(monday, dt.time(0), tzinfo=dt.UTC)
    period = Period(end - dt.timedelta(days=7), end, "Europe/London")
    spec = get_report(args.report)

    runs: list[dict[str, float]] = []
    report = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        with engine.connect() as conn:
            report = build_report(conn, spec, period, now=end)
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
    best = min(runs, key=lambda r: r["total_s"])
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
    print(f"goal < {GOAL_SECONDS:.0f} s at 10M events: {verdict}"
          + (" (linear estimate)" if abs(scale - 1) > 0.05 else ""))  # fmt: skip
    print(json.dumps({
        "bench": "reports", "report": args.report, "dialect": engine.dialect.name,
        "cases": n_cases, "events": n_events, "statements": report.sql_statements,
        **{k: round(v, 3) for k, v in best.items()},
        "scale_to_10m": round(scale, 3), "total_s_at_10m": round(estimate, 2),
        "goal_s": GOAL_SECONDS, "pass": estimate < GOAL_SECONDS,
    }))  # fmt: skip
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Latency of the records queries on a generated database (goal: p95 < 50 ms).

Runs each query shape of ``casework.records.queries`` (the functions the API
and CLI call, pydantic shapes included) many times with varied parameters and
prints p50/p95 per shape; the LAST line is one JSON object.

    python bench/gen_records.py --url sqlite:///bench/data/records-100k.db --cases 100000
    python bench/records.py --url sqlite:///bench/data/records-100k.db
    python bench/records.py --url postgresql://postgres@127.0.0.1/cw_bench --cases 100000 --generate
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Engine, func, select

from casework.records import queries as q
from casework.records.db import make_engine
from casework.records.directory import list_people
from casework.records.tables import cases, people

GOAL_MS = 50.0
REGIONS = ["uk", "us", "de", "fr", "in"]
# the process ids bench/gen_records.py writes (the shipped definitions' ids)
PROCESSES = [
    "complaint-handling",
    "escalation",
    "policy-change-approval",
    "training-onboarding",
    "customer-feedback",
]
PRIORITIES = ["low", "normal", "high", "urgent"]
SLA = ["on_track", "at_risk", "breached"]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _to_dt(value: Any) -> dt.datetime:
    # min()/max() lose the column type on SQLite: parse the stored text.
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


class Bench:
    """Samples realistic parameters from the database and times query shapes."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        with engine.connect() as conn:
            self.n = conn.execute(select(func.count()).select_from(cases)).scalar_one()
            first, last = conn.execute(
                select(func.min(cases.c.opened_at), func.max(cases.c.opened_at))
            ).one()
            self.teams = sorted(set(conn.execute(select(people.c.team)).scalars()) - {None})
        self.first: dt.datetime = _to_dt(first)
        self.last: dt.datetime = _to_dt(last)
        self.people = list_people(engine)
        self.agents = [p for p in self.people if "agent" in p.roles]
        self.case_ids = [self._random_case() for _ in range(60)]
        cursor = None
        for _ in range(9):
            cursor = q.list_cases(engine, cursor=cursor).next_cursor
        self.page10 = cursor

    def _instant(self) -> dt.datetime:
        span = (self.last - self.first).total_seconds()
        return self.first + dt.timedelta(seconds=self.rng.random() * span)

    def _random_case(self) -> str:
        page = q.list_cases(self.engine, opened_until=self._instant(), limit=1)
        return page.items[0].case_id if page.items else ""

    def shapes(self) -> dict[str, Callable[[], Any]]:
        """Return query name -> a call with freshly drawn parameters."""
        e, r = self.engine, self.rng

        def month() -> Any:
            start = self._instant()
            return q.list_cases(
                e,
                process=r.choice(PROCESSES),
                opened_since=start,
                opened_until=start + dt.timedelta(days=30),
            )

        return {
            "list newest": lambda: q.list_cases(e),
            "list page 10": lambda: q.list_cases(e, cursor=self.page10),
            "filter status=open": lambda: q.list_cases(e, status="open"),
            "filter region+priority": lambda: q.list_cases(
                e, region=r.choice(REGIONS), priority=r.choice(PRIORITIES)
            ),
            "filter team+sla": lambda: q.list_cases(
                e, team=r.choice(self.teams), sla=r.choice(SLA)
            ),
            "filter assignee": lambda: q.list_cases(e, assignee=r.choice(self.people).id),
            "filter process+month": month,
            "filter customer": lambda: q.list_cases(e, customer=f"cust{r.randrange(200_000):06d}"),
            "inbox (may take)": lambda: q.inbox(e, person=r.choice(self.agents)),
            "inbox --mine": lambda: q.inbox(e, person=r.choice(self.agents), mine=True),
            "timeline": lambda: q.case_timeline(e, r.choice(self.case_ids)),
            "case detail": lambda: q.get_case(e, r.choice(self.case_ids)),
            "workload team": lambda: q.workload(e, team=r.choice(self.teams)),
            "workload all": lambda: q.workload(e),
            "surveys month": lambda: q.surveys(
                e, since=(s := self._instant()), until=s + dt.timedelta(days=30)
            ),
        }

    def run(self, repeat: int) -> dict[str, dict[str, float]]:
        """Time every shape ``repeat`` times (after 3 warm-up calls)."""
        results: dict[str, dict[str, float]] = {}
        for name, call in self.shapes().items():
            for _ in range(3):
                call()
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                samples.append((time.perf_counter() - started) * 1000)
            results[name] = {
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(_percentile(samples, 95), 2),
                "max_ms": round(max(samples), 2),
            }
        return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="records database URL")
    parser.add_argument(
        "--cases",
        type=int,
        default=100_000,
        help="cases to generate (with --generate or an empty database)",
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="(re)generate the data first (reused when it already has --cases)",
    )
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    with engine.connect() as conn:
        try:
            have = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        except Exception:
            have = 0
    if args.generate or have == 0:
        from gen_records import generate

        print(json.dumps(generate(args.url, args.cases, reuse=True)), file=sys.stderr)
    bench = Bench(engine, args.seed)
    results = bench.run(args.repeat)
    width = max(len(k) for k in results)
    print(f"records queries on {engine.dialect.name}, {bench.n:,} cases, {args.repeat} runs each")
    print(f"{'query':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}")
    for name, r in results.items():
        flag = "" if r["p95_ms"] < GOAL_MS else "  over goal"
        print(
            f"{name:<{width}}  {r['p50_ms']:>8.2f}  {r['p95_ms']:>8.2f}  {r['max_ms']:>8.2f}{flag}"
        )
    worst = max(r["p95_ms"] for r in results.values())
    engine.dispose()
    print(
        json.dumps(
            {
                "bench": "records",
                "dialect": engine.dialect.name,
                "cases": bench.n,
                "repeat": args.repeat,
                "queries": results,
                "worst_p95_ms": worst,
                "goal_p95_ms": GOAL_MS,
                "goal_met": worst < GOAL_MS,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

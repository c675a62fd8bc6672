"""Generate a large, realistic records database for benchmarks.

N cases (default 1,000,000) opened over 18 months across regions, teams,
processes, priorities and statuses, with ~10 events each, their tasks, SLA
clocks, survey answers and a directory of people. Deterministic for a seed.

PostgreSQL is loaded with COPY, SQLite with executemany in large transactions
(synchronous off); secondary indexes are dropped during the load and rebuilt
after it. ``--reuse`` keeps a database that already holds N cases.

    python bench/gen_records.py --url sqlite:///bench/data/records-1m.db
    python bench/gen_records.py --url postgresql://postgres@127.0.0.1:5432/cw_bench --cases 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, Index, func, select, text

from casework.records import tables as t
from casework.records.db import make_engine, normalise_url, upgrade
from casework.records.types import UTCDateTime

END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=548)
START = END - SPAN
REGIONS = [("uk", 30), ("us", 30), ("de", 15), ("fr", 15), ("in", 10)]
TEAM_KINDS = ["care", "billing", "tech"]
PROCESSES = [
    ("complaint-handling", 40),
    ("escalation", 15),
    ("policy-change-approval", 10),
    ("training-onboarding", 15),
    ("customer-feedback", 20),
]
PRIORITIES = [("low", 20), ("normal", 50), ("high", 22), ("urgent", 8)]
CHANNELS = ["email", "phone", "chat", "web"]
SKILLS = ["billing", "french", "german", "legal", "tech"]
AGENTS_PER_TEAM = 15
SUPERVISORS_PER_TEAM = 2
CHUNK = 20_000

KINDS_MIDDLE = [
    "step_entered",
    "step_left",
    "field_set",
    "task_claimed",
    "notification_sent",
    "sla_at_risk",
    "signal_received",
    "action_completed",
]


def _weighted(rng: random.Random, items: list[tuple[str, int]], n: int) -> list[str]:
    names = [i[0] for i in items]
    weights = [i[1] for i in items]
    return rng.choices(names, weights, k=n)


class Generator:
    """Builds rows deterministically; each ``*_rows`` method yields plain tuples."""

    def __init__(self, cases: int, seed: int) -> None:
        self.n = cases
        self.rng = random.Random(seed)
        self.teams: list[tuple[str, str, str]] = []  # (team id, region, kind)
        for region, _ in REGIONS:
            for kind in TEAM_KINDS:
                self.teams.append((f"{region}-{kind}", region, kind))
        self.people: list[dict[str, Any]] = []
        self.team_agents: dict[str, list[str]] = {}
        for team, region, _kind in self.teams:
            members: list[str] = []
            for i in range(AGENTS_PER_TEAM + SUPERVISORS_PER_TEAM):
                pid = f"{team}-{i:02d}"
                roles = ["agent"] if i < AGENTS_PER_TEAM else ["agent", "supervisor"]
                skills = sorted(self.rng.sample(SKILLS, self.rng.randint(0, 3)))
                self.people.append(
                    {
                        "id": pid,
                        "name": f"Person {pid}",
                        "email": f"{pid}@example.com",
                        "roles": roles,
                        "team": team,
                        "region": region,
                        "skills": skills,
                        "manager": f"{team}-{AGENTS_PER_TEAM:02d}",
                        "active": True,
                    }
                )
                members.append(pid)
            self.team_agents[team] = members

    def cases(self) -> Iterator[dict[str, Any]]:
        """Yield one dict per case with everything its rows need, oldest first."""
        rng = self.rng
        n = self.n
        processes = _weighted(rng, PROCESSES, n)
        priorities = _weighted(rng, PRIORITIES, n)
        regions = _weighted(rng, REGIONS, n)
        span_s = SPAN.total_seconds()
        recent = END - dt.timedelta(days=14)
        for i in range(n):
            opened = START + dt.timedelta(seconds=span_s * (i + rng.random()) / n)
            region = regions[i]
            team = f"{region}-{rng.choice(TEAM_KINDS)}"
            is_recent = opened >= recent
            roll = rng.random()
            if is_recent:
                status = "open" if roll < 0.6 else "waiting" if roll < 0.75 else "resolved"
            else:
                status = "open" if roll < 0.01 else "closed" if roll < 0.5 else "resolved"
            if processes[i] in ("training-onboarding", "policy-change-approval") and status in (
                "resolved",
                "closed",
            ):
                status = "completed"
            active = status in ("open", "waiting")
            sla_roll = rng.random()
            if active:
                sla = "on_track" if sla_roll < 0.7 else "at_risk" if sla_roll < 0.9 else "breached"
            else:
                sla = "met" if sla_roll < 0.85 else "breached"
            assignee = (
                rng.choice(self.team_agents[team]) if (not active or rng.random() < 0.7) else None
            )
            yield {
                "i": i,
                "case_id": f"C-{opened:%y%m%d}-{i:06X}",
                "process": processes[i],
                "priority": priorities[i],
                "region": region,
                "team": team,
                "status": status,
                "active": active,
                "sla": sla,
                "assignee": assignee,
                "opened": opened,
                "customer": f"cust{rng.randrange(200_000):06d}",
                "channel": rng.choice(CHANNELS),
                "events": rng.randint(8, 12),
                "duration": dt.timedelta(hours=rng.uniform(1, 240)),
            }


def build_rows(g: Generator, c: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Return the rows of one case for every table (instants as aware datetimes)."""
    rng = g.rng
    cid = c["case_id"]
    opened: dt.datetime = c["opened"]
    done_at = opened + c["duration"]
    resolved_at = None if c["active"] else done_at
    closed_at = done_at if c["status"] == "closed" else None
    first_response = opened + dt.timedelta(minutes=rng.randint(5, 600))
    fr_due = opened + dt.timedelta(hours=4)
    res_due = opened + dt.timedelta(days=3)
    last_seq = c["events"]
    outcome = None if c["active"] else rng.choice(["upheld", "rejected", "refunded", "done"])
    data = json.dumps(
        {
            "priority": c["priority"],
            "region": c["region"],
            "customer": c["customer"],
            "channel": c["channel"],
        }
    )
    case = (
        cid,
        c["process"],
        1,
        "ab" * 32,
        f"{c['process']} for {c['customer']}",
        c["status"],
        c["priority"],
        c["region"],
        c["team"],
        c["assignee"],
        c["customer"],
        c["channel"],
        "system",
        opened,
        first_response,
        resolved_at,
        closed_at,
        outcome,
        None,
        1 if c["sla"] == "breached" else 0,
        c["sla"],
        fr_due,
        res_due,
        None,
        json.dumps(["work"] if c["active"] else []),
        data,
        last_seq,
        done_at if not c["active"] else opened,
    )
    tasks: list[tuple[Any, ...]] = [
        (
            f"{cid}.triage.1",
            cid,
            "triage",
            "task",
            "Triage",
            "completed",
            "agent",
            c["team"],
            c["region"],
            "[]",
            None,
            "[]",
            c["assignee"],
            opened,
            opened + dt.timedelta(minutes=3),
            first_response,
            first_response,
            c["assignee"],
            "accepted",
            None,
            "[]",
            "{}",
            "[]",
        )
    ]
    if c["active"]:
        claimed = c["assignee"] is not None and rng.random() < 0.6
        skills = json.dumps(rng.sample(SKILLS, 1)) if rng.random() < 0.2 else "[]"
        role = "supervisor" if c["priority"] == "urgent" else "agent"
        created = opened + dt.timedelta(minutes=30)
        tasks.append(
            (
                f"{cid}.work.1",
                cid,
                "work",
                "task",
                "Resolve",
                "claimed" if claimed else "open",
                role,
                c["team"] if rng.random() < 0.7 else None,
                c["region"] if rng.random() < 0.9 else None,
                skills,
                None,
                "[]",
                c["assignee"] if claimed or rng.random() < 0.3 else None,
                created,
                created if claimed else None,
                res_due,
                None,
                None,
                None,
                None,
                "[]",
                "{}",
                "[]",
            )
        )
    clocks = [
        (
            cid,
            "first_response",
            4 * 3600,
            True,
            c["region"],
            opened,
            fr_due,
            "met" if first_response <= fr_due else "breached",
            0,
            first_response,
            None if first_response <= fr_due else fr_due,
            False,
            int((first_response - opened).total_seconds()),
        ),
        (
            cid,
            "resolution",
            24 * 3600,
            True,
            c["region"],
            opened,
            res_due,
            "running" if c["active"] else ("breached" if c["sla"] == "breached" else "met"),
            0,
            resolved_at,
            res_due if c["sla"] == "breached" else None,
            c["sla"] == "at_risk",
            None if resolved_at is None else int((resolved_at - opened).total_seconds()),
        ),
    ]
    surveys = []
    if c["process"] == "customer-feedback" and not c["active"] and rng.random() < 0.5:
        surveys.append(
            (cid, f"C-{opened:%y%m%d}-{max(c['i'] - 7, 0):06X}", rng.randint(1, 5), None, done_at)
        )
    return {
        "cases": [case],
        "tasks": tasks,
        "sla_clocks": clocks,
        "survey_responses": surveys,
    }


#: Tables filled from Python; ``case_events`` is derived from ``cases`` in SQL afterwards.
TABLE_ORDER = ["cases", "tasks", "sla_clocks", "survey_responses"]
ALL_GENERATED = ["cases", "case_events", "tasks", "sla_clocks", "survey_responses"]


def _kind_sql() -> str:
    middle = " ".join(f"WHEN {k} THEN '{kind}'" for k, kind in enumerate(KINDS_MIDDLE))
    return (
        "CASE WHEN s.n = 1 THEN 'case_opened' "
        "WHEN s.n = c.last_seq AND c.status NOT IN ('open', 'waiting') THEN 'case_ended' "
        "WHEN s.n = 2 THEN 'task_created' "
        f"ELSE CASE ((s.n + c.last_seq) % {len(KINDS_MIDDLE)}) {middle} END END"
    )


def _events_sql(dialect: str) -> list[str]:
    """SQL deriving ~10 events per case from the cases (much faster than rows from Python)."""
    kind = _kind_sql()
    cols = "case_id, seq, at, kind, actor, step_id, task_id, details"
    actor = "CASE WHEN s.n IN (2, 4) AND c.assignee IS NOT NULL THEN c.assignee ELSE 'system' END"
    step = "CASE WHEN s.n < 4 THEN 'triage' ELSE 'work' END"
    if dialect == "postgresql":
        at = (
            "c.opened_at + (COALESCE(c.resolved_at, c.opened_at + interval '2 hours') "
            "- c.opened_at) * ((s.n - 1)::float / c.last_seq)"
        )
        return [
            f"INSERT INTO case_events ({cols}) SELECT c.case_id, s.n, {at}, {kind}, {actor}, "
            f"{step}, NULL, '{{}}'::jsonb FROM cases c "
            "CROSS JOIN LATERAL generate_series(1, c.last_seq) AS s(n) ORDER BY c.case_id, s.n"
        ]
    start = "julianday(c.opened_at)"
    end = "julianday(COALESCE(c.resolved_at, datetime(c.opened_at, '+2 hours')))"
    # strftime %f has milliseconds: pad to the fixed-width text UTCDateTime stores.
    at = (
        f"strftime('%Y-%m-%dT%H:%M:%f', {start} + ({end} - {start}) * (s.n - 1) "
        "/ c.last_seq) || '000+00:00'"
    )
    return [
        "CREATE TEMP TABLE IF NOT EXISTS bench_seq (n INTEGER PRIMARY KEY)",
        "DELETE FROM bench_seq",
        "INSERT INTO bench_seq (n) VALUES " + ", ".join(f"({n})" for n in range(1, 13)),
        f"INSERT INTO case_events ({cols}) SELECT c.case_id, s.n, {at}, {kind}, {actor}, "
        f"{step}, NULL, '{{}}' FROM cases c JOIN bench_seq s ON s.n <= c.last_seq "
        "ORDER BY c.case_id, s.n",
    ]


def _columns(name: str) -> list[str]:
    return [
        col.name
        for col in t.metadata.tables[name].columns
        if col.name != "id" or name != "case_events"
    ]


def _secondary_indexes() -> list[Index]:
    names = set(ALL_GENERATED)
    return [ix for table in t.ALL_TABLES if table.name in names for ix in table.indexes]


def _time_positions(name: str) -> list[int]:
    table = t.metadata.tables[name]
    return [k for k, col in enumerate(_columns(name)) if isinstance(table.c[col].type, UTCDateTime)]


def _as_sqlite(row: tuple[Any, ...], positions: list[int]) -> list[Any]:
    # Same text as UTCDateTime writes (the instants are already aware UTC).
    out = list(row)
    for k in positions:
        v = out[k]
        if v is not None:
            out[k] = v.isoformat(timespec="microseconds")
    return out


def _load_sqlite(path: str, g: Generator) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("PRAGMA temp_store = MEMORY")
    sql = {
        name: f"INSERT INTO {name} ({', '.join(_columns(name))}) VALUES "
        f"({', '.join('?' * len(_columns(name)))})"
        for name in TABLE_ORDER
    }
    pending: dict[str, list[Any]] = {name: [] for name in TABLE_ORDER}
    positions = {name: _time_positions(name) for name in TABLE_ORDER}

    def flush() -> None:
        conn.execute("BEGIN")
        for name in TABLE_ORDER:
            conn.executemany(sql[name], pending[name])
            pending[name].clear()
        conn.execute("COMMIT")

    for n, c in enumerate(g.cases(), 1):
        for name, rows in build_rows(g, c).items():
            pos = positions[name]
            pending[name].extend(_as_sqlite(r, pos) for r in rows)
        if n % CHUNK == 0:
            flush()
            _progress(n, g.n)
    flush()
    conn.close()


def _load_postgres(engine: Engine, g: Generator) -> None:
    raw = engine.raw_connection()
    try:
        dbapi: Any = raw.driver_connection
        with dbapi.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            copies = {}
            for name in TABLE_ORDER:
                copies[name] = f"COPY {name} ({', '.join(_columns(name))}) FROM STDIN"
            pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_ORDER}

            def flush() -> None:
                for name in TABLE_ORDER:
                    with cur.copy(copies[name]) as copy:
                        for row in pending[name]:
                            copy.write_row(row)
                    pending[name].clear()
                dbapi.commit()

            for n, c in enumerate(g.cases(), 1):
                for name, rows in build_rows(g, c).items():
                    pending[name].extend(rows)
                if n % CHUNK == 0:
                    flush()
                    _progress(n, g.n)
            flush()
    finally:
        raw.close()


def _progress(done: int, total: int) -> None:
    if done % (CHUNK * 10) == 0 or done == total:
        print(f"  {done:>9,} / {total:,} cases", file=sys.stderr, flush=True)


def generate(url: str, cases: int, seed: int = 7, *, reuse: bool = False) -> dict[str, Any]:
    """Fill the database at ``url`` with ``cases`` generated cases; return load figures."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            existing = conn.execute(select(func.count()).select_from(t.cases)).scalar_one()
        if reuse and existing == cases:
            print(
                f"reusing {existing:,} cases at {normalise_url(url).render_as_string()}",
                file=sys.stderr,
            )
            return {"cases": cases, "reused": True, "seconds": 0.0}
        started = time.perf_counter()
        g = Generator(cases, seed)
        indexes = _secondary_indexes()
        with engine.begin() as conn:
            for name in reversed([*ALL_GENERATED, "people", "teams"]):
                conn.execute(t.metadata.tables[name].delete())
            for ix in indexes:
                ix.drop(conn, checkfirst=True)
            conn.execute(
                t.teams.insert(),
                [
                    {"id": team, "name": team, "region": region, "department": kind, "active": True}
                    for team, region, kind in g.teams
                ],
            )
            conn.execute(t.people.insert(), g.people)
        if engine.dialect.name == "postgresql":
            _load_postgres(engine, g)
        else:
            database = normalise_url(url).database
            assert database
            engine.dispose()
            _load_sqlite(database, g)
        loaded = time.perf_counter() - started
        with engine.begin() as conn:
            for statement in _events_sql(engine.dialect.name):
                conn.execute(text(statement))
            for ix in indexes:
                ix.create(conn, checkfirst=True)
            if engine.dialect.name == "sqlite":
                conn.execute(text("ANALYZE"))
        if engine.dialect.name == "postgresql":
            # Statistics for the planner and a visibility map for index-only scans.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        total = time.perf_counter() - started
        with engine.connect() as conn:
            events = conn.execute(select(func.count()).select_from(t.case_events)).scalar_one()
        return {
            "cases": cases,
            "events": events,
            "reused": False,
            "load_seconds": round(loaded, 1),
            "seconds": round(total, 1),
        }
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="records database URL")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep a DB that has --cases cases")
    args = parser.parse_args(argv)
    if normalise_url(args.url).get_backend_name() == "sqlite":
        Path(normalise_url(args.url).database or "x").parent.mkdir(parents=True, exist_ok=True)
    result = generate(args.url, args.cases, args.seed, reuse=args.reuse)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

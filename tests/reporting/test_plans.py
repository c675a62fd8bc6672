"""The weekly report reads its period through indexes: no statement scans a whole table.

Checked on SQLite's query plans (``EXPLAIN QUERY PLAN``) for every statement the
``weekly-regional`` report runs; ``bench/reports.py`` measures the same statements
at 1M cases / 10M events.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event

from casework.records.db import make_engine
from casework.reporting._sql import sql_timer
from casework.reporting.build import build_report
from casework.reporting.specs import get_report
from tests.reporting import _data
from tests.reporting._data import WEEK

#: A plan line reading every row of a records table (or of one of its indexes).
FULL_SCAN = re.compile(r"^SCAN (cases|tasks|case_events|sla_clocks|survey_responses)\b")
#: An index search bounded only above (``opened_at<?``): all the history before an instant.
ALL_HISTORY = re.compile(r"USING (COVERING )?INDEX \w+ \((\w+=\? AND )*\w+<\?\)")
#: An index search on a state alone: most clocks are met or breached.
BY_STATE = re.compile(r"USING (COVERING )?INDEX \w+ \(state=\?\)")


def test_weekly_report_statements_scan_no_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    _data.load(engine)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as conn, sql_timer() as timer:
            build_report(conn, get_report("weekly-regional"), WEEK, now=WEEK.end)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(captured) == timer.statements == 50

    full_scans: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for (statement, parameters), (label, _seconds) in zip(
            captured, timer.per_statement, strict=True
        ):
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            scans = [
                row[3]
                for row in plan
                if FULL_SCAN.match(row[3]) or ALL_HISTORY.search(row[3]) or BY_STATE.search(row[3])
            ]
            if scans:
                full_scans[label] = scans
    engine.dispose()
    assert full_scans == {}


def test_statements_are_labelled_by_kpi_slice_and_period(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    _data.load(engine)
    with engine.connect() as conn, sql_timer() as outer:
        report = build_report(conn, get_report("weekly-regional"), WEEK, now=WEEK.end)
    engine.dispose()
    labels = [label for label, _seconds in outer.per_statement]
    # The report's own timer and an outer one both see every statement.
    assert report.sql_statements == outer.statements == len(labels)
    assert report.sql_seconds <= outer.seconds + 1e-9
    assert "backlog[region] current" in labels
    assert "backlog[region] previous" in labels
    assert labels.count("escalation[all] current") == 2  # totals and levels
    assert all(re.fullmatch(r"[a-z_]+\[[a-z]+\] (current|previous)", x) for x in labels)

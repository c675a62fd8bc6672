"""Shared KPI plumbing: options, the per-KPI signature, result conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection

from casework.reporting._sql import (
    ALL,
    AnySelect,
    Filters,
    KpiTable,
    distribution,
    fetch,
    to_number,
)
from casework.reporting.periods import Period


@dataclass(frozen=True, slots=True)
class KpiOptions:
    """Knobs of the KPI definitions (defaults match the shipped processes).

    Attributes:
        reopen_days: A follow-up within this many days of resolution is a reopening.
        survey_process: Process name of feedback-survey cases.
        approval_process: Process name of policy-change approvals.
        onboarding_process: Process name of training onboarding.
        module_prefix: Step id prefix of onboarding training-module tasks.
        assessment_prefix: Step id prefix of onboarding assessment tasks.
        passed_outcomes: Task outcomes that count as a passed assessment.
        pass_mark: An assessment whose form ``score`` reaches this also passed.
        signoff_outcomes: Case outcomes of a signed-off onboarding.
        satisfied_score: Lowest survey score that counts as satisfied.
    """

    reopen_days: int = 7
    survey_process: str = "customer-feedback"
    approval_process: str = "policy-change-approval"
    onboarding_process: str = "training-onboarding"
    module_prefix: str = "module_"
    assessment_prefix: str = "assessment"
    passed_outcomes: tuple[str, ...] = ("passed", "pass")
    pass_mark: float = 80.0
    signoff_outcomes: tuple[str, ...] = ("completed",)
    satisfied_score: int = 4


@dataclass(frozen=True, slots=True)
class KpiContext:
    """Everything a KPI query needs besides the connection.

    Attributes:
        period: The reporting period.
        filters: Case dimension filters.
        by: Dimension to slice by, or ``None`` for one ``all`` group.
        options: KPI knobs.
        at: The instant point-in-time KPIs (backlog) look at; defaults to period end.
    """

    period: Period
    filters: Filters = field(default_factory=Filters)
    by: str | None = None
    options: KpiOptions = field(default_factory=KpiOptions)
    at: dt.datetime | None = None

    @property
    def instant(self) -> dt.datetime:
        """Return the point-in-time instant (``at`` or the end of the period)."""
        return self.at or self.period.end


class KpiFunction(Protocol):
    """Computes one KPI in SQL."""

    def __call__(self, conn: Connection, ctx: KpiContext) -> KpiTable: ...


def rows_to_table(rows: Iterable[Any], measures: Sequence[str]) -> KpiTable:
    """Turn result rows whose first column is the group key into a :data:`KpiTable`."""
    table: KpiTable = {}
    for row in rows:
        values = list(row)
        table[str(values[0])] = {m: to_number(v) for m, v in zip(measures, values[1:], strict=True)}
    return table


def distribution_table(conn: Connection, source: AnySelect, prefix: str = "") -> KpiTable:
    """Run :func:`distribution` over ``source`` and return count/mean/median/p90 per group."""
    dialect = conn.dialect.name
    rows = fetch(conn, distribution(source, dialect))
    table: KpiTable = {}
    for g, n, mean, p50, p90 in rows:
        table[str(g)] = {
            f"{prefix}count": to_number(n),
            f"{prefix}mean": to_number(mean),
            f"{prefix}median": to_number(p50),
            f"{prefix}p90": to_number(p90),
        }
    return table


def merge(*tables: KpiTable) -> KpiTable:
    """Merge measure dicts of several tables group by group."""
    out: KpiTable = {}
    for table in tables:
        for group, measures in table.items():
            out.setdefault(group, {}).update(measures)
    return out


def fill(table: KpiTable, defaults: dict[str, Any], *, ensure_all: bool) -> KpiTable:
    """Give every group every measure (``defaults`` for missing ones).

    With ``ensure_all`` an empty result still has an ``all`` group, so an empty
    period reports zero counts instead of nothing.
    """
    if ensure_all and not table:
        table = {ALL: {}}
    return {g: {**defaults, **m} for g, m in table.items()}

"""Portable SQL building blocks for the KPIs (SQLite and PostgreSQL).

- :class:`seconds_between` renders ``later - earlier`` in seconds on both dialects.
- :func:`distribution` computes count, mean and linear-interpolated percentiles
  (PostgreSQL ``percentile_cont``; SQLite window functions over ordered values).
- :class:`Filters` and :func:`dimension` slice by the well-known case fields.
- :func:`fetch` runs a statement and adds its time to every active SQL timer, with
  the label set by :func:`sql_label` (e.g. ``backlog[region] current``).
- :class:`unindexed` keeps SQLite's planner off an index for one condition.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Float,
    FromClause,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from casework.errors import ConfigError
from casework.records.tables import cases

#: Case fields a report can be sliced by.
DIMENSIONS: tuple[str, ...] = ("region", "team", "process", "priority", "channel")
#: Group key used when a KPI is not sliced, and for cases with no value in the slice.
ALL = "all"
NONE = "(none)"

Number = float | int | None
#: A select of any columns (SQLAlchemy 2.1 selects are variadic generics).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
#: A KPI's result: group key -> measure name -> value.
KpiTable = dict[str, dict[str, Number]]


class seconds_between(FunctionElement[float]):  # noqa: N801 - reads like a SQL function
    """``later - earlier`` in (fractional) seconds, as a float, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0)"
    )


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) AS DOUBLE PRECISION)"
    )


class plus_days(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """``instant + N days`` for a UTC timestamp column, comparable with other such columns.

    On SQLite the result is the records' fixed-width ISO text, rounded up to the
    millisecond so it is never earlier than the exact instant.
    """

    inherit_cache = True
    name = "plus_days"

    def __init__(self, column: ColumnElement[Any], days: int) -> None:
        # The day count travels as a literal clause so it is part of the cache key.
        super().__init__(column, literal_column(str(int(days))))
        self.type = column.type


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return (
        f"(strftime('%Y-%m-%dT%H:%M:%f', {compiler.process(column, **kw)}, "
        f"'+{compiler.process(days, **kw)} days') || '999+00:00')"
    )


@compiles(plus_days)
def _plus_days_default(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    column, days = list(element.clauses)
    return f"({compiler.process(column, **kw)} + INTERVAL '{compiler.process(days, **kw)} days')"


class unindexed(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """The column itself, but SQLite will not use an index for a condition on it.

    Renders ``+column`` on SQLite (its documented way to disqualify a term from
    index use) and the plain column elsewhere. For conditions that select most of
    the table, so the planner walks a more selective index of the same query.
    """

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return str(compiler.process(column, **kw))


@dataclass(frozen=True, slots=True)
class Filters:
    """Equality filters on the case dimensions; ``None`` means no filter.

    Attributes:
        region: Only cases of this region.
        team: Only cases of this team.
        process: Only cases of this process.
        priority: Only cases of this priority.
        channel: Only cases that came in on this channel.
    """

    region: str | None = None
    team: str | None = None
    process: str | None = None
    priority: str | None = None
    channel: str | None = None

    def clauses(self, table: FromClause = cases) -> list[ColumnElement[bool]]:
        """Return the WHERE clauses for ``table`` (the cases table or an alias of it)."""
        out: list[ColumnElement[bool]] = []
        for name in DIMENSIONS:
            value = getattr(self, name)
            if value is not None:
                out.append(table.c[name] == value)
        return out

    def describe(self) -> str:
        """Return e.g. ``region=north, priority=high`` (empty when unfiltered)."""
        return ", ".join(
            f"{n}={getattr(self, n)}" for n in DIMENSIONS if getattr(self, n) is not None
        )


def check_dimension(by: str | None) -> None:
    """Raise :class:`ConfigError` unless ``by`` is ``None`` or a known dimension."""
    if by is not None and by not in DIMENSIONS:
        raise ConfigError(
            f"cannot slice a report by {by!r}", hint=f"use one of {', '.join(DIMENSIONS)}"
        )


def dimension(by: str | None, table: FromClause = cases) -> ColumnElement[str]:
    """Return the group key expression for slicing by ``by`` (a constant when ``None``)."""
    check_dimension(by)
    if by is None:
        return literal_column(f"'{ALL}'")
    return func.coalesce(table.c[by], literal_column(f"'{NONE}'"))


def ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return ``numerator / denominator`` as a float, NULL when the denominator is 0."""
    den = cast(denominator, Float)
    return case((den == 0, None), else_=cast(numerator, Float) / den)


def with_ratio(stmt: AnySelect, name: str, numerator: str, denominator: str) -> AnySelect:
    """Return ``stmt``'s columns plus ``numerator / denominator`` (see :func:`ratio`) as ``name``.

    The ratio is taken over the aggregated rows of ``stmt``, so a numerator that runs
    a subquery per case (reopen, first-contact resolution) runs it once, not twice.
    """
    agg = stmt.subquery("agg")
    return select(*agg.c, ratio(agg.c[numerator], agg.c[denominator]).label(name))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """Return ``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` (0 on no rows is coalesced)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def is_true(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """Compare a boolean column portably."""
    return cast(column, Boolean) == true()


def distribution(
    source: AnySelect,
    dialect: str,
    percentiles: Sequence[float] = (0.5, 0.9),
) -> AnySelect:
    """Summarise a two-column ``(g, v)`` select per group ``g``.

    The result has columns ``g``, ``n`` (non-null values), ``mean``, and one
    ``p50``/``p90``... column per percentile, computed like PostgreSQL's
    ``percentile_cont``: the value at rank ``p * (n - 1)`` of the ordered values,
    linearly interpolated between neighbours.

    Args:
        source: A select whose columns are labelled ``g`` (group key) and ``v`` (value).
        dialect: ``postgresql`` or ``sqlite`` (others use the PostgreSQL form).
        percentiles: Fractions in [0, 1].
    """
    src = source.subquery("src")
    names = [f"p{round(p * 100)}" for p in percentiles]
    if dialect != "sqlite":
        cols: list[ColumnElement[Any]] = [
            func.percentile_cont(p).within_group(src.c.v.asc()).label(name)
            for p, name in zip(percentiles, names, strict=True)
        ]
        return (
            select(
                src.c.g,
                func.count(src.c.v).label("n"),
                func.avg(src.c.v).label("mean"),
                *cols,
            )
            .where(src.c.v.is_not(None))
            .group_by(src.c.g)
        )
    ranked = (
        select(
            src.c.g,
            src.c.v,
            (func.row_number().over(partition_by=src.c.g, order_by=src.c.v) - 1).label("rn"),
            func.count().over(partition_by=src.c.g).label("cnt"),
        )
        .where(src.c.v.is_not(None))
        .subquery("ranked")
    )
    pcols: list[ColumnElement[Any]] = []
    for p, name in zip(percentiles, names, strict=True):
        pos = p * (ranked.c.cnt - 1)
        lo = cast(pos, Integer)  # truncation == floor for pos >= 0
        lo_v = func.max(case((ranked.c.rn == lo, ranked.c.v)))
        hi_v = func.max(case((ranked.c.rn == lo + 1, ranked.c.v)))
        frac = func.max(pos - lo)
        pcols.append((lo_v + (func.coalesce(hi_v, lo_v) - lo_v) * frac).label(name))
    return select(
        ranked.c.g,
        func.count().label("n"),
        func.avg(ranked.c.v).label("mean"),
        *pcols,
    ).group_by(ranked.c.g)


@dataclass
class SqlTimer:
    """Accumulated time spent executing and fetching KPI SQL.

    ``per_statement`` holds ``(label, seconds)`` for every statement, in order; the
    label is the one :func:`sql_label` set when it ran (``""`` outside one).
    """

    seconds: float = 0.0
    statements: int = 0
    per_statement: list[tuple[str, float]] = field(default_factory=list)


_TIMERS: contextvars.ContextVar[tuple[SqlTimer, ...]] = contextvars.ContextVar(
    "casework_sql_timers", default=()
)
_LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("casework_sql_label", default="")


@contextmanager
def sql_timer() -> Iterator[SqlTimer]:
    """Measure the SQL run through :func:`fetch` inside the ``with`` block.

    Timers nest: a statement counts in every timer open around it.
    """
    timer = SqlTimer()
    token = _TIMERS.set((*_TIMERS.get(), timer))
    try:
        yield timer
    finally:
        _TIMERS.reset(token)


@contextmanager
def sql_label(label: str) -> Iterator[None]:
    """Label the statements :func:`fetch` runs inside the ``with`` block (for timers)."""
    token = _LABEL.set(label)
    try:
        yield
    finally:
        _LABEL.reset(token)


def fetch(conn: Connection, statement: AnySelect) -> list[Any]:
    """Execute ``statement`` and return all rows, timing it for :func:`sql_timer`."""
    started = time.perf_counter()
    rows = list(conn.execute(statement).all())
    elapsed = time.perf_counter() - started
    label = _LABEL.get()
    for timer in _TIMERS.get():
        timer.seconds += elapsed
        timer.statements += 1
        timer.per_statement.append((label, elapsed))
    return rows


def in_period(column: ColumnElement[Any], start: Any, end: Any) -> ColumnElement[bool]:
    """Return ``start <= column < end``."""
    return and_(column >= start, column < end)


def to_number(value: Any) -> Number:
    """Return a plain float/int (Decimal from PostgreSQL becomes float)."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)

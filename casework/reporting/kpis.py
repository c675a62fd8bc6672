"""The KPIs, each computed in SQL (SQLAlchemy Core, SQLite and PostgreSQL).

Every KPI is defined once: its function's docstring (in ``_kpi_*.py``) is its
exact meaning, repeated in docs/reports.md. A KPI returns a :data:`KpiTable`
(group key -> measure -> value); unsliced it has one group, ``all``.

Usage::

    with engine.connect() as conn:
        ctx = KpiContext(period=last_week("Europe/London"), by="region")
        result = compute(conn, "first_response_time", ctx)   # this period and the previous
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Connection

from casework.errors import NotFoundError
from casework.reporting._kpi_common import KpiContext, KpiFunction, KpiOptions
from casework.reporting._kpi_onboarding import onboarding_progress
from casework.reporting._kpi_quality import (
    csat,
    first_contact_resolution,
    reopen_rate,
    survey_response_rate,
)
from casework.reporting._kpi_sla import backlog, breach_list, escalation, sla_compliance
from casework.reporting._kpi_time import (
    approvals_cycle_time,
    first_response_time,
    resolution_time,
)
from casework.reporting._sql import DIMENSIONS, Filters, KpiTable, Number, sql_label

__all__ = [
    "DIMENSIONS",
    "KPIS",
    "Filters",
    "Kpi",
    "KpiContext",
    "KpiOptions",
    "KpiResult",
    "KpiTable",
    "breach_list",
    "compute",
    "get_kpi",
]

Unit = Literal["seconds", "ratio", "count", "days"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI: how to compute it and how to show it.

    Attributes:
        name: Stable id (``first_response_time``).
        title: Heading for people.
        headline: The measure shown as the KPI's value.
        unit: Unit of the headline (for formatting).
        better: Whether a higher or lower headline is better (for trend arrows).
        count: The measure holding how many items the KPI is over.
        fn: The SQL computation.
        point_in_time: True when the KPI looks at an instant (no previous period).
    """

    name: str
    title: str
    headline: str
    unit: Unit
    better: Literal["higher", "lower", "neither"]
    count: str
    fn: KpiFunction
    point_in_time: bool = False

    @property
    def definition(self) -> str:
        """Return the KPI's exact definition (its function's docstring)."""
        return (self.fn.__doc__ or "").strip()


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in (
        Kpi("first_response_time", "First response time", "median", "seconds", "lower",
            "count", first_response_time),
        Kpi("resolution_time", "Resolution time", "median", "seconds", "lower", "count",
            resolution_time),
        Kpi("sla_compliance", "SLA compliance", "compliance", "ratio", "higher", "met",
            sla_compliance),
        Kpi("first_contact_resolution", "First-contact resolution", "rate", "ratio", "higher",
            "resolved", first_contact_resolution),
        Kpi("reopen_rate", "Reopen rate", "rate", "ratio", "lower", "resolved", reopen_rate),
        Kpi("escalation", "Escalation rate", "rate", "ratio", "lower", "opened", escalation),
        Kpi("backlog", "Backlog", "total", "count", "lower", "total", backlog,
            point_in_time=True),
        Kpi("csat", "Customer satisfaction (CSAT)", "csat", "ratio", "higher", "answered",
            csat),
        Kpi("survey_response_rate", "Survey response rate", "rate", "ratio", "higher", "sent",
            survey_response_rate),
        Kpi("approvals_cycle_time", "Policy-change approval cycle time", "median", "seconds",
            "lower", "count", approvals_cycle_time),
        Kpi("onboarding_progress", "Training onboarding", "modules_done", "count", "higher",
            "in_progress", onboarding_progress),
    )
}  # fmt: skip


def get_kpi(name: str) -> Kpi:
    """Return the KPI called ``name``.

    Raises:
        NotFoundError: no such KPI.
    """
    try:
        return KPIS[name]
    except KeyError:
        raise NotFoundError("KPI", name, hint=f"known KPIs: {', '.join(KPIS)}") from None


class KpiResult(BaseModel):
    """A KPI over a period and, for comparison, the previous period of the same length."""

    name: str
    title: str
    headline: str
    unit: str
    better: str
    count: str
    by: str | None
    current: dict[str, dict[str, Number]]
    previous: dict[str, dict[str, Number]] | None = None

    def value(self, group: str = "all", *, previous: bool = False) -> Number:
        """Return the headline value of ``group`` (``None`` when absent)."""
        table = self.previous if previous else self.current
        return ((table or {}).get(group) or {}).get(self.headline)

    def is_empty(self) -> bool:
        """Return True when the KPI is over nothing in the current period."""
        return not any((m.get(self.count) or 0) for m in self.current.values())


def compute(
    conn: Connection,
    name: str,
    ctx: KpiContext,
    *,
    compare: bool = True,
    run: Callable[[KpiFunction, Connection, KpiContext], KpiTable] | None = None,
) -> KpiResult:
    """Compute KPI ``name`` for ``ctx`` and (unless point-in-time) the previous period.

    Args:
        conn: An open connection to the records database.
        name: A key of :data:`KPIS`.
        ctx: Period, filters, slice and options.
        compare: Also compute the previous period of the same length.
        run: Optional wrapper that runs ``fn(conn, ctx)`` (used to time or retry).
    """
    kpi = get_kpi(name)
    call = run or (lambda fn, c, x: fn(c, x))
    label = f"{name}[{ctx.by or 'all'}]"
    with sql_label(f"{label} current"):
        current = call(kpi.fn, conn, ctx)
    previous = None
    if compare:
        prev_ctx = replace(
            ctx,
            period=ctx.period.previous(),
            at=(ctx.at - ctx.period.length) if ctx.at else None,
        )
        with sql_label(f"{label} previous"):
            previous = call(kpi.fn, conn, prev_ctx)
    return KpiResult(
        name=kpi.name,
        title=kpi.title,
        headline=kpi.headline,
        unit=kpi.unit,
        better=kpi.better,
        count=kpi.count,
        by=ctx.by,
        current=current,
        previous=previous,
    )


def definitions() -> dict[str, Any]:
    """Return ``{name: {"title", "headline", "unit", "definition"}}`` for docs and ``--json``."""
    return {
        k.name: {
            "title": k.title,
            "headline": k.headline,
            "unit": k.unit,
            "definition": k.definition,
        }
        for k in KPIS.values()
    }

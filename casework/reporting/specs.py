"""The four scheduled reports: what each computes, over which period, on which schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from casework.errors import NotFoundError
from casework.reporting import periods
from casework.reporting.periods import Period

#: When a section's point-in-time KPIs (backlog) look: the run's "now" or the period end.
Instant = Literal["now", "end"]

_STANDARD = (
    "first_response_time",
    "resolution_time",
    "sla_compliance",
    "first_contact_resolution",
    "reopen_rate",
    "escalation",
    "csat",
    "survey_response_rate",
)


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One section of a report: KPIs sliced one way.

    Attributes:
        title: Section heading.
        kpis: KPI names (keys of ``casework.reporting.kpis.KPIS``).
        by: Dimension to slice by, or ``None``.
        instant: Where point-in-time KPIs look.
        trend: Weekly trend of these KPIs' headlines instead of one value.
    """

    title: str
    kpis: tuple[str, ...]
    by: str | None = None
    instant: Instant = "end"
    trend: bool = False


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """A report: its period rule, sections and schedule.

    Attributes:
        name: Report and Prefect flow name.
        title: Heading for people.
        description: One line on who it is for.
        period: Default period from ``(timezone, now)``.
        sections: What it computes.
        cron: Schedule (cron expression, in ``timezone``).
        timezone: IANA zone of the schedule and of the period cut.
        digest: Only publish when there are breached or at-risk cases.
    """

    name: str
    title: str
    description: str
    period: Callable[[str, dt.datetime | None], Period]
    sections: tuple[SectionSpec, ...]
    cron: str
    timezone: str = periods.DEFAULT_TIMEZONE
    digest: bool = False


def _hour(timezone: str, now: dt.datetime | None) -> Period:
    return periods.last_hours(1, timezone, now)


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            name="daily-operations",
            title="Daily operations",
            description="Yesterday's service levels and the backlog now, for team leads.",
            period=periods.yesterday,
            cron="0 7 * * *",
            sections=(
                SectionSpec("Yesterday at a glance", _STANDARD),
                SectionSpec("SLA compliance by priority", ("sla_compliance",), by="priority"),
                SectionSpec("Backlog now", ("backlog",), instant="now"),
                SectionSpec("Backlog now by team", ("backlog",), by="team", instant="now"),
                SectionSpec("By process", ("first_response_time", "resolution_time"), by="process"),
            ),
        ),
        ReportSpec(
            name="weekly-regional",
            title="Weekly regional review",
            description="Last week's KPIs per region, for the coordinators' Monday meeting.",
            period=periods.last_week,
            cron="0 8 * * 1",
            sections=(
                SectionSpec("All regions", _STANDARD),
                SectionSpec("KPIs by region", _STANDARD, by="region"),
                SectionSpec("SLA compliance by priority", ("sla_compliance",), by="priority"),
                SectionSpec("Backlog at the end of the week", ("backlog",), by="region"),
                SectionSpec(
                    "By team",
                    ("first_response_time", "resolution_time", "sla_compliance"),
                    by="team",
                ),
                SectionSpec("By channel", ("first_response_time", "csat"), by="channel"),
            ),
        ),
        ReportSpec(
            name="sla-breach-digest",
            title="SLA breach digest",
            description="Open cases whose SLA is breached or at risk; sent only if any.",
            period=_hour,
            cron="0 * * * *",
            digest=True,
            sections=(
                SectionSpec("Open breaches by region", ("backlog",), by="region", instant="now"),
                SectionSpec("SLA decided in the last hour", ("sla_compliance",), by="priority"),
            ),
        ),
        ReportSpec(
            name="monthly-management",
            title="Monthly management report",
            description="The month's trends, policy changes approved and training, for management.",
            period=periods.last_month,
            cron="0 8 1 * *",
            sections=(
                SectionSpec("The month at a glance", (*_STANDARD, "backlog")),
                SectionSpec(
                    "Weekly trends",
                    ("first_response_time", "resolution_time", "sla_compliance", "csat", "backlog"),
                    trend=True,
                ),
                SectionSpec("Policy changes", ("approvals_cycle_time",)),
                SectionSpec("Training onboarding", ("onboarding_progress",)),
                SectionSpec(
                    "By region", ("sla_compliance", "csat", "onboarding_progress"), by="region"
                ),
            ),
        ),
    )
}


def get_report(name: str) -> ReportSpec:
    """Return the report called ``name``.

    Raises:
        NotFoundError: no such report.
    """
    try:
        return REPORTS[name]
    except KeyError:
        raise NotFoundError("report", name, hint=f"known reports: {', '.join(REPORTS)}") from None

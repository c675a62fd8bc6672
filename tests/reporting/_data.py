"""A hand-computed records fixture for the KPI tests.

Reporting week: Monday 2026-11-23 00:00 to Monday 2026-11-30 00:00 Europe/London,
which is UTC in November (``WEEK``); the previous week is 11-16 to 11-23.

Business calendars: London 09:00-17:00 UTC (GMT), New York 09:00-17:00 EST =
14:00-22:00 UTC, Monday to Friday. Business ``elapsed_seconds`` below are worked
out by hand from those hours.

Cases (region north = London, east = New York):

- C1 complaint north/high/email cust-1, opened Mon 23 16:00. First response Tue
  24 10:00: London business time Mon 16-17 + Tue 09-10 = 7200 s (calendar 18 h).
  Resolved Wed 25 12:00 (158400 s). One task done. Both clocks met. Survey S1 (5).
- C2 complaint east/normal/phone cust-2, opened Fri 27 20:00 (15:00 NY). First
  response Fri 27 21:30, paused 30 min: 5400 - 1800 = 3600 business s. Still
  open, escalation level 1, resolution clock running and at risk.
- C3 complaint north/high/email cust-3, opened 16 10:00 (previous week). First
  response clock breached 16 14:00, stopped 16 15:00 (18000 s). Resolution clock
  breached 23 10:00, stopped 24 09:00. Resolved 24 09:00 (687600 s). Two tasks.
  Reopened: C4 is the same customer and process 2 days later. Survey S2 (2).
- C4 complaint north/normal/chat cust-3, opened 26 09:00, open, first response
  clock breached 26 13:00 (not stopped), escalation level 2, sla_state breached.
- C5 complaint east/urgent/phone cust-5, opened 10 12:00, open (19.5 days old).
- C6 complaint east/low/email cust-6, opened Mon 23 14:00. Calendar first-response
  clock (no elapsed_seconds stored) 14:00 to 15:00 = 3600 s. A ``case_reopened``
  event on 24; resolved finally 25 18:00 (187200 s). One task. Survey S3 (unanswered).
- C7 complaint north/normal/email cust-7, opened 24 08:00, cancelled 24 09:00.
- C8 complaint north/high/email cust-1, opened Dec 4 13:00: 9 days after C1's
  resolution, outside the 7-day reopen window.
- C9 complaint east/normal/chat cust-9, opened Sun 29 18:00, open (6 h old).
- S1/S2/S3 customer-feedback cases about C1/C3/C6 (S3 names its subject in
  its ``subject_case_id`` field instead of ``parent_case_id``).
- P1 policy-change-approval north, opened 20 09:00, approved 24 09:00 (345600 s),
  resolved 24 09:05, two approval tasks. P2 east, opened 25 10:00, rejected 25
  16:00 (21600 s), status rejected.
- O1 training-onboarding north, opened 16 09:00: module_product done 18,
  module_systems done 24, assessment scored 60 on 25 then 85 on 26 (pass mark
  80), signed off (outcome completed) 27 12:00 (961200 s).
  O2 east opened 26 09:00, module_product done 27, open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from casework.records.tables import case_events, cases, sla_clocks, survey_responses, tasks
from casework.reporting.periods import Period

WEEK = Period(
    dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    "Europe/London",
)


def t(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """Return 2026-<month>-<day> <hour>:<minute> UTC."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def _case(case_id: str, process: str, opened: dt.datetime, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": case_id,
        "process": process,
        "version": 1,
        "plan_hash": "0" * 64,
        "title": f"{process} {case_id}",
        "status": "open",
        "priority": None,
        "region": None,
        "team": None,
        "assignee": None,
        "customer": None,
        "channel": None,
        "opened_by": "tester",
        "opened_at": opened,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "outcome": None,
        "escalation_level": 0,
        "sla_state": "none",
        "parent_case_id": None,
        "updated_at": opened,
        "data": {},
    }
    row.update(kw)
    if "team" not in kw and row["region"]:
        row["team"] = f"t-{row['region']}"
    return row


def _clock(case_id: str, name: str, started: dt.datetime, state: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": case_id,
        "name": name,
        "target_seconds": 14400 if name == "first_response" else 5 * 86400,
        "business": True,
        "calendar": None,
        "started_at": started,
        "deadline": None,
        "state": state,
        "paused_seconds": 0,
        "stopped_at": None,
        "breached_at": None,
        "at_risk": False,
        "elapsed_seconds": None,
    }
    row.update(kw)
    return row


def _task(
    case_id: str, step: str, created: dt.datetime, done: dt.datetime | None, **kw: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "task_id": f"{case_id}.{step}.1",
        "case_id": case_id,
        "step_id": step,
        "kind": "task",
        "name": step,
        "state": "completed" if done else "open",
        "created_at": created,
        "completed_at": done,
        "outcome": "done" if done else None,
        "form": {},
    }
    row.update(kw)
    return row


def _cases() -> list[dict[str, Any]]:
    c = "complaint"
    return [
        _case("C1", c, t(23, 16), region="north", priority="high", channel="email",
              customer="cust-1", status="resolved", first_response_at=t(24, 10),
              resolved_at=t(25, 12), sla_state="met", updated_at=t(25, 12)),
        _case("C2", c, t(27, 20), region="east", priority="normal", channel="phone",
              customer="cust-2", first_response_at=t(27, 21, 30), escalation_level=1,
              sla_state="at_risk"),
        _case("C3", c, t(16, 10), region="north", priority="high", channel="email",
              customer="cust-3", status="resolved", resolved_at=t(24, 9),
              sla_state="breached", updated_at=t(24, 9)),
        _case("C4", c, t(26, 9), region="north", priority="normal", channel="chat",
              customer="cust-3", escalation_level=2, sla_state="breached"),
        _case("C5", c, t(10, 12), region="east", priority="urgent", channel="phone",
              customer="cust-5", escalation_level=1, sla_state="on_track"),
        _case("C6", c, t(23, 14), region="east", priority="low", channel="email",
              customer="cust-6", status="resolved", resolved_at=t(25, 18),
              sla_state="met", updated_at=t(25, 18)),
        _case("C7", c, t(24, 8), region="north", priority="normal", channel="email",
              customer="cust-7", status="cancelled", updated_at=t(24, 9)),
        _case("C8", c, t(4, 13, month=12), region="north", priority="high", channel="email",
              customer="cust-1"),
        _case("C9", c, t(29, 18), region="east", priority="normal", channel="chat",
              customer="cust-9", sla_state="on_track"),
        _case("S1", "customer-feedback", t(25, 13), region="north", parent_case_id="C1",
              status="completed", closed_at=t(26, 10), updated_at=t(26, 10)),
        _case("S2", "customer-feedback", t(24, 10), region="north", parent_case_id="C3",
              status="completed", closed_at=t(24, 12), updated_at=t(24, 12)),
        _case("S3", "customer-feedback", t(25, 19), region="east",
              data={"subject_case_id": "C6"}, status="waiting"),
        _case("P1", "policy-change-approval", t(20, 9), region="north", status="resolved",
              resolved_at=t(24, 9, 5), outcome="approved", updated_at=t(24, 9, 5)),
        _case("P2", "policy-change-approval", t(25, 10), region="east", status="rejected",
              closed_at=t(25, 16), outcome="rejected", updated_at=t(25, 16)),
        _case("O1", "training-onboarding", t(16, 9), region="north", status="completed",
              resolved_at=t(27, 12), outcome="completed", updated_at=t(27, 12)),
        _case("O2", "training-onboarding", t(26, 9), region="east"),
    ]  # fmt: skip


def _clocks() -> list[dict[str, Any]]:
    fr, res = "first_response", "resolution"
    return [
        _clock("C1", fr, t(23, 16), "met", calendar="london", stopped_at=t(24, 10),
               elapsed_seconds=7200),
        _clock("C1", res, t(23, 16), "met", calendar="london", stopped_at=t(25, 12),
               elapsed_seconds=5 * 3600 + 8 * 3600 + 3 * 3600),
        _clock("C2", fr, t(27, 20), "met", calendar="new-york", stopped_at=t(27, 21, 30),
               paused_seconds=1800, elapsed_seconds=3600),
        _clock("C2", res, t(27, 20), "running", calendar="new-york", at_risk=True,
               deadline=t(30, 18)),
        _clock("C3", fr, t(16, 10), "breached", calendar="london", breached_at=t(16, 14),
               stopped_at=t(16, 15), elapsed_seconds=18000),
        _clock("C3", res, t(16, 10), "breached", calendar="london", breached_at=t(23, 10),
               stopped_at=t(24, 9)),
        _clock("C4", fr, t(26, 9), "breached", calendar="london", breached_at=t(26, 13),
               deadline=t(26, 13)),
        _clock("C6", fr, t(23, 14), "met", business=False, stopped_at=t(23, 15)),
        _clock("C6", res, t(23, 14), "met", calendar="new-york", stopped_at=t(25, 18)),
        _clock("C9", fr, t(29, 18), "running", calendar="new-york", deadline=t(30, 18)),
    ]  # fmt: skip


def _tasks() -> list[dict[str, Any]]:
    return [
        _task("C1", "triage", t(23, 16), t(24, 10)),
        _task("C3", "triage", t(16, 10), t(16, 15)),
        _task("C3", "resolve", t(16, 15), t(24, 9)),
        _task("C6", "triage", t(23, 14), t(23, 15)),
        _task("C2", "triage", t(27, 20), None),
        _task("P1", "approve-1", t(20, 9), t(22, 9), kind="approval", outcome="approved"),
        _task("P1", "approve-2", t(22, 9), t(24, 9), kind="approval", outcome="approved"),
        _task("O1", "module_product", t(16, 9), t(18, 9)),
        _task("O1", "module_systems", t(18, 9), t(24, 10)),
        _task("O1", "assessment", t(24, 10), t(25, 10), form={"score": 60}),
        _task(
            "O1", "assessment", t(25, 10), t(26, 10), task_id="O1.assessment.2", form={"score": 85}
        ),
        _task("O2", "module_product", t(26, 9), t(27, 9)),
    ]


def _events() -> list[dict[str, Any]]:
    def ev(case_id: str, seq: int, at: dt.datetime, kind: str, **details: Any) -> dict[str, Any]:
        return {"case_id": case_id, "seq": seq, "at": at, "kind": kind, "actor": "system",
                "details": details}  # fmt: skip

    return [
        ev("C6", 1, t(23, 14), "case_opened"),
        ev("C6", 2, t(23, 18), "case_ended"),
        ev("C6", 3, t(24, 10), "case_reopened"),
        ev("C6", 4, t(25, 18), "case_ended"),
        ev("C2", 1, t(27, 20), "case_opened"),
        ev("C2", 2, t(28, 9), "escalation_level", level=1),
        ev("P1", 1, t(20, 9), "case_opened"),
        ev("P1", 2, t(24, 9), "approval_decided", decision="approved"),
        ev("P2", 1, t(25, 10), "case_opened"),
        ev("P2", 2, t(25, 16), "approval_decided", decision="rejected"),
    ]


def _surveys() -> list[dict[str, Any]]:
    return [
        {"case_id": "S1", "subject_case_id": "C1", "score": 5, "comment": "great",
         "responded_at": t(26, 10)},
        {"case_id": "S2", "subject_case_id": "C3", "score": 2, "comment": "slow",
         "responded_at": t(24, 12)},
    ]  # fmt: skip


def load(engine: Engine) -> None:
    """Insert the whole fixture (every row of a table has the same keys: executemany)."""
    with engine.begin() as conn:
        conn.execute(cases.insert(), _cases())
        conn.execute(sla_clocks.insert(), _clocks())
        conn.execute(tasks.insert(), _tasks())
        conn.execute(case_events.insert(), _events())
        conn.execute(survey_responses.insert(), _surveys())

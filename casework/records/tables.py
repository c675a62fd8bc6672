"""The records schema: SQLAlchemy Core tables (Alembic owns the DDL).

Public API for other parts of casework:

- ``casework.records.tables``: ``metadata`` and one ``Table`` per design table
  (``cases``, ``tasks``, ``case_events``, ``sla_clocks``, ``survey_responses``,
  ``people``, ``teams``, ``definition_versions``, ``notifications``, ``effects``,
  ``routing_state``, ``route_decisions``, ``api_tokens``, ``report_runs``);
  ``ALL_TABLES`` in dependency order.
- ``casework.records.types``: ``UTCDateTime`` (aware UTC on both dialects; SQLite
  stores ISO text), ``JSONType`` (JSONB on PostgreSQL), ``to_utc``.
- ``casework.records.db``: ``make_engine(url)``, ``engine_from_settings()``
  (cached, not migrated), ``session_scope(engine=None)``, ``normalise_url(url)``,
  ``upgrade(url)``, ``current_revision(url)``, ``head_revision()``,
  ``ensure_current(engine)``, ``is_postgres(engine)``.
- ``casework.records.projection``: ``apply_batch(engine, batch)``.
- ``casework.records.queries``: ``list_cases``, ``get_case``, ``case_timeline``,
  ``inbox``, ``workload``, ``surveys`` and their ``*Public`` shapes.
- ``casework.records.directory``: ``load_directory``, ``get_person``,
  ``list_people``, ``deploy_definitions``, ``deployed_plans``.
- ``casework.records.tokens``: ``create_token``, ``verify_token``,
  ``revoke_token``, ``list_tokens``.
- Tests: fixtures ``db_url`` (sqlite and postgresql, migrated, emptied per test)
  and ``db_engine`` in ``tests/fixtures/database.py``.

Notes: there are no foreign keys between case tables on purpose (projection
batches may arrive in any order); ``api_tokens.id`` and ``report_runs.id`` are
caller-chosen strings (e.g. ``uuid4().hex``); ``case_events.id`` autoincrements.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from casework.records.types import BigIntKey, JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("process", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("plan_hash", String(64), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("status", String(32), nullable=False),
    Column("priority", String(32)),
    Column("region", String(64)),
    Column("team", String(64)),
    Column("assignee", String(128)),
    Column("customer", String(256)),
    Column("channel", String(64)),
    Column("opened_by", String(128), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("first_response_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("outcome", String(128)),
    Column("reason", Text),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("sla_state", String(32), nullable=False, default="none"),
    Column("first_response_due", UTCDateTime),
    Column("resolution_due", UTCDateTime),
    Column("parent_case_id", String(64)),
    Column("current_steps", JSONType, nullable=False, default=list),
    Column("data", JSONType, nullable=False, default=dict),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    # Every list filter is paired with the (opened_at, case_id) keyset order.
    Index("ix_cases_opened", "opened_at", "case_id"),
    Index("ix_cases_status_opened", "status", "opened_at", "case_id"),
    Index("ix_cases_process_opened", "process", "opened_at", "case_id"),
    Index("ix_cases_region_opened", "region", "opened_at", "case_id"),
    Index("ix_cases_team_opened", "team", "opened_at", "case_id"),
    Index("ix_cases_priority_opened", "priority", "opened_at", "case_id"),
    Index("ix_cases_assignee_opened", "assignee", "opened_at", "case_id"),
    Index("ix_cases_sla_opened", "sla_state", "opened_at", "case_id"),
    Index("ix_cases_customer_opened", "customer", "opened_at", "case_id"),
    # Pairs people filter by together often enough to deserve an exact index (0002).
    Index("ix_cases_status_team_opened", "status", "team", "opened_at", "case_id"),
    Index("ix_cases_team_sla_opened", "team", "sla_state", "opened_at", "case_id"),
    Index("ix_cases_region_priority_opened", "region", "priority", "opened_at", "case_id"),
    Index("ix_cases_parent", "parent_case_id"),
    Index("ix_cases_resolved", "resolved_at"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(200), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("step_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("role", String(64)),
    Column("team", String(64)),
    Column("region", String(64)),
    Column("skills", JSONType, nullable=False, default=list),
    Column("person", String(128)),
    Column("eligible", JSONType, nullable=False, default=list),
    Column("assignee", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("due_at", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("completed_by", String(128)),
    Column("outcome", String(128)),
    Column("reason", Text),
    Column("outcomes", JSONType, nullable=False, default=list),
    Column("form", JSONType, nullable=False, default=dict),
    Column("votes", JSONType, nullable=False, default=list),
    Index("ix_tasks_case", "case_id"),
    Index("ix_tasks_state_role_region", "state", "role", "region", "created_at"),
    Index("ix_tasks_assignee_state", "assignee", "state", "created_at"),
    Index("ix_tasks_team_state", "team", "state", "created_at"),
    # Inbox scans open tasks oldest first; workload groups active tasks by assignee (0002).
    Index("ix_tasks_state_created", "state", "created_at", "task_id"),
    Index("ix_tasks_state_assignee", "state", "assignee", "created_at", "task_id"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", BigIntKey, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("actor", String(128), nullable=False, default="system"),
    Column("step_id", String(128)),
    Column("task_id", String(200)),
    Column("details", JSONType, nullable=False, default=dict),
    UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
    Index("ix_case_events_kind_at", "kind", "at"),
)

sla_clocks = Table(
    "sla_clocks",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("name", String(32), primary_key=True),
    Column("target_seconds", Integer, nullable=False),
    Column("business", Boolean, nullable=False),
    Column("calendar", String(64)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime),
    Column("state", String(16), nullable=False),
    Column("paused_seconds", Integer, nullable=False, default=0),
    Column("stopped_at", UTCDateTime),
    Column("breached_at", UTCDateTime),
    Column("at_risk", Boolean, nullable=False, default=False),
    # Seconds the clock counted when it stopped, in its basis (business seconds for a
    # business clock), net of pauses; NULL while running. Read by the KPI reports.
    Column("elapsed_seconds", Integer),
    Index("ix_sla_clocks_state_deadline", "state", "deadline"),
    # The KPI reports find the clocks decided in a period by these instants (0003).
    Index("ix_sla_clocks_stopped", "stopped_at"),
    Index("ix_sla_clocks_breached", "breached_at"),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("subject_case_id", String(64)),
    Column("score", Integer, nullable=False),
    Column("comment", Text),
    Column("responded_at", UTCDateTime, nullable=False),
    Index("ix_survey_responses_subject", "subject_case_id"),
    Index("ix_survey_responses_at", "responded_at"),
)

people = Table(
    "people",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(256), nullable=False, default=""),
    Column("email", String(256)),
    Column("roles", JSONType, nullable=False, default=list),
    Column("team", String(64)),
    Column("region", String(64)),
    Column("skills", JSONType, nullable=False, default=list),
    Column("manager", String(128)),
    Column("active", Boolean, nullable=False, default=True),
    Index("ix_people_team", "team"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, default=""),
    Column("region", String(64)),
    Column("department", String(128)),
    Column("active", Boolean, nullable=False, default=True),
)

definition_versions = Table(
    "definition_versions",
    metadata,
    Column("process", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=False, default=""),
    Column("plan", JSONType, nullable=False),
    Column("deployed_at", UTCDateTime, nullable=False),
    Column("deployed_by", String(128), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("key", String(256), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("step_id", String(128)),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(256), nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_notifications_case", "case_id"),
)

effects = Table(
    "effects",
    metadata,
    Column("key", String(256), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("activity", String(128), nullable=False),
    Column("payload", JSONType, nullable=False, default=dict),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_effects_case", "case_id"),
)

routing_state = Table(
    "routing_state",
    metadata,
    Column("rule", String(128), primary_key=True),
    Column("scope", String(256), primary_key=True),
    Column("last_person", String(128)),
)

route_decisions = Table(
    "route_decisions",
    metadata,
    Column("key", String(256), primary_key=True),
    Column("person", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("person_id", String(128), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Index("ix_api_tokens_person", "person_id"),
)

report_runs = Table(
    "report_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("report", String(128), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("period_start", UTCDateTime),
    Column("period_end", UTCDateTime),
    Column("region", String(64)),
    Column("status", String(32), nullable=False),
    Column("files", JSONType, nullable=False, default=list),
    Column("summary", JSONType, nullable=False, default=dict),
    Index("ix_report_runs_report_started", "report", "started_at"),
)

#: Every table, in the order they are created (reverse to drop or empty).
ALL_TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)

"""create the records schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casework.records.types import BigIntKey, JSONType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every records table and index."""
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=256), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_person", "api_tokens", ["person_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", BigIntKey, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("step_id", sa.String(length=128), nullable=True),
        sa.Column("task_id", sa.String(length=200), nullable=True),
        sa.Column("details", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
    )
    op.create_index("ix_case_events_kind_at", "case_events", ["kind", "at"], unique=False)

    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("process", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("plan_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("customer", sa.String(length=256), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("sla_state", sa.String(length=32), nullable=False),
        sa.Column("first_response_due", UTCDateTime(), nullable=True),
        sa.Column("resolution_due", UTCDateTime(), nullable=True),
        sa.Column("parent_case_id", sa.String(length=64), nullable=True),
        sa.Column("current_steps", JSONType, nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
    )
    op.create_index(
        "ix_cases_assignee_opened", "cases", ["assignee", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_customer_opened", "cases", ["customer", "opened_at", "case_id"], unique=False
    )
    op.create_index("ix_cases_opened", "cases", ["opened_at", "case_id"], unique=False)
    op.create_index("ix_cases_parent", "cases", ["parent_case_id"], unique=False)
    op.create_index(
        "ix_cases_priority_opened", "cases", ["priority", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_process_opened", "cases", ["process", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_region_opened", "cases", ["region", "opened_at", "case_id"], unique=False
    )
    op.create_index("ix_cases_resolved", "cases", ["resolved_at"], unique=False)
    op.create_index(
        "ix_cases_sla_opened", "cases", ["sla_state", "opened_at", "case_id"], unique=False
    )
    op.create_index(
        "ix_cases_status_opened", "cases", ["status", "opened_at", "case_id"], unique=False
    )
    op.create_index("ix_cases_team_opened", "cases", ["team", "opened_at", "case_id"], unique=False)

    op.create_table(
        "definition_versions",
        sa.Column("process", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("plan", JSONType, nullable=False),
        sa.Column("deployed_at", UTCDateTime(), nullable=False),
        sa.Column("deployed_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("process", "version", name=op.f("pk_definition_versions")),
        sa.UniqueConstraint("hash", name=op.f("uq_definition_versions_hash")),
    )
    op.create_table(
        "effects",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("activity", sa.String(length=128), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_effects")),
    )
    op.create_index("ix_effects_case", "effects", ["case_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_case", "notifications", ["case_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=True),
        sa.Column("roles", JSONType, nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("skills", JSONType, nullable=False),
        sa.Column("manager", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index("ix_people_team", "people", ["team"], unique=False)

    op.create_table(
        "report_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("report", sa.String(length=128), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("period_start", UTCDateTime(), nullable=True),
        sa.Column("period_end", UTCDateTime(), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("files", JSONType, nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    op.create_index(
        "ix_report_runs_report_started", "report_runs", ["report", "started_at"], unique=False
    )

    op.create_table(
        "route_decisions",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("person", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_route_decisions")),
    )
    op.create_table(
        "routing_state",
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=256), nullable=False),
        sa.Column("last_person", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("rule", "scope", name=op.f("pk_routing_state")),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("business", sa.Boolean(), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("breached_at", UTCDateTime(), nullable=True),
        sa.Column("at_risk", sa.Boolean(), nullable=False),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "name", name=op.f("pk_sla_clocks")),
    )
    op.create_index(
        "ix_sla_clocks_state_deadline", "sla_clocks", ["state", "deadline"], unique=False
    )

    op.create_table(
        "survey_responses",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("subject_case_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("responded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_survey_responses")),
    )
    op.create_index("ix_survey_responses_at", "survey_responses", ["responded_at"], unique=False)
    op.create_index(
        "ix_survey_responses_subject", "survey_responses", ["subject_case_id"], unique=False
    )

    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("skills", JSONType, nullable=False),
        sa.Column("person", sa.String(length=128), nullable=True),
        sa.Column("eligible", JSONType, nullable=False),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcomes", JSONType, nullable=False),
        sa.Column("form", JSONType, nullable=False),
        sa.Column("votes", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_tasks")),
    )
    op.create_index(
        "ix_tasks_assignee_state", "tasks", ["assignee", "state", "created_at"], unique=False
    )
    op.create_index("ix_tasks_case", "tasks", ["case_id"], unique=False)
    op.create_index(
        "ix_tasks_state_role_region",
        "tasks",
        ["state", "role", "region", "created_at"],
        unique=False,
    )
    op.create_index("ix_tasks_team_state", "tasks", ["team", "state", "created_at"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )


def downgrade() -> None:
    """Drop every records table."""
    for name in (
        "teams",
        "tasks",
        "survey_responses",
        "sla_clocks",
        "routing_state",
        "route_decisions",
        "report_runs",
        "people",
        "notifications",
        "effects",
        "definition_versions",
        "cases",
        "case_events",
        "api_tokens",
    ):
        op.drop_table(name)

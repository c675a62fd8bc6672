"""Indexes for the inbox, workload and paired case filters.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_status_team_opened": ("cases", ["status", "team", "opened_at", "case_id"]),
    "ix_cases_team_sla_opened": ("cases", ["team", "sla_state", "opened_at", "case_id"]),
    "ix_cases_region_priority_opened": ("cases", ["region", "priority", "opened_at", "case_id"]),
    "ix_tasks_state_created": ("tasks", ["state", "created_at", "task_id"]),
    "ix_tasks_state_assignee": ("tasks", ["state", "assignee", "created_at", "task_id"]),
}


def upgrade() -> None:
    """Create the indexes."""
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop the indexes."""
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)

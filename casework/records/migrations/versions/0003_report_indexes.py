"""Indexes for the KPI reports: SLA clocks by the instant they were decided.

First response time and SLA compliance select the clocks that stopped (``met``) or
breached inside the report period; without these indexes both scanned every clock.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_sla_clocks_stopped": ("sla_clocks", ["stopped_at"]),
    "ix_sla_clocks_breached": ("sla_clocks", ["breached_at"]),
}


def upgrade() -> None:
    """Create the indexes."""
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop the indexes."""
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)

"""Alembic environment: migrations run on a connection handed over by ``casework.records.db``."""

from __future__ import annotations

from alembic import context

from casework.records.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run casework migrations through casework.records.db.upgrade(url)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: migrations run on the connection tgpass hands over."""

from __future__ import annotations

from alembic import context

from tgpass.store.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `tgpass migrate` (it supplies the connection)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

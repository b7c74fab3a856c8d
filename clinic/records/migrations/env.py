"""Alembic environment: runs on the connection GluteLab hands in (no alembic.ini, works when frozen)."""

from __future__ import annotations

from alembic import context

from clinic.records.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("GluteLab migrations run through clinic.records.db.upgrade(), not the alembic CLI")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()

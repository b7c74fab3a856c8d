"""Records: SQLAlchemy models, the engine and migrations, the recording store, users, roles and audit."""

"""security: audit rows chained by HMAC, append-only against REPLACE and TRUNCATE too, never-reused ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Written out in full (no model imports) so that it keeps describing revision 0003 forever.

* audit_events.chain_mac (HMAC chain, computed by the application with a key kept outside the database; rows
  written before this revision stay NULL and are sealed by the first chained row) and indexes on
  (username, action) for the sign-in back-off and on (entity, entity_id) for a record's history.
* Triggers: every INSERT into audit_events must be a new row after the last one and carry a MAC (this also
  stops SQLite's REPLACE, which deletes then inserts without firing DELETE triggers); PostgreSQL also rejects
  TRUNCATE. UPDATE and DELETE stay rejected.
* SQLite: every table is rebuilt with AUTOINCREMENT so an id is never handed out twice (PostgreSQL sequences
  never go back). The rebuild runs with foreign keys off (clinic.records.db.upgrade).
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# children after parents is not needed with foreign keys off, but keeps the copy order readable
TABLES = ('users', 'patients', 'episodes', 'sessions', 'calibrations', 'trials', 'rep_results', 'recordings',
          'recording_chunks', 'audit_events')

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    # REPLACE INTO deletes the old row and inserts the new one without firing DELETE triggers (unless
    # recursive_triggers is on), so the insert itself must prove it is a new row at the end of the trail.
    # In a BEFORE INSERT trigger NEW.id is -1 when the database is about to choose the id.
    "CREATE TRIGGER audit_events_insert_only_new BEFORE INSERT ON audit_events "
    "WHEN NEW.chain_mac IS NULL OR EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
    "OR (NEW.id <> -1 AND NEW.id <= (SELECT max(id) FROM audit_events)) "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: only new, chained rows may be added'); END",
)


def _sqlite_upgrade() -> None:
    for verb in ('update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{verb}')
    for table in TABLES:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            if table == 'audit_events':
                batch_op.add_column(sa.Column('chain_mac', sa.String(length=64), nullable=True))
                batch_op.create_index('ix_audit_events_username_action', ['username', 'action'], unique=False)
                batch_op.create_index('ix_audit_events_entity', ['entity', 'entity_id'], unique=False)
    for ddl in SQLITE_TRIGGERS:
        op.execute(ddl)


def _postgresql_upgrade() -> None:
    op.add_column('audit_events', sa.Column('chain_mac', sa.String(length=64), nullable=True))
    op.create_index('ix_audit_events_username_action', 'audit_events', ['username', 'action'], unique=False)
    op.create_index('ix_audit_events_entity', 'audit_events', ['entity', 'entity_id'], unique=False)
    # the superuser the application connects as may TRUNCATE regardless of privileges: a trigger stops it
    op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    op.execute("CREATE FUNCTION audit_events_insert_only_new() RETURNS trigger AS $$ "
               "BEGIN IF NEW.chain_mac IS NULL OR NEW.id <= (SELECT max(id) FROM audit_events) THEN "
               "RAISE EXCEPTION 'audit_events is append-only: only new, chained rows may be added'; END IF; "
               "RETURN NEW; END; $$ LANGUAGE plpgsql")
    op.execute("CREATE TRIGGER audit_events_insert_only_new BEFORE INSERT ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION audit_events_insert_only_new()")
    # new rows must come after every existing one: a sequence left behind by rows inserted with explicit ids
    # (a hand-made import) would otherwise make every new event look like an overwrite
    op.execute("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), max(id)) FROM audit_events "
               "HAVING max(id) IS NOT NULL")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS audit_events_insert_only_new')
        for table in TABLES:
            with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': False}) as batch_op:
                if table == 'audit_events':
                    batch_op.drop_index('ix_audit_events_username_action')
                    batch_op.drop_index('ix_audit_events_entity')
                    batch_op.drop_column('chain_mac')
        for ddl in SQLITE_TRIGGERS[:2]:
            op.execute(ddl)
        return
    op.execute('DROP TRIGGER audit_events_insert_only_new ON audit_events')
    op.execute('DROP FUNCTION audit_events_insert_only_new()')
    op.execute('DROP TRIGGER audit_events_no_truncate ON audit_events')
    op.drop_index('ix_audit_events_username_action', table_name='audit_events')
    op.drop_index('ix_audit_events_entity', table_name='audit_events')
    op.drop_column('audit_events', 'chain_mac')

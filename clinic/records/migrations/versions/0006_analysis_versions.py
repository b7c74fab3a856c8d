"""analysis versions: every analysis of a trial is kept, one of them current

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Written out in full (no model imports) so that it keeps describing revision 0006 forever. Results stored
before it (the trial's summary and its per-rep rows) become version 1 of their trial, current, with the
settings that produced them unknown (empty method and conditioning, code version "before 0006").
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CODE_VERSION_BEFORE = 'unknown (stored before analysis versions)'

#: a SQLite table rebuilt by batch mode keeps AUTOINCREMENT only when told (revision 0003)
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}


def upgrade() -> None:
    op.create_table('trial_analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('method', sa.JSON(), nullable=False),
    sa.Column('conditioning', sa.JSON(), nullable=False),
    sa.Column('mains_hz', sa.Float(), nullable=True),
    sa.Column('calibration', sa.JSON(), nullable=True),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_trial_analyses_number_positive')),
    sa.ForeignKeyConstraint(['trial_id'], ['trials.id'], name=op.f('fk_trial_analyses_trial_id_trials'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_analyses')),
    sa.UniqueConstraint('trial_id', 'number', name='uq_trial_analyses_trial_number'),
    sqlite_autoincrement=True,  # ids are never reused (0003)
    )
    op.create_index('ix_trial_analyses_trial_id', 'trial_analyses', ['trial_id'], unique=False)
    op.create_index('uq_trial_analyses_one_current', 'trial_analyses', ['trial_id'], unique=True,
                    sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    postgres = op.get_bind().dialect.name == 'postgresql'
    empty_object, empty_list = ("'{}'::json", "'[]'::json") if postgres else ("'{}'", "'[]'")
    op.execute(sa.text(
        'INSERT INTO trial_analyses (trial_id, number, is_current, method, conditioning, mains_hz, calibration, '
        'code_version, created_at, created_by, summary, notes) '
        f'SELECT t.id, 1, TRUE, {empty_object}, {empty_object}, NULL, NULL, :code, CURRENT_TIMESTAMP, '
        f"'migration 0006', t.summary, {empty_list} FROM trials t "
        'WHERE EXISTS (SELECT 1 FROM rep_results r WHERE r.trial_id = t.id) '
        "OR CAST(t.summary AS TEXT) NOT IN ('{}', 'null')").bindparams(code=CODE_VERSION_BEFORE))

    op.add_column('rep_results', sa.Column('analysis_id', sa.Integer(), nullable=True))
    op.execute('UPDATE rep_results SET analysis_id = (SELECT a.id FROM trial_analyses a '
               'WHERE a.trial_id = rep_results.trial_id)')
    with op.batch_alter_table('rep_results', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.alter_column('analysis_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_rep_results_analysis_id_trial_analyses'), 'trial_analyses',
                                    ['analysis_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_rep_results_analysis_id'), ['analysis_id'], unique=False)

    with op.batch_alter_table('trials', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_column('summary')


def downgrade() -> None:
    """Back to one result per trial: the current version's, the others are dropped."""
    with op.batch_alter_table('trials', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.drop_column('version')
    op.execute('UPDATE trials SET summary = (SELECT a.summary FROM trial_analyses a '
               'WHERE a.trial_id = trials.id AND a.is_current) '
               'WHERE EXISTS (SELECT 1 FROM trial_analyses a WHERE a.trial_id = trials.id AND a.is_current)')
    op.execute('DELETE FROM rep_results WHERE analysis_id NOT IN '
               '(SELECT id FROM trial_analyses WHERE is_current)')
    with op.batch_alter_table('rep_results', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rep_results_analysis_id'))
        batch_op.drop_constraint(batch_op.f('fk_rep_results_analysis_id_trial_analyses'), type_='foreignkey')
        batch_op.drop_column('analysis_id')
    op.drop_index('uq_trial_analyses_one_current', table_name='trial_analyses')
    op.drop_index('ix_trial_analyses_trial_id', table_name='trial_analyses')
    op.drop_table('trial_analyses')

"""calibration table, database constraints behind the form validation, indexes for recovery and progress

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Written out in full (no model imports) so that it keeps describing revision 0002 forever.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CHECKS = {
    'patients': [
        ('given_name_not_empty', 'length(trim(given_name)) > 0'),
        ('mrn_not_empty', 'length(trim(mrn)) > 0'),
        ('sex', "sex IN ('female','male','other','unknown')"),
        ('birth_date_plausible', "birth_date >= '1900-01-01'"),
    ],
    'episodes': [
        ('reason_not_empty', 'length(trim(reason)) > 0'),
        ('discharge_after_start', 'discharge_date IS NULL OR discharge_date >= start_date'),
    ],
    'trials': [
        ('side', "side IN ('left','right','both')"),
        ('sets_range', 'sets >= 1 AND sets <= 20'),
        ('reps_range', 'reps >= 1 AND reps <= 100'),
        ('hold_range', 'hold_target_s >= 0 AND hold_target_s <= 600'),
    ],
    'rep_results': [('rep_positive', 'rep >= 1')],
    'recordings': [('rate_positive', 'sample_rate_hz > 0')],
}


def upgrade() -> None:
    op.create_table('calibrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('muscle', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('baseline_uv', sa.Float(), nullable=False),
    sa.Column('mvc_uv', sa.Float(), nullable=True),
    sa.Column('electrode_map', sa.JSON(), nullable=False),
    sa.Column('device', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(muscle)) > 0', name=op.f('ck_calibrations_muscle_not_empty')),
    sa.CheckConstraint('baseline_uv >= 0', name=op.f('ck_calibrations_baseline_not_negative')),
    sa.CheckConstraint('mvc_uv IS NULL OR mvc_uv > 0', name=op.f('ck_calibrations_mvc_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_calibrations_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibrations'))
    )
    with op.batch_alter_table('calibrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibrations_session_id'), ['session_id'], unique=False)

    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)
            if table == 'recordings':
                batch_op.create_index('ix_recordings_status', ['status'], unique=False)

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_episode_started', ['episode_id', 'started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_episode_started')
    for table, checks in reversed(list(CHECKS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'recordings':
                batch_op.drop_index('ix_recordings_status')
            for name, _ in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
    with op.batch_alter_table('calibrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibrations_session_id'))
    op.drop_table('calibrations')

"""episodes: the baseline session the clinician picked, and the goals' outcome recorded at discharge

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Written out in full (no model imports) so that it keeps describing revision 0007 forever.

* episodes.baseline_session_id: the session the clinician marked as the episode's baseline (NULL: the first
  session with results, as before). A session that is erased takes the mark with it (ON DELETE SET NULL).
* episodes.goal_outcomes: per stated goal, whether the clinician judged it met at discharge
  (``[{"goal": text, "met": true|false}]``); episodes stored before it have none ('[]').

Both are columns of episodes, so a change to either goes through the episode's version column (optimistic
locking). SQLite rebuilds the table to add the foreign key and keeps AUTOINCREMENT (revision 0003).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: a SQLite table rebuilt by batch mode keeps AUTOINCREMENT only when told (revision 0003)
NEVER_REUSE_IDS = {'sqlite_autoincrement': True}
FK_NAME = 'fk_episodes_baseline_session_id_sessions'


def upgrade() -> None:
    with op.batch_alter_table('episodes', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column('baseline_session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('goal_outcomes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_foreign_key(FK_NAME, 'sessions', ['baseline_session_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('episodes', schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_column('goal_outcomes')
        batch_op.drop_column('baseline_session_id')

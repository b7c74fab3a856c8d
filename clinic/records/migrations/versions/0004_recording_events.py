"""recordings.events: what happened to the link while recording (cable pulled, re-plugged, gaps)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Written out in full (no model imports) so that it keeps describing revision 0004 forever.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('events', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('events')

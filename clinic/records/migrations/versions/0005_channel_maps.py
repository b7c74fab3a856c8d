"""channel maps: the map stored with every recording, and each device's default map

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Written out in full (no model imports) so that it keeps describing revision 0005 forever. Recordings made
before it keep an empty map: their channel names are what the device called them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('recordings', sa.Column('channel_map', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table('device_channel_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('channel_map', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_channel_maps')),
    sa.UniqueConstraint('model', 'serial', name='uq_device_channel_maps_model_serial'),
    sqlite_autoincrement=True,  # ids are never reused (0003)
    )


def downgrade() -> None:
    op.drop_table('device_channel_maps')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('channel_map')

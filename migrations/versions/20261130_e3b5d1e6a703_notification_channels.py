"""Notifications outside the app: per-user channels and a delivery outbox (issue 8).

Revision ID: e3b5d1e6a703
Revises: e2a7c3d9f402
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e3b5d1e6a703'
down_revision: str | None = 'e2a7c3d9f402'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS = ('in_app', 'email', 'sms')


def _channel() -> sa.Enum:
    return sa.Enum(*_CHANNELS, name='notifychannel', native_enum=False, create_constraint=True,
                   length=40)


def upgrade() -> None:
    # Everyone starts in the app only: nobody is emailed until they (or an admin) choose it.
    op.add_column('app_user', sa.Column('notify_channel', _channel(), server_default='in_app',
                                        nullable=False))
    op.add_column('app_user', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('app_user', sa.Column('mobile', sa.String(length=20), nullable=True))
    op.create_table('notification_delivery',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('notification_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('home_id', sa.Uuid(), nullable=True),
    sa.Column('channel', _channel(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('headline', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_path', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transport', sa.String(length=20), nullable=True),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('permanent', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['home_id'], ['care_home.id'], name=op.f('fk_notification_delivery_home_id_care_home'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_notification_delivery_notification_id_notification'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_delivery_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_delivery')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_notification_delivery_notification_id'))
    )
    op.create_index('ix_notification_delivery_pending', 'notification_delivery', ['available_at'], unique=False, postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'))
    op.create_index('ix_notification_delivery_failed', 'notification_delivery', ['home_id', 'failed_at'], unique=False, postgresql_where=sa.text('failed_at IS NOT NULL'))
    op.create_index(op.f('ix_notification_delivery_user_id'), 'notification_delivery', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notification_delivery_user_id'), table_name='notification_delivery')
    op.drop_index('ix_notification_delivery_failed', table_name='notification_delivery', postgresql_where=sa.text('failed_at IS NOT NULL'))
    op.drop_index('ix_notification_delivery_pending', table_name='notification_delivery', postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'))
    op.drop_table('notification_delivery')
    op.drop_column('app_user', 'mobile')
    op.drop_column('app_user', 'email')
    op.drop_column('app_user', 'notify_channel')

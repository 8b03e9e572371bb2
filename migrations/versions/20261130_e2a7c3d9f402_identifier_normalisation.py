"""Identifiers normalised to ASCII digits before every check and store (issue 8).

Revision ID: e2a7c3d9f402
Revises: e1f0a8c4b201
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

revision: str = 'e2a7c3d9f402'
down_revision: str | None = 'e1f0a8c4b201'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

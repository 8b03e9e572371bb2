"""Clinical safety: escalation-policy versions, coded first contact, routing floors (issue 8).

Revision ID: e1f0a8c4b201
Revises: c5c150b1442c
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

revision: str = 'e1f0a8c4b201'
down_revision: str | None = 'c5c150b1442c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

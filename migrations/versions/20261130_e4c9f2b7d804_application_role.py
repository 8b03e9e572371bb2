"""The application's database role owns nothing it must not change (issue 8).

Revision ID: e4c9f2b7d804
Revises: e3b5d1e6a703
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

revision: str = 'e4c9f2b7d804'
down_revision: str | None = 'e3b5d1e6a703'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""The application's database role owns nothing it must not change (issue 8).

What belongs to the schema lives here: no role but the owner holds rights on our tables by
default (PUBLIC), and nobody but the schema's owner may create objects in it. The grants to
the application role itself (the role given by the caller, else the user in
CAREJOURNEY_DATABASE_URL, else carejourney_app; skipped while that role does not exist) are
made by migrations/env.py after this and every later migration, in the same transaction; see
carejourney/db_roles.py. The append-only trigger function stays the owner's, who created it.

Revision ID: e4c9f2b7d804
Revises: e3b5d1e6a703
Create Date: 2026-11-30 22:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'e4c9f2b7d804'
down_revision: str | None = 'e3b5d1e6a703'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PUBLIC holds no table rights by default; this undoes any a DBA ever granted (TRUNCATE
    # included), so every role's rights on our tables come from the grant step alone.
    op.execute('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC')
    op.execute('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC')
    # Before PostgreSQL 15 every role could create objects in schema public. Only the schema's
    # owner can take that away; a migration role that does not own the schema leaves it to the
    # DBA (the product's start-up check refuses an application role that can create there).
    op.execute("""
        DO $$ BEGIN
            IF pg_has_role(current_user,
                           (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'),
                           'USAGE') THEN
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            END IF;
        END $$
    """)


def downgrade() -> None:
    # Nothing to give back: PUBLIC never needs rights on our tables or CREATE in the schema.
    pass

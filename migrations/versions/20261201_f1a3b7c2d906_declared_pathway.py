"""The pathway as declared, versioned data (issue 9).

- step.kind is any kind a domain declared (care/journeys/registry.py refuses others), no
  longer a fixed list in the database: end-of-life and later stages add kinds without a
  check constraint to widen each time.
- step.status gains 'skipped': a step a pathway migration found the journey already past.
- journey records the pathway and version it follows; every journey so far followed v1.
- pathway_migration keeps who moved which journeys to which version, when and why.

Revision ID: f1a3b7c2d906
Revises: e5d2a9c1f905
Create Date: 2026-12-01 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'f1a3b7c2d906'
down_revision: str | None = 'e5d2a9c1f905'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_OLD = ('ready', 'claimed', 'completed', 'cancelled', 'failed')
STATUSES_NEW = (*STATUSES_OLD, 'skipped')
KINDS_V1 = ('holistic_assessment', 'pcsp', 'prepare_round', 'clinical_review', 'referral',
            'follow_up', 'medication_review', 'registration_conversation',
            'dementia_assessment_offer', 'urgent_response', 'repeat_observations', 'ae_review')


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.drop_constraint(op.f('ck_step_stepkind'), 'step', type_='check')
    op.drop_constraint(op.f('ck_step_stepstatus'), 'step', type_='check')
    op.create_check_constraint('stepstatus', 'step', f"status IN ({_in(STATUSES_NEW)})")
    op.add_column('journey', sa.Column('pathway', sa.String(length=40), server_default='ehch',
                                       nullable=False))
    op.add_column('journey', sa.Column('pathway_version', sa.Integer(), server_default='1',
                                       nullable=False))
    op.create_table('pathway_migration',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('pathway', sa.String(length=40), nullable=False),
    sa.Column('to_version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('scope', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_pathway_migration_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_migration'))
    )


def downgrade() -> None:
    op.drop_table('pathway_migration')
    op.drop_column('journey', 'pathway_version')
    op.drop_column('journey', 'pathway')
    op.execute("UPDATE step SET status = 'cancelled' WHERE status = 'skipped'")
    op.drop_constraint(op.f('ck_step_stepstatus'), 'step', type_='check')
    op.create_check_constraint('stepstatus', 'step', f"status IN ({_in(STATUSES_OLD)})")
    op.create_check_constraint('stepkind', 'step', f"kind IN ({_in(KINDS_V1)})")

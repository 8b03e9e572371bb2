"""A step names the domain record it is part of (context_kind, context_id) instead of one
column per domain (home_round_id, deterioration_id): the step engine knows no clinical domain,
and a new domain (end of life) needs no new column on step. A journey's stage is a stage of its
pathway version or a state a domain sets, no longer a fixed list in the database.

Revision ID: f2b4c8d3e007
Revises: f1a3b7c2d906
Create Date: 2026-12-01 02:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f2b4c8d3e007'
down_revision: str | None = 'f1a3b7c2d906'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('step', sa.Column('context_kind', sa.String(length=40), nullable=True))
    op.add_column('step', sa.Column('context_id', sa.Uuid(), nullable=True))
    op.execute("UPDATE step SET context_kind = 'home_round', context_id = home_round_id "
               "WHERE home_round_id IS NOT NULL")
    op.execute("UPDATE step SET context_kind = 'deterioration', context_id = deterioration_id "
               "WHERE deterioration_id IS NOT NULL")
    op.create_index('ix_step_context', 'step', ['context_kind', 'context_id'], unique=False)
    op.drop_constraint(op.f('fk_step_home_round_id_home_round'), 'step', type_='foreignkey')
    op.drop_constraint(op.f('fk_step_deterioration_id_deterioration'), 'step',
                       type_='foreignkey')
    op.drop_index(op.f('ix_step_home_round_id'), table_name='step')
    op.drop_index(op.f('ix_step_deterioration_id'), table_name='step')
    op.drop_column('step', 'home_round_id')
    op.drop_column('step', 'deterioration_id')
    op.drop_constraint(op.f('ck_journey_stage'), 'journey', type_='check')
    # The name the models give it (care/db.py naming convention), so models and migrations
    # describe the same schema (tests/test_migrations.py checks).
    op.execute("ALTER TABLE escalation_policy_version RENAME CONSTRAINT "
               "uq_escalation_policy_version_pcn_id TO uq_escalation_policy_version_pcn_id_version")


STAGES_V1 = ('assessment', 'care_planning', 'under_mdt_care', 'in_hospital', 'discharged',
             'deceased')


def downgrade() -> None:
    op.create_check_constraint('stage', 'journey',
                               "stage IN ({})".format(", ".join(f"'{s}'" for s in STAGES_V1)))
    op.execute("ALTER TABLE escalation_policy_version RENAME CONSTRAINT "
               "uq_escalation_policy_version_pcn_id_version TO uq_escalation_policy_version_pcn_id")
    op.add_column('step', sa.Column('deterioration_id', sa.Uuid(), nullable=True))
    op.add_column('step', sa.Column('home_round_id', sa.Uuid(), nullable=True))
    op.execute("UPDATE step SET home_round_id = context_id WHERE context_kind = 'home_round'")
    op.execute("UPDATE step SET deterioration_id = context_id "
               "WHERE context_kind = 'deterioration'")
    op.create_index(op.f('ix_step_deterioration_id'), 'step', ['deterioration_id'], unique=False)
    op.create_index(op.f('ix_step_home_round_id'), 'step', ['home_round_id'], unique=False)
    op.create_foreign_key(op.f('fk_step_deterioration_id_deterioration'), 'step',
                          'deterioration', ['deterioration_id'], ['id'], ondelete='CASCADE')
    op.create_foreign_key(op.f('fk_step_home_round_id_home_round'), 'step', 'home_round',
                          ['home_round_id'], ['id'], ondelete='CASCADE')
    op.drop_index('ix_step_context', table_name='step')
    op.drop_column('step', 'context_id')
    op.drop_column('step', 'context_kind')

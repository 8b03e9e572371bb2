"""The PCSP's first contact becomes a coded choice: free text already in a resident's current
plan goes to a review list for the clinical lead (issue 8, item 6).

The care_plan rows are the clinical record and are left exactly as they are; each review
quotes its plan version's words. Free text is never read by the route from now on.

Revision ID: e5d2a9c1f905
Revises: e4c9f2b7d804
Create Date: 2026-11-30 22:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5d2a9c1f905'
down_revision: str | None = 'e4c9f2b7d804'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The codes as they stand in this revision (care.assessments.schemas.PreferredContact).
CODES = ('gp', 'palliative_care_team', 'urgent_community_response', 'named_clinician')


def upgrade() -> None:
    op.create_table('first_contact_review',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resident_id', sa.Uuid(), nullable=False),
    sa.Column('care_plan_id', sa.Uuid(), nullable=False),
    sa.Column('care_plan_version', sa.Integer(), nullable=False),
    sa.Column('original_text', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Uuid(), nullable=True),
    sa.Column('resolution', sa.Enum(*CODES, name='preferredcontact', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('resolution_named_clinician_id', sa.Uuid(), nullable=True),
    sa.Column('resolution_reason', sa.Text(), nullable=True),
    sa.Column('resolved_plan_version', sa.Integer(), nullable=True),
    sa.CheckConstraint('(resolved_at IS NULL) = (resolved_by_id IS NULL)', name=op.f('ck_first_contact_review_resolved_together')),
    sa.ForeignKeyConstraint(['care_plan_id'], ['care_plan.id'], name=op.f('fk_first_contact_review_care_plan_id_care_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_first_contact_review_resident_id_resident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolution_named_clinician_id'], ['app_user.id'], name=op.f('fk_first_contact_review_resolution_named_clinician_id_app_user')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['app_user.id'], name=op.f('fk_first_contact_review_resolved_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_first_contact_review')),
    sa.UniqueConstraint('care_plan_id', name=op.f('uq_first_contact_review_care_plan_id'))
    )
    op.create_index(op.f('ix_first_contact_review_resident_id'), 'first_contact_review', ['resident_id'], unique=False)
    # Each resident's current plan (their newest version) whose first contact is words, not a
    # code. The words are copied exactly as written, so the lead reads what staff wrote.
    op.execute(sa.text(
        """
        INSERT INTO first_contact_review
            (id, resident_id, care_plan_id, care_plan_version, original_text, opened_at)
        SELECT gen_random_uuid(), plan.resident_id, plan.id, plan.version,
               plan.escalation_wishes ->> 'preferred_contact', now()
        FROM (SELECT DISTINCT ON (resident_id) id, resident_id, version, escalation_wishes
              FROM care_plan ORDER BY resident_id, version DESC) AS plan
        WHERE jsonb_typeof(plan.escalation_wishes -> 'preferred_contact') IS DISTINCT FROM 'null'
          AND btrim(plan.escalation_wishes ->> 'preferred_contact') <> ''
          AND (plan.escalation_wishes ->> 'preferred_contact') NOT IN ({codes})
        """.format(codes=", ".join(f"'{code}'" for code in CODES))
    ))


def downgrade() -> None:
    # The plans a resolution made stay: they are versions of the clinical record.
    op.drop_index(op.f('ix_first_contact_review_resident_id'), table_name='first_contact_review')
    op.drop_table('first_contact_review')

"""Clinical safety: every version of a PCN's escalation ladder kept, and ladders saved before
the national floors brought within them (issue 8, hazard H-01).

Revision ID: e1f0a8c4b201
Revises: c5c150b1442c
Create Date: 2026-11-30 22:00:00
"""
import json
from datetime import UTC, datetime
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'e1f0a8c4b201'
down_revision: str | None = 'c5c150b1442c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The floors as they stand in this revision (care/deterioration/routes.py FLOORS), written out
# so the migration means the same thing whatever the code becomes later.
_FLOORS = {
    "high_from": (1, 7), "medium_from": (1, 5), "rise_from_baseline": (1, 4),
    "low_without_baseline_from": (1, 4), "urgent_response_minutes": (1, 120),
    "gp_urgent_minutes": (1, 60), "same_day_minutes": (1, 360),
    "acknowledge_emergency_minutes": (1, 15), "acknowledge_urgent_minutes": (1, 30),
    "acknowledge_same_day_minutes": (1, 60), "repeat_obs_emergency_minutes": (1, 30),
    "repeat_obs_urgent_minutes": (1, 60), "repeat_obs_same_day_minutes": (1, 240),
    "repeat_obs_low_minutes": (1, 360), "repeat_obs_zero_minutes": (1, 720),
    "full_set_minutes": (1, 15),
}
_ACK = ("acknowledge_emergency_minutes", "acknowledge_urgent_minutes",
        "acknowledge_same_day_minutes")


def _within_floors(values: dict) -> dict:
    """One acknowledgement window for every route becomes one per route; each value outside
    its floor becomes the bound (never less cautious than what the PCN had)."""
    kept = {}
    if values.get("acknowledge_minutes") is not None:
        kept.update({name: int(values["acknowledge_minutes"]) for name in _ACK})
    for name, value in values.items():
        if name in _FLOORS and value is not None:
            kept[name] = int(value)
    out = {name: min(max(value, _FLOORS[name][0]), _FLOORS[name][1])
           for name, value in kept.items()}
    high = out.get("high_from", 7)
    if out.get("medium_from", 5) >= high:
        out["medium_from"] = max(1, high - 1)
    return out


def upgrade() -> None:
    op.create_table(
        'escalation_policy_version',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('pcn_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('changed_by_id', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['app_user.id'],
                                name=op.f('fk_escalation_policy_version_changed_by_id_app_user')),
        sa.ForeignKeyConstraint(['pcn_id'], ['pcn.id'], ondelete='CASCADE',
                                name=op.f('fk_escalation_policy_version_pcn_id_pcn')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_policy_version')),
        sa.UniqueConstraint('pcn_id', 'version', name=op.f('uq_escalation_policy_version_pcn_id')),
    )
    op.create_index(op.f('ix_escalation_policy_version_pcn_id'), 'escalation_policy_version',
                    ['pcn_id'], unique=False)
    # Every version of a clinical policy is kept: the database refuses edits and deletions, and
    # the application role gets SELECT and INSERT only on tables under this trigger.
    op.execute("""
        CREATE TRIGGER escalation_policy_version_no_change
        BEFORE UPDATE OR DELETE ON escalation_policy_version
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
    """)
    conn = op.get_bind()
    stored = conn.execute(sa.text(
        'SELECT pcn_id, "values", updated_by_id, updated_at, note FROM pcn_escalation_policy'
    )).mappings().all()
    for row in stored:
        before = dict(row["values"] or {})
        after = _within_floors(before)
        insert = sa.text(
            'INSERT INTO escalation_policy_version (pcn_id, version, "values", reason, '
            'changed_by_id, changed_at) VALUES (:pcn, :version, CAST(:values AS jsonb), '
            ':reason, :by, :at)')
        conn.execute(insert, {"pcn": row["pcn_id"], "version": 1, "values": json.dumps(before),
                              "reason": row["note"] or "Saved before versions were kept",
                              "by": row["updated_by_id"], "at": row["updated_at"]})
        if after != before:
            conn.execute(insert, {
                "pcn": row["pcn_id"], "version": 2, "values": json.dumps(after),
                "reason": "Brought within the national floors (NEWS2 bands, the 2-hour urgent "
                          "response, acknowledgement and monitoring bounds) by the upgrade",
                "by": None, "at": datetime.now(UTC)})
            conn.execute(sa.text('UPDATE pcn_escalation_policy SET "values" = '
                                 'CAST(:values AS jsonb) WHERE pcn_id = :pcn'),
                         {"values": json.dumps(after), "pcn": row["pcn_id"]})


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS escalation_policy_version_no_change "
               "ON escalation_policy_version")
    op.drop_index(op.f('ix_escalation_policy_version_pcn_id'),
                  table_name='escalation_policy_version')
    op.drop_table('escalation_policy_version')

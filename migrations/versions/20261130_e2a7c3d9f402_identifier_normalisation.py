"""Identifiers normalised to ASCII digits before every check and store (issue 8).

Residents admitted before the fix may hold an NHS number or GP practice ODS code as typed, in
fullwidth or Arabic-Indic digits, so the duplicate check and searches missed them. This rewrites
them in the one stored form, with an audit entry per change keeping the typed value.

If two *active* residents then share an NHS number (one person admitted twice), nothing is
deleted or merged: which record is the person's is a clinical and information-governance
decision. One of the group holds the ASCII number (the one that already did, else the earliest
created), so new admissions of that number are refused and it is found by search; the others
keep their typed number (the unique index allows no more), and each group is reported: a
warning in the migration log and a ``resident.duplicate_nhs_number`` audit entry naming the
resident ids, for the service to resolve.

Only data changes; running it again rewrites nothing (it reports remaining duplicates again).
The downgrade keeps the ASCII form (the previous code reads it as well); the audit entries hold
the typed values.

Revision ID: e2a7c3d9f402
Revises: e1f0a8c4b201
Create Date: 2026-11-30 22:00:00
"""
import json
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'e2a7c3d9f402'
down_revision: str | None = 'e1f0a8c4b201'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

ACTIVE = ("resident", "in_hospital")


# A frozen copy of care.residents.rules as of this revision: a migration must not change
# meaning when the application's rules change later.
def _ascii(raw: str) -> str:
    folded = unicodedata.normalize("NFKC", raw or "")
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded)


def _nhs_number(raw: str) -> str | None:
    digits = "".join(ch for ch in _ascii(raw)
                     if not ch.isspace() and unicodedata.category(ch) != "Pd")
    return digits if len(digits) == 10 and digits.isascii() and digits.isdigit() else None


def _ods_code(raw: str) -> str | None:
    code = _ascii(raw).strip()
    return code.upper() if code.isascii() and code.isalnum() and len(code) <= 10 else None


def _audit(conn: sa.Connection, now: datetime, action: str, resident_id: Any,
           before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    conn.execute(sa.text(
        "INSERT INTO audit_event (at, user_id, role, action, entity, entity_id, resident_id,"
        " before, after, channel) VALUES (:at, NULL, NULL, :action, 'resident', :entity_id,"
        " :resident_id, CAST(:before AS jsonb), CAST(:after AS jsonb), 'migration')"
    ), {"at": now, "action": action, "entity_id": str(resident_id) if resident_id else None,
        "resident_id": resident_id, "before": json.dumps(before) if before else None,
        "after": json.dumps(after)})


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(sa.text(
        "SELECT id, nhs_number, gp_practice_ods, status, created_at, home_id FROM resident"
        " ORDER BY created_at, id"
    )).mappings().all()
    aligned = {
        home_id: set(codes or []) for home_id, codes in conn.execute(sa.text(
            "SELECT care_home.id, pcn.practice_ods_codes FROM care_home"
            " JOIN pcn ON pcn.id = care_home.pcn_id"))
    }

    # NHS numbers: group active residents by the number they normalise to.
    active: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        number = _nhs_number(row["nhs_number"])
        if number is not None and row["status"] in ACTIVE:
            active[number].append(row)
    keep_typed: set[Any] = set()
    for number, group in active.items():
        if len(group) < 2:
            continue
        holder = next((r for r in group if r["nhs_number"] == number), group[0])
        others = [r for r in group if r is not holder]
        keep_typed.update(r["id"] for r in others)
        ids = [str(r["id"]) for r in group]
        log.warning("identifier normalisation: %d active residents share one NHS number; left "
                    "for the service to resolve (resident ids %s)", len(group), ", ".join(ids))
        for r in group:
            _audit(conn, now, "resident.duplicate_nhs_number", r["id"], None,
                   {"resident_ids": ids, "holds_number": str(holder["id"])})

    changed = conflicts = 0
    for row in rows:
        updates: dict[str, Any] = {}
        number = _nhs_number(row["nhs_number"])
        if number is not None and number != row["nhs_number"]:
            if row["id"] in keep_typed:
                conflicts += 1
            else:
                updates["nhs_number"] = number
        code = _ods_code(row["gp_practice_ods"])
        if code is not None and code != row["gp_practice_ods"]:
            updates["gp_practice_ods"] = code
            updates["gp_in_aligned_pcn"] = code in aligned.get(row["home_id"], set())
        if not updates:
            continue
        conn.execute(sa.text(
            "UPDATE resident SET " + ", ".join(f"{k} = :{k}" for k in updates) + " WHERE id = :id"
        ), {**updates, "id": row["id"]})
        _audit(conn, now, "resident.identifier_normalised", row["id"],
               {k: row[k] for k in updates if k != "gp_in_aligned_pcn"},
               {k: v for k, v in updates.items() if k != "gp_in_aligned_pcn"})
        changed += 1
    if changed or conflicts:
        log.warning("identifier normalisation: %d resident(s) normalised; %d left as typed "
                    "because another active resident holds the number", changed, conflicts)


def downgrade() -> None:
    pass

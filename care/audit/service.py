"""Writing the audit log. Callers pass the session so the entry commits with the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from care.audit.models import AuditEvent
from care.directory.models import User


def record(
    session: Session,
    *,
    at: datetime,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | str | None = None,
    resident_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    channel: str = "api",
) -> None:
    """Append one audit entry in the caller's transaction."""
    session.add(
        AuditEvent(
            at=at,
            user_id=actor.id if actor else None,
            role=actor.role.value if actor else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id) if entity_id is not None else None,
            resident_id=resident_id,
            before=before,
            after=after,
            channel=channel,
        )
    )


def record_seen(
    session: Session, *, at: datetime, actor: User, channel: str, action: str,
    resident_ids: list[uuid.UUID | None] | set[uuid.UUID | None],
) -> None:
    """A list a person was shown that names residents: one entry with whom it named."""
    named = sorted({str(r) for r in resident_ids if r is not None})
    if named:
        record(session, at=at, actor=actor, action=action, entity="resident", channel=channel,
               after={"resident_ids": named})

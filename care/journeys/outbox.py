"""The transactional outbox that tells journey runners to advance a journey (invariant 4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from care.journeys.models import OutboxMessage


def enqueue(session: Session, journey_id: uuid.UUID, reason: str, now: datetime) -> OutboxMessage:
    """Ask for the journey to advance; commits with the caller's change or not at all."""
    message = OutboxMessage(journey_id=journey_id, reason=reason, created_at=now, available_at=now)
    session.add(message)
    return message


@dataclass(frozen=True)
class Lease:
    journey_id: uuid.UUID
    message_ids: tuple[int, ...]
    attempts: int


def lease_batch(
    session: Session, now: datetime, *, lease_seconds: float, limit: int
) -> list[Lease]:
    """Claim due messages for this runner, grouped by journey.

    ``FOR UPDATE SKIP LOCKED`` lets several runners drain at once; the lease lets another
    runner take over the messages of one that died mid-advance.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.processed_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.available_at <= now,
            (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            leased_until=now + timedelta(seconds=lease_seconds),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id, OutboxMessage.journey_id, OutboxMessage.attempts)
    ).all()
    grouped: dict[uuid.UUID, list[tuple[int, int]]] = {}
    for message_id, journey_id, attempts in rows:
        grouped.setdefault(journey_id, []).append((message_id, attempts))
    return [
        Lease(
            journey_id=journey_id,
            message_ids=tuple(sorted(m for m, _ in items)),
            attempts=max(a for _, a in items),
        )
        for journey_id, items in grouped.items()
    ]


def mark_processed(
    session: Session, lease: Lease, now: datetime, flow_run_id: uuid.UUID | None
) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(lease.message_ids))
        .values(processed_at=now, leased_until=None, flow_run_id=flow_run_id, last_error=None)
    )


def mark_failed(
    session: Session,
    lease: Lease,
    now: datetime,
    *,
    error: str,
    max_attempts: int,
    flow_run_id: uuid.UUID | None,
) -> bool:
    """Record a failed advance; back off exponentially, give up after ``max_attempts``.

    Returns True when the runner gave up (the journey is then listed as stalled).
    """
    gave_up = lease.attempts >= max_attempts
    backoff = timedelta(seconds=min(2 ** lease.attempts, 300))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(lease.message_ids))
        .values(
            leased_until=None,
            last_error=error[:2000],
            available_at=now + backoff,
            failed_at=now if gave_up else None,
            flow_run_id=flow_run_id,
        )
    )
    return gave_up

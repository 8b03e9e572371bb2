"""Notifications people see in the app: reminders, escalations, assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.audit.service import record as audit
from care.directory.access import Actor
from care.directory.models import HomeMembership
from care.errors import NotFound
from care.journeys.events import DomainEvent, publish
from care.journeys.models import Notification
from care.residents.models import Resident


@dataclass(frozen=True)
class NotificationCreated(DomainEvent):
    """A person was told something in the app; delivery decides whether it also goes out."""

    notification: Notification


def notify(
    session: Session, user_id: uuid.UUID, kind: str, message: str, now: datetime,
    *, step_id: uuid.UUID | None = None, resident_id: uuid.UUID | None = None,
) -> None:
    """Tell a person in the app; urgent kinds also go by their chosen email or text message.

    The outbound part is only a delivery row in the caller's transaction (care/delivery,
    subscribed in care/composition.py): a worker sends it later, so a mail service that is
    down never blocks or undoes the care.
    """
    note = Notification(user_id=user_id, kind=kind, message=message, step_id=step_id,
                        resident_id=resident_id, created_at=now)
    session.add(note)
    publish(session, NotificationCreated(at=now, actor=None, notification=note))


def _still_allowed(user_id: uuid.UUID) -> Any:
    """A notification about a resident shows only while the user still serves their home."""
    homes = select(HomeMembership.home_id).where(HomeMembership.user_id == user_id)
    residents = select(Resident.id).where(Resident.home_id.in_(homes))
    return Notification.resident_id.is_(None) | Notification.resident_id.in_(residents)


def notifications_for(session: Session, user_id: uuid.UUID, *, unread_only: bool = False,
                      limit: int = 50) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id,
                                       _still_allowed(user_id))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc()).limit(limit)))


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    """How many of the user's notifications they have not marked as read."""
    return session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None),
            _still_allowed(user_id))
    ) or 0


def mark_read(
    session: Session, actor: Actor, notification_id: uuid.UUID, now: datetime
) -> Notification:
    """Mark one of the actor's notifications as read; reading it again changes nothing.

    Someone else's notification does not exist for the actor (404, not 403).
    """
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != actor.id or (
        note.resident_id is not None and not _resident_served(session, actor, note.resident_id)
    ):
        raise NotFound("notification not found")
    if note.read_at is None:
        note.read_at = now
        audit(session, at=now, actor=actor.user, channel=actor.channel,
              action="notification.read", entity="notification", entity_id=note.id,
              resident_id=note.resident_id)
    return note


def _resident_served(session: Session, actor: Actor, resident_id: uuid.UUID) -> bool:
    home_id = session.scalar(select(Resident.home_id).where(Resident.id == resident_id))
    return home_id is not None and actor.serves(home_id)

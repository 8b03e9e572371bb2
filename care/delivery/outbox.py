"""The delivery outbox: leased like the journey outbox (``FOR UPDATE SKIP LOCKED``, lease
expiry, attempts, exponential back-off), so several workers can drain it at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from care.delivery.models import NotificationDelivery
from care.delivery.rules import (
    ESCALATION,
    HEADLINES,
    backoff,
    goes_out,
    is_urgent_work,
    link_path,
    new_reference,
)
from care.deterioration import DETERIORATION, Deterioration, DeteriorationStatus
from care.directory.models import NotifyChannel, User
from care.journeys.models import Notification, Step
from care.residents import Resident


@dataclass(frozen=True)
class Outgoing:
    """One leased delivery with what its worker needs, read in the leasing transaction."""

    id: int
    notification_id: uuid.UUID
    kind: str
    user_id: uuid.UUID
    channel: NotifyChannel
    email: str | None
    mobile: str | None
    reference: str
    headline: str
    detail: str | None
    due_at: datetime | None
    link_path: str
    attempts: int
    # Only to check that nothing identifying the resident is in what is sent.
    resident_names: tuple[str | None, ...] = ()
    resident_nhs_number: str | None = None
    resident_date_of_birth: date | None = None


def lease_batch(
    session: Session, now: datetime, *, lease_seconds: float, limit: int
) -> list[Outgoing]:
    """Claim due deliveries for this worker; a lease that runs out (the worker died) lets
    another worker send it again: at-least-once."""
    due = (
        select(NotificationDelivery.id)
        .where(
            NotificationDelivery.sent_at.is_(None),
            NotificationDelivery.failed_at.is_(None),
            NotificationDelivery.available_at <= now,
            NotificationDelivery.leased_until.is_(None) | (NotificationDelivery.leased_until < now),
        )
        .order_by(NotificationDelivery.available_at, NotificationDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = session.scalars(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(due.scalar_subquery()))
        .values(leased_until=now + timedelta(seconds=lease_seconds),
                attempts=NotificationDelivery.attempts + 1)
        .returning(NotificationDelivery.id)
    ).all()
    if not ids:
        return []
    rows = session.execute(
        select(NotificationDelivery, Notification.kind, User.email, User.mobile, Resident)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .join(User, User.id == NotificationDelivery.user_id)
        .outerjoin(Resident, Resident.id == Notification.resident_id)
        .where(NotificationDelivery.id.in_(ids))
        .order_by(NotificationDelivery.id)
    ).tuples().all()
    return [
        Outgoing(
            id=d.id, notification_id=d.notification_id, kind=kind, user_id=d.user_id,
            channel=d.channel, email=email, mobile=mobile, reference=d.reference,
            headline=d.headline, detail=d.detail, due_at=d.due_at, link_path=d.link_path,
            attempts=d.attempts,
            resident_names=(r.given_name, r.family_name, r.representative_name) if r else (),
            resident_nhs_number=r.nhs_number if r else None,
            resident_date_of_birth=r.date_of_birth if r else None,
        )
        for d, kind, email, mobile, r in rows
    ]


def mark_sent(
    session: Session, delivery_id: int, now: datetime, *, transport: str, provider_id: str | None
) -> None:
    session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id, NotificationDelivery.sent_at.is_(None))
        .values(sent_at=now, leased_until=None, transport=transport,
                provider_id=(provider_id or "")[:200] or None, failed_at=None, last_error=None)
    )


def mark_failed(
    session: Session, delivery_id: int, now: datetime, *, error: str, permanent: bool,
    max_attempts: int, retry_seconds: float,
) -> NotificationDelivery | None:
    """Record a failed try: back off, or give up (permanent, or the last attempt).

    Returns the delivery when this call gave up on it (its failure must now be reported),
    else None. A delivery another worker has meanwhile sent or given up is left alone.
    """
    delivery = session.scalar(
        select(NotificationDelivery).where(NotificationDelivery.id == delivery_id)
        .with_for_update())
    if delivery is None or delivery.sent_at is not None or delivery.failed_at is not None:
        return None
    gave_up = permanent or delivery.attempts >= max_attempts
    delivery.leased_until = None
    delivery.last_error = error[:2000]
    if gave_up:
        delivery.failed_at = now
        delivery.permanent = permanent
        return delivery
    delivery.available_at = now + backoff(delivery.attempts, retry_seconds)
    return None


def enqueue_for(session: Session, note: Notification, now: datetime) -> NotificationDelivery | None:
    """Queue the email or text message for a notification when its kind goes out of the app
    and its person chose a channel; in the caller's transaction, so it commits with the care
    it reports or not at all."""
    step = session.get(Step, note.step_id) if note.step_id else None
    deterioration_id = step.context_of(DETERIORATION) if step is not None else None
    if step is None and note.resident_id is not None and note.kind == ESCALATION:
        # "Nobody on the ladder serves this home": about an escalation with no step yet.
        deterioration_id = session.scalar(select(Deterioration.id).where(
            Deterioration.resident_id == note.resident_id,
            Deterioration.status == DeteriorationStatus.OPEN).limit(1))
    urgent_work = (is_urgent_work(step_kind=step.kind, priority=step.priority)
                   if step is not None else deterioration_id is not None)
    if not goes_out(note.kind, about_urgent_work=urgent_work):
        return None
    user = session.get(User, note.user_id)
    if user is None or not user.active or user.notify_channel == NotifyChannel.IN_APP:
        return None
    home_id = step.home_id if step is not None else None
    if home_id is None and note.resident_id is not None:
        home_id = session.scalar(select(Resident.home_id).where(Resident.id == note.resident_id))
    delivery = NotificationDelivery(
        notification=note, user_id=user.id, home_id=home_id, channel=user.notify_channel,
        reference=new_reference(), headline=HEADLINES.get(note.kind, "carejourney alert"),
        # Step titles are written by the code ("Urgent response: GP"), never with a name;
        # the worker checks again before sending.
        detail=step.title[:200] if step is not None else None,
        due_at=step.due_at if step is not None and step.is_open else None,
        link_path=link_path(kind=note.kind, step_id=str(step.id) if step else None,
                            deterioration_id=str(deterioration_id) if deterioration_id
                            else None),
        created_at=now, available_at=now, attempts=0,
    )
    session.add(delivery)
    return delivery

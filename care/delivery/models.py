"""One row per message to send outside the app, written with the notification it carries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from care.db import Base
from care.directory.models import NotifyChannel
from care.journeys.models import Notification
from care.types import enum_column


class NotificationDelivery(Base):
    """An email or text message for a notification, sent later by a delivery worker.

    Written in the same transaction as the notification (so in the clinical transaction that
    raised it) and leased like the journey outbox (``SKIP LOCKED``, lease expiry, attempts and
    back-off), so a slow or failing mail service never holds up or undoes the care it reports.
    Sending is at-least-once: a worker that dies after sending but before marking the row
    leaves it to be sent again when its lease runs out.

    What is sent is built from ``headline``, ``detail``, ``due_at`` and ``link_path`` only:
    never the in-app message, which names the resident.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id"),
        Index("ix_notification_delivery_pending", "available_at",
              postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")),
        Index("ix_notification_delivery_failed", "home_id", "failed_at",
              postgresql_where=text("failed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    # The home the alert is about: whose clinical lead hears of a failure, who may see it.
    home_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("care_home.id", ondelete="CASCADE"), nullable=True)
    channel: Mapped[NotifyChannel] = mapped_column(enum_column(NotifyChannel))
    # Short and opaque ("CJ-7K3M9Q"): quoted in the message and on the pages, names nobody.
    reference: Mapped[str] = mapped_column(String(12))
    headline: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    link_path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_until: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    transport: Mapped[str | None] = mapped_column(String(20), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    permanent: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    notification: Mapped[Notification] = relationship()

    @property
    def status(self) -> str:
        return "sent" if self.sent_at else "failed" if self.failed_at else "pending"

"""How a person is reached outside the app: their channel and contact details."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from care.directory.models import NotifyChannel
from care.types import NO_NUL


class ContactIn(BaseModel):
    """The channel, and the details it needs (the other one may be kept for later)."""

    model_config = ConfigDict(extra="forbid")

    channel: NotifyChannel = Field(description="in_app, email or sms (a text message)")
    email: str | None = Field(default=None, max_length=254, pattern=NO_NUL,
                              description="Needed for email, e.g. name@nhs.net")
    mobile: str | None = Field(default=None, max_length=30, pattern=NO_NUL,
                               description="Needed for sms: a mobile number, e.g. 07700 900123")


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: str
    channel: NotifyChannel
    email: str | None
    mobile: str | None
    available_channels: list[NotifyChannel] = Field(
        description="The channels this service can send on now")


class DeliveryProblemOut(BaseModel):
    """An alert that did not reach its person (given up after retries, or refused)."""

    id: int
    reference: str
    user_id: str
    user_name: str
    channel: NotifyChannel
    address: str = Field(description="Masked: enough to recognise, not to copy")
    home_id: str | None
    home_name: str | None
    headline: str
    link_path: str
    raised_at: str
    failed_at: str
    attempts: int
    permanent: bool
    reason: str | None

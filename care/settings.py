"""Configuration from environment variables (prefix ``CAREJOURNEY_``) with safe defaults."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from care.clock import CARE_TIMEZONE

DeadlineRuleName = Literal["working-days", "calendar-days"]


class Settings(BaseSettings):
    """One settings object for the whole product; production refuses unsafe values."""

    model_config = SettingsConfigDict(env_prefix="CAREJOURNEY_", extra="ignore")

    mode: Literal["demo", "production"] = "demo"
    # Empty means: start the embedded PostgreSQL from the pip wheel in ``data_dir``.
    database_url: str = ""
    # The schema owner's URL, used only to migrate (and by `create-app-role`); database_url is
    # then the least-privilege application role's. Empty with the embedded server: it gives
    # both. Empty with an external server: demo mode migrates with database_url; production
    # never migrates with the application's credentials, so `serve` only checks the schema is
    # current and `migrate` refuses.
    migration_database_url: str = ""
    data_dir: Path = Path(".data")
    secret_key: str = ""
    token_minutes: int = 60
    session_minutes: int = 480
    deadline_rule: DeadlineRuleName = "working-days"
    deadline_days: int = 7
    # The 'prepare the round' step opens this many days before each home's round.
    round_prepare_days: int = Field(default=2, ge=0, le=6)
    login_max_failures: int = 5
    login_window_minutes: int = 15
    runner_enabled: bool = True
    runner_poll_seconds: float = 0.5
    outbox_max_attempts: int = 5
    stalled_after_minutes: int = 10
    host: str = "127.0.0.1"
    port: int = 8000
    # Where `carejourney serve` starts its own Prefect server when PREFECT_API_URL is unset.
    prefect_port: int = 4200
    # Unset: on in production (served over HTTPS), off in demo (plain http on localhost).
    cookie_secure: bool = False
    timezone: str = CARE_TIMEZONE
    generated_secret: bool = Field(default=False, exclude=True)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.mode == "production" and "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = True
        if self.mode == "production":
            if len(self.secret_key) < 32 or self.secret_key.lower().startswith("changeme"):
                raise ValueError(
                    "CAREJOURNEY_SECRET_KEY must be set to at least 32 random characters in "
                    "production mode"
                )
        elif not self.secret_key:
            # Demo mode only: a per-process secret; sessions end when the product restarts.
            self.secret_key = secrets.token_urlsafe(48)
            self.generated_secret = True
        return self

    # Notifications outside the app (issue 8). Nothing configured: in-app only (logged at
    # start-up). Secrets come from the environment only, never from the repository.
    # Absolute links in emails and text messages; empty: http://{host}:{port}.
    public_url: str = ""
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "carejourney <noreply@carejourney.invalid>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=120)
    notify_api_key: SecretStr = SecretStr("")
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # GOV.UK Notify templates with ((subject)) and ((body)) (email) and ((body)) (SMS).
    notify_email_template_id: str = ""
    notify_sms_template_id: str = ""
    notify_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # Alerts are retried with back-off (retry_seconds, doubling, at most 5 min) and given up
    # after max_attempts: the clinical lead is then told. Defaults give up within 4 minutes.
    delivery_max_attempts: int = Field(default=5, ge=1, le=20)
    delivery_retry_seconds: float = Field(default=15, gt=0, le=600)
    delivery_poll_seconds: float = Field(default=2, gt=0, le=60)
    # How often open pages (/urgent, My work, the header's counts) ask for changes.
    live_refresh_seconds: int = Field(default=20, ge=1, le=300)

    @property
    def base_url(self) -> str:
        """Where links in messages point: CAREJOURNEY_PUBLIC_URL, else this server."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def notify_configured(self) -> bool:
        return bool(self.notify_api_key.get_secret_value())

    @model_validator(mode="after")
    def _refuse_unusable_channels(self) -> Settings:
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError("CAREJOURNEY_PUBLIC_URL must start with https:// (or http://)")
        if self.mode == "production" and (self.smtp_configured or self.notify_configured) and (
                not self.public_url.startswith("https://")):
            raise ValueError("CAREJOURNEY_PUBLIC_URL must be the https:// address people open "
                             "when email or text messages are configured in production")
        key = self.notify_api_key.get_secret_value()
        if key and len(key) < 74:
            raise ValueError("CAREJOURNEY_NOTIFY_API_KEY is not a GOV.UK Notify API key "
                             "(name-serviceid-secret)")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

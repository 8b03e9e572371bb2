"""Configuration from environment variables (prefix ``CAREJOURNEY_``) with safe defaults."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    timezone: str = "Europe/London"
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


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

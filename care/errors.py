"""Domain errors. Each maps to exactly one HTTP status in ``api/problems.py``."""

from __future__ import annotations


class DomainError(Exception):
    """Base class; ``field`` names the input at fault where there is one."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or the user may not know it exists (access rule 9)."""


class Forbidden(DomainError):
    """The user can see the thing but their role may not do this to it."""


class Conflict(DomainError):
    """The action clashes with the current state (already claimed, already completed...)."""


class InvalidInput(DomainError):
    """Input that is well-formed but clinically or logically unacceptable."""

    def __init__(
        self, detail: str, *, field: str | None = None, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail, field=field)
        self.errors = errors or ([{"field": field, "reason": detail}] if field else [])


class RateLimited(DomainError):
    """Too many attempts; try again later."""

"""Users: password checks with a database-backed rate limit, and directory look-ups."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from care.directory.models import CareHome, HomeMembership, LoginAttempt, User
from care.errors import InvalidInput, RateLimited

# Argon2id with pwdlib's recommended parameters.
password_hash = PasswordHash.recommended()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = password_hash.hash("timing-equaliser")


def hash_password(plain: str) -> str:
    return password_hash.hash(plain)


def authenticate(
    session: Session, username: str, password: str, now: datetime, *, max_failures: int,
    window_minutes: int,
) -> User | None:
    """The active user with these credentials, or None. Refuses after too many failures."""
    key = username.strip().lower()
    if "\x00" in key:
        # No username has one, and PostgreSQL text cannot store it as a failed attempt.
        raise InvalidInput("must not contain NUL characters", field="username")
    # Count-then-insert must not race: parallel guesses at one username queue here.
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext("login:" + key))))
    since = now - timedelta(minutes=window_minutes)
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == key, LoginAttempt.at >= since
        )
    ) or 0
    if failures >= max_failures:
        raise RateLimited(
            f"too many failed sign-in attempts; try again in {window_minutes} minutes"
        )
    user = session.scalar(select(User).where(User.username == key))
    ok = password_hash.verify(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or not user.active:
        session.add(LoginAttempt(username=key, at=now))
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == key))
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def homes_for(session: Session, home_ids: frozenset[uuid.UUID]) -> list[CareHome]:
    if not home_ids:
        return []
    return list(session.scalars(
        select(CareHome).where(CareHome.id.in_(home_ids)).order_by(CareHome.name)
    ))


def members_with_representation(session: Session, home_id: uuid.UUID,
                                ) -> list[tuple[User, bool]]:
    """The home's active members, each with whether they are its named representative."""
    return list(session.execute(
        select(User, HomeMembership.is_home_representative)
        .join(HomeMembership, HomeMembership.user_id == User.id)
        .where(HomeMembership.home_id == home_id, User.active)
        .order_by(User.display_name)
    ).tuples().all())


def members_of(session: Session, home_id: uuid.UUID) -> list[User]:
    return list(session.scalars(
        select(User)
        .join(HomeMembership, HomeMembership.user_id == User.id)
        .where(HomeMembership.home_id == home_id, User.active)
        .order_by(User.display_name)
    ))


def forget_login_attempts(session: Session, before: datetime) -> int:
    """Drop failed sign-in records older than the rate-limit window (they only count there)."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(getattr(result, "rowcount", 0) or 0)

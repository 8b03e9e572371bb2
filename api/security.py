"""Signed bearer tokens and session cookies, CSRF tokens and security headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

ALGORITHM = "HS256"
SESSION_COOKIE = "cj_session"


def issue_token(
    secret: str, user_id: uuid.UUID, role: str, now: datetime, minutes: int, kind: str
) -> str:
    """A signed, expiring token. ``kind`` keeps API tokens and page sessions apart."""
    claims = {
        "sub": str(user_id),
        "role": role,
        "kind": kind,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, kind: str, now: datetime) -> dict[str, Any] | None:
    """The token's claims when its signature, kind and expiry (against ``now``) check out."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"verify_exp": False}
        )
    except jwt.PyJWTError:
        return None
    if claims.get("kind") != kind or int(claims.get("exp", 0)) < int(now.timestamp()):
        return None
    return claims


def csrf_token(secret: str, session_jti: str) -> str:
    """Bound to the session, so a token from another session (or none) is refused."""
    return hmac.new(secret.encode(), f"csrf:{session_jti}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_jti: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret, session_jti), presented or "")


class SecurityHeaders(BaseHTTPMiddleware):
    """Headers every response carries; pages load scripts and styles from our origin only."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.url.path.startswith("/docs"):
            headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
            )
        # Pages and API answers may name residents: never keep them in shared caches.
        if not request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        ctx = getattr(request.app.state, "ctx", None)
        if ctx is not None and ctx.settings.cookie_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

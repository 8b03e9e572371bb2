"""`Idempotency-Key` for the API's write calls: a repeat with the same key and body gets the
first result back; the same key with a different request is refused (409, in the domain)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from care.journeys import idempotency


@dataclass(frozen=True)
class Call:
    key: str | None
    request_hash: str


def replay(
    session: Session, user_id: uuid.UUID, key: str | None, request: Request, response: Response,
    body: Any,
) -> tuple[Call, dict[str, Any] | None]:
    """The first result of an earlier identical call (and the response marked as a replay),
    or None when this call is to be carried out."""
    call = Call(key, idempotency.fingerprint(request.method, request.url.path, body))
    if key is None:
        return call, None
    stored = idempotency.begin(session, user_id, key, call.request_hash)
    if stored is None:
        return call, None
    session.rollback()
    response.status_code = stored.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return call, stored.response


def remember(session: Session, user_id: uuid.UUID, call: Call, status_code: int,
             result: dict[str, Any], now: datetime) -> None:
    """Keep the result for repeats, in the same transaction as the change it reports."""
    if call.key is not None:
        idempotency.save(session, user_id, call.key, call.request_hash, status_code, result,
                         now)

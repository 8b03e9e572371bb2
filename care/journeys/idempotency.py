"""``Idempotency-Key`` storage: the first result of a call, replayed when the call is repeated.

Follows draft-ietf-httpapi-idempotency-key-header: a key is scoped to the user who sent it;
the same key with the same request returns the stored result; the same key with a different
request is refused with 409 Conflict: in this API a key names one completion, so a different
outcome under it is a different outcome for an already completed step (the contract's 409).
Calls with the same key are serialised with a transaction-scoped advisory lock, so a retry
racing the original waits for it and then replays its result instead of acting twice. Only
successful results are stored, in the same transaction as the change they describe: a failed
call leaves nothing behind and may be retried.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from care.errors import Conflict, InvalidInput
from care.journeys.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResult:
    status_code: int
    response: dict[str, Any]


def fingerprint(method: str, path: str, body: Any) -> str:
    """A stable hash of the request (method, path and parsed body), independent of formatting."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"must be 1 to {MAX_KEY_LENGTH} printable characters", field=HEADER)
    return key


def begin(
    session: Session, user_id: uuid.UUID, key: str, request_hash: str
) -> StoredResult | None:
    """Take the key's lock (held until the transaction ends); the stored result of an earlier
    identical call, or None when this is the first.

    Raises ``Conflict`` when the key was used before for a different request.
    """
    key = check_key(key)
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"idem:{user_id}:{key}", 0)))
    )
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Conflict("was already used for a different request; use a new key",
                       field=HEADER)
    return StoredResult(record.status_code, dict(record.response))


def save(
    session: Session, user_id: uuid.UUID, key: str, request_hash: str, status_code: int,
    response: dict[str, Any], now: datetime,
) -> None:
    """Store the result in the caller's transaction (it commits with the change or not at all)."""
    session.add(
        IdempotencyRecord(
            user_id=user_id, key=check_key(key), request_hash=request_hash,
            status_code=status_code, response=response, created_at=now,
        )
    )


def purge(session: Session, before: datetime) -> int:
    """Forget results older than ``before`` (keys are meant for retries, not for ever)."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)

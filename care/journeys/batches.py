"""Work over many journeys, each in its own transaction: one journey's failure is reported
and the rest carry on (bulk re-runs, pathway migrations)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from care.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemResult:
    journey_id: uuid.UUID
    ok: bool
    detail: dict[str, Any]
    error: str | None = None


def for_each_journey(
    sessions: sessionmaker[Session], journey_ids: Iterable[uuid.UUID],
    work: Callable[[Session, uuid.UUID], dict[str, Any]],
    progress: Callable[[int, ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Run ``work`` for each journey in a transaction of its own, in order."""
    results: list[ItemResult] = []
    for done, journey_id in enumerate(journey_ids, start=1):
        try:
            with sessions() as session, session.begin():
                result = ItemResult(journey_id, True, work(session, journey_id))
        except DomainError as exc:
            result = ItemResult(journey_id, False, {}, str(exc))
        except Exception as exc:  # one journey's defect must not stop the others
            log.exception("batch work failed for journey %s", journey_id)
            result = ItemResult(journey_id, False, {}, f"unexpected error: {type(exc).__name__}")
        results.append(result)
        if progress is not None:
            progress(done, result)
    return results

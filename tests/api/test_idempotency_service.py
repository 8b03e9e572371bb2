"""The Idempotency-Key store on its own: fingerprints, key checks, scoping and retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.errors import Conflict, InvalidInput
from care.journeys import idempotency
from care.journeys.models import IdempotencyRecord
from tests.factories import World


def test_fingerprint_ignores_formatting_but_not_content() -> None:
    a = idempotency.fingerprint("post", "/x", {"b": 1, "a": [1, 2]})
    assert a == idempotency.fingerprint("POST", "/x", {"a": [1, 2], "b": 1})
    assert a != idempotency.fingerprint("POST", "/y", {"a": [1, 2], "b": 1})
    assert a != idempotency.fingerprint("POST", "/x", {"a": [2, 1], "b": 1})


@pytest.mark.parametrize("key", ["", "   ", "x" * 201, "tab\there"])
def test_unusable_keys_are_refused_with_the_header_named(key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        idempotency.check_key(key)
    assert raised.value.field == "Idempotency-Key"


def test_store_replay_scope_and_purge(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    nurse, gp = world.users["nurse.a"].id, world.users["gp.a"].id
    with sessions() as s, s.begin():
        assert idempotency.begin(s, nurse, "k1", "h1") is None
        idempotency.save(s, nurse, "k1", "h1", 200, {"ok": True}, clock.now())
    with sessions() as s, s.begin():
        stored = idempotency.begin(s, nurse, "k1", "h1")
        assert stored == idempotency.StoredResult(200, {"ok": True})
        assert idempotency.begin(s, gp, "k1", "h2") is None  # keys are per user
        with pytest.raises(Conflict):
            idempotency.begin(s, nurse, "k1", "h2")
    with sessions() as s, s.begin():
        idempotency.save(s, gp, "k2", "h", 200, {}, clock.now() + timedelta(days=2))
        assert idempotency.purge(s, clock.now() + timedelta(days=1)) == 1
    with sessions() as s:
        keys = s.scalars(select(IdempotencyRecord.key)).all()
        assert keys == ["k2"]

"""Seeing residents in a list is audited, as opening one is (invariant 8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from tests.factories import World, admission
from tests.pages.conftest import sign_in


def test_work_lists_record_whom_they_showed(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    make_client: Callable[[], TestClient],
) -> None:
    with sessions() as s, s.begin():
        resident, _ = residents.admit(s, load_actor(s, world.users["staff.a"]), AdmissionIn(
            **admission(world.home_a.id, date(2026, 11, 2))), clock.now(), settings)
    assert sign_in(make_client(), "nurse.a").get("/my-work").status_code == 200
    assert sign_in(make_client(), "coord").get("/coordinator").status_code == 200
    with sessions() as s:
        seen = {(e.action, e.channel): e.after for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("my_work.view",
                                                             "coordinator.view"))))}
    expected = {"resident_ids": [str(resident.id)]}
    assert seen == {("my_work.view", "web"): expected, ("coordinator.view", "web"): expected}

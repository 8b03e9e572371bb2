"""The coordinator sees every home's recent rounds and whole-home steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.rounds import service as rounds
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import sign_in


def test_coordinator_sees_recent_rounds_per_home(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    make_client: Callable[[], TestClient],
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    with sessions() as s, s.begin():
        rounds.prepare_round(s, world.home_a.id, clock.now(), settings)
    page = sign_in(make_client(), "coord").get("/coordinator")
    assert page.status_code == 200
    assert "Whole home" in page.text  # the 'prepare the round' step has no resident
    section = page.text.split(f'id="rounds-{world.home_a.id}"')[1].split("</p>")[0]
    assert "preparing" in section
    other = page.text.split(f'id="rounds-{world.home_b.id}"')[1].split("</p>")[0]
    assert "none yet" in other

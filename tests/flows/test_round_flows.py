"""The scheduled home-rounds flow: each home on its own day, one failure never blocks others."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from care.journeys.models import Step
from care.rounds import service as rounds
from care.rounds.kinds import RoundStep
from care.rounds.models import HomeRound, RoundStatus
from flows.rounds import home_rounds
from tasks.runtime import Runtime
from tests.factories import World


async def test_each_home_is_prepared_on_its_own_day_and_failures_stay_local(
    world: World, flow_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = flow_runtime
    with rt.sessions() as s, s.begin():
        s.merge(world.home_b).round_weekday = 3  # home B: Thursdays; home A: Tuesdays
    rt.clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))  # Sunday
    first = await home_rounds()
    assert first == {"homes": 2, "rounds_open": 1, "failed_homes": [], "missed": 0}
    again = await home_rounds()
    assert again["rounds_open"] == 1
    with rt.sessions() as s:
        open_rounds = s.scalars(select(HomeRound)).all()
        assert [(r.home_id, r.week) for r in open_rounds] == [(world.home_a.id, "2026-W46")]
        assert len(s.scalars(select(Step).where(Step.kind == RoundStep.PREPARE_ROUND)).all()) == 1

    # Tuesday: home B's window is open, but preparing it fails; home A is unaffected.
    rt.clock.set(datetime.fromisoformat("2026-11-10T11:00:00+00:00"))
    real = rounds.prepare_round

    def broken_for_b(session, home_id, now, settings, *args, **kwargs):  # type: ignore[no-untyped-def]
        if home_id == world.home_b.id:
            raise RuntimeError("home B's data is broken")
        return real(session, home_id, now, settings, *args, **kwargs)

    monkeypatch.setattr(rounds, "prepare_round", broken_for_b)
    import flows.rounds

    # No retry back-off in the test: the failure is deterministic.
    monkeypatch.setattr(flows.rounds, "prepare_home_round",
                        flows.rounds.prepare_home_round.with_options(retries=0))
    result = await home_rounds()
    assert result["failed_homes"] == [str(world.home_b.id)]
    monkeypatch.undo()

    # A week later nothing was recorded for home A's round: it is missed.
    rt.clock.set(datetime.fromisoformat("2026-11-12T09:00:00+00:00"))
    result = await home_rounds()
    assert result["missed"] == 1 and result["failed_homes"] == []
    with rt.sessions() as s:
        statuses = {r.home_id: r.status for r in s.scalars(select(HomeRound))}
        assert statuses[world.home_a.id] == RoundStatus.MISSED
        assert statuses[world.home_b.id] == RoundStatus.PREPARING

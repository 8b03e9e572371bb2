"""The demo world: synthetic, complete enough to show every screen, built by real services."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care import demo
from care.clock import FrozenClock
from care.directory.models import CareHome, User
from care.journeys.models import OPEN_STATUSES, Journey, Step
from care.residents.kinds import Stage
from care.residents.models import Resident
from care.settings import Settings


def test_demo_world(
    clean_db: None, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    with sessions() as s, s.begin():
        assert not demo.already_seeded(s)
        summary = demo.seed(s, clock.now(), settings, residents_per_home=20)
        assert demo.already_seeded(s)
    with sessions() as s:
        homes = s.scalars(select(CareHome)).all()
        assert {h.home_type.value for h in homes} == {"nursing", "residential",
                                                      "learning_disability"}
        assert len({h.round_weekday for h in homes}) == 3
        assert all(h.clinical_lead_id is not None for h in homes)
        assert {u.role.value for u in s.scalars(select(User))} == {
            "coordinator", "clinical_lead", "mdt_member", "care_home_staff", "admin"}
        residents = s.scalars(select(Resident)).all()
        assert summary.residents == len(residents) == 60
        assert all(r.nhs_number.startswith("999") for r in residents)
        assert any(not r.gp_in_aligned_pcn for r in residents)
        stages = {j.stage for j in s.scalars(select(Journey))}
        assert {Stage.ASSESSMENT, Stage.CARE_PLANNING, Stage.UNDER_MDT_CARE} <= stages
        overdue = s.scalar(select(func.count()).select_from(Step).where(
            Step.status.in_(OPEN_STATUSES), Step.due_at < clock.now()))
        assert overdue and overdue < 30


def test_demo_round_history(
    clean_db: None, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    from care.rounds.models import HomeRound, RoundStatus

    with sessions() as s, s.begin():
        demo.seed(s, clock.now(), settings, residents_per_home=8)
    with sessions() as s:
        statuses = sorted(r.status for r in s.scalars(select(HomeRound)))
        assert statuses.count(RoundStatus.HELD) + statuses.count(RoundStatus.CHECK_IN) == 2
        assert RoundStatus.MISSED in statuses


def test_demo_observations_and_escalations(
    clean_db: None, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    from care.deterioration.models import (
        Deterioration,
        DeteriorationStatus,
        News2Baseline,
        ResponseOutcome,
    )

    with sessions() as s, s.begin():
        demo.seed(s, clock.now(), settings, residents_per_home=20)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(News2Baseline)) == 4
        outcomes = {(d.status, d.outcome) for d in s.scalars(select(Deterioration))}
        assert outcomes == {(DeteriorationStatus.CLOSED, ResponseOutcome.SEEN_IN_HOME),
                            (DeteriorationStatus.OPEN, None)}

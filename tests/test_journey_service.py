"""The journey driven through the domain services on a real database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.journeys import escalation
from care.journeys import service as journeys
from care.journeys.models import Journey, Notification, Step, StepEscalation, StepStatus
from care.residents import service as residents
from care.residents.kinds import Stage
from care.residents.schemas import AdmissionIn, HospitalStayIn, ReadmissionIn
from care.settings import Settings
from tests.factories import ASSESSMENT, PCSP, World, admission


def _admit(sessions: sessionmaker[Session], world: World, clock: FrozenClock,
           settings: Settings, admitted_on: date) -> Journey:
    with sessions() as s, s.begin():
        actor = load_actor(s, world.users["staff.a"])
        _, journey = residents.admit(
            s, actor, AdmissionIn(**admission(world.home_a.id, admitted_on)), clock.now(), settings
        )
        return journey


def _open_step(s: Session, journey_id: object, kind: str) -> Step:
    return s.scalars(select(Step).where(Step.journey_id == journey_id, Step.kind == kind)).one()


def test_pathway_runs_assessment_then_plan_then_mdt_care(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    journey = _admit(sessions, world, clock, settings, clock.now().date())
    with sessions() as s, s.begin():
        step = _open_step(s, journey.id, AssessmentStep.HOLISTIC_ASSESSMENT)
        assert step.status == StepStatus.READY
        # Monday 2 Nov 2026 + 7 working days = Wednesday 11 Nov, end of day, London time.
        assert step.due_at.date() == date(2026, 11, 11)
        assert step.deadline_rule == "7-working-days-england/v1"
        nurse = load_actor(s, world.users["nurse.a"])
        journeys.complete_step(s, nurse, step.id, ASSESSMENT, clock.now(), settings)
    with sessions() as s, s.begin():
        plan = _open_step(s, journey.id, AssessmentStep.PCSP)
        assert plan.status == StepStatus.READY
        assert s.get(Journey, journey.id).stage == Stage.CARE_PLANNING  # type: ignore[union-attr]
        journeys.complete_step(s, load_actor(s, world.users["gp.a"]), plan.id, PCSP, clock.now(),
                               settings)
    with sessions() as s:
        assert s.get(Journey, journey.id).stage == Stage.UNDER_MDT_CARE  # type: ignore[union-attr]


def test_advancing_again_never_duplicates(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    journey = _admit(sessions, world, clock, settings, clock.now().date())
    for _ in range(3):
        with sessions() as s, s.begin():
            journeys.advance_journey(s, journey.id, now=clock.now(), settings=settings)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Step)) == 1


def test_overdue_step_is_escalated_exactly_once(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    journey = _admit(sessions, world, clock, settings, clock.now().date())
    clock.advance(days=8)  # Tuesday 10 Nov: due tomorrow, not yet overdue
    with sessions() as s, s.begin():
        assert escalation.sweep_deadlines(s, clock.now()).breached == []
    clock.advance(days=2)  # Thursday 12 Nov: 8 working days have passed
    with sessions() as s, s.begin():
        report = escalation.sweep_deadlines(s, clock.now())
        assert len(report.breached) == 1
    for _ in range(2):
        clock.advance(hours=1)
        with sessions() as s, s.begin():
            assert escalation.sweep_deadlines(s, clock.now()).breached == []
    with sessions() as s:
        step = _open_step(s, journey.id, AssessmentStep.HOLISTIC_ASSESSMENT)
        assert step.overdue_since is not None
        assert s.scalar(select(func.count()).select_from(StepEscalation)) == 1
        kinds = sorted(n.kind for n in s.scalars(select(Notification)))
        # Unassigned: the home's representative is reminded; the clinical lead is told.
        assert kinds == ["escalation", "reminder"]


def test_hospital_stay_and_return_restart_the_clocks(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    journey = _admit(sessions, world, clock, settings, clock.now().date())
    clock.advance(days=2)
    with sessions() as s, s.begin():
        actor = load_actor(s, world.users["staff.a"])
        residents.record_hospital_stay(s, actor, journey.resident_id,
                                       HospitalStayIn(admitted_on=clock.now().date()), clock.now())
    with sessions() as s:
        first = _open_step(s, journey.id, AssessmentStep.HOLISTIC_ASSESSMENT)
        assert first.status == StepStatus.CANCELLED
        assert s.get(Journey, journey.id).stage == Stage.IN_HOSPITAL  # type: ignore[union-attr]
    clock.advance(days=10)
    with sessions() as s, s.begin():
        actor = load_actor(s, world.users["staff.a"])
        residents.record_readmission(s, actor, journey.resident_id,
                                     ReadmissionIn(readmitted_on=clock.now().date()), clock.now(),
                                     settings)
    with sessions() as s:
        steps = s.scalars(select(Step).where(Step.journey_id == journey.id)
                          .order_by(Step.opened_at)).all()
        assert [st.status for st in steps] == [StepStatus.CANCELLED, StepStatus.READY]
        assert steps[1].due_at > steps[0].due_at + timedelta(days=10)


def test_assigning_a_step_notifies_the_assignee(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    journey = _admit(sessions, world, clock, settings, clock.now().date())
    with sessions() as s, s.begin():
        step = _open_step(s, journey.id, AssessmentStep.HOLISTIC_ASSESSMENT)
        journeys.assign_step(s, load_actor(s, world.users["coord"]), step.id,
                             world.users["nurse.a"].id, clock.now())
    with sessions() as s:
        note = s.scalars(select(Notification)).one()
        assert note.user_id == world.users["nurse.a"].id and note.kind == "assignment"
        assert note.step_id == step.id and "assigned you" in note.message


def test_simultaneous_residence_changes_apply_once(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    import threading

    from care.errors import Conflict

    journey = _admit(sessions, world, clock, settings, clock.now().date())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def change(kind: str) -> None:
        with sessions() as s, s.begin():
            actor = load_actor(s, world.users["staff.a"])
            barrier.wait()
            try:
                residents.record_hospital_stay(s, actor, journey.resident_id,
                                               HospitalStayIn(admitted_on=clock.now().date()),
                                               clock.now())
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    # Two people record the same hospital admission at once: exactly one applies.
    threads = [threading.Thread(target=change, args=("hospital",)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    with sessions() as s:
        from care.residents.models import Episode

        episodes = s.scalars(select(Episode).where(Episode.resident_id == journey.resident_id)
                             ).all()
        assert len(episodes) == 2  # the care-home stay and one hospital stay


def test_notifications_disappear_when_the_user_no_longer_serves_the_home(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    from sqlalchemy import delete

    from care.directory.models import HomeMembership
    from care.journeys import notifications

    journey = _admit(sessions, world, clock, settings, clock.now().date())
    nurse = world.users["nurse.a"]
    with sessions() as s, s.begin():
        step = _open_step(s, journey.id, AssessmentStep.HOLISTIC_ASSESSMENT)
        journeys.assign_step(s, load_actor(s, world.users["coord"]), step.id, nurse.id,
                             clock.now())
        notifications.notify(s, nurse.id, "info", "not about a resident", clock.now())
    with sessions() as s:
        assert len(notifications.notifications_for(s, nurse.id)) == 2
    with sessions() as s, s.begin():
        s.execute(delete(HomeMembership).where(HomeMembership.user_id == nurse.id))
    with sessions() as s:
        remaining = notifications.notifications_for(s, nurse.id)
        assert [n.message for n in remaining] == ["not about a resident"]
        assert notifications.unread_count(s, nurse.id) == 1

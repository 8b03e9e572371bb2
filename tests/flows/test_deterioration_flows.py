"""Deterioration driven through the real Prefect flows with an injected clock: the
urgent-ladder flow passes unacknowledged steps up the resident's own ladder once per level,
and an admission then a return runs the journey flow to restart the 7-day deadlines."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from care.assessments.kinds import AssessmentStep
from care.clock import FrozenClock
from care.deterioration import service as deterioration
from care.deterioration.kinds import DETERIORATION, DeteriorationStep
from care.deterioration.models import Deterioration, ResponseOutcome
from care.deterioration.schemas import DecisionIn, ObservationsIn
from care.directory.access import load_actor
from care.journeys import service as journeys
from care.journeys.models import Journey, Step, StepEscalation, StepStatus
from care.residents import service as residents
from care.residents.kinds import Stage
from care.residents.schemas import AdmissionIn, ReadmissionIn
from care.types import Profession, Role
from flows.runner import JourneyRunner
from flows.urgent import urgent_ladder
from tasks.runtime import Runtime
from tests.factories import ASSESSMENT, PCSP, World, admission, make_user

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")  # Tuesday
NORMAL = {"respiration_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 130,
          "pulse": 72, "consciousness": "alert", "temperature": 36.8}
HIGH = {**NORMAL, "respiration_rate": 25, "spo2": 93, "systolic_bp": 105, "pulse": 115}


@pytest.fixture
def rt(flow_runtime: Runtime, world: World, clock: FrozenClock) -> Runtime:
    clock.set(NOW)
    with flow_runtime.sessions() as s, s.begin():
        for username, profession in (("ucr.a", Profession.URGENT_COMMUNITY_RESPONSE),
                                     ("matron.a", Profession.COMMUNITY_MATRON)):
            make_user(s, world.pcn, username, Role.MDT_MEMBER, profession, [world.home_a])
    return flow_runtime


def _at(rt: Runtime, when: datetime) -> None:
    assert isinstance(rt.clock, FrozenClock)
    rt.clock.set(when)


def _resident(rt: Runtime, world: World, hospital: str) -> uuid.UUID:
    with rt.sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        resident, _ = residents.admit(s, staff, AdmissionIn(**admission(
            world.home_a.id, date(2026, 10, 5))), NOW - timedelta(days=30), rt.settings)
        nurse = load_actor(s, world.users["nurse.a"])
        pcsp = {**PCSP, "escalation_wishes": {"hospital_admission": hospital}}
        for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                              (AssessmentStep.PCSP, pcsp)):
            step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                                Step.kind == kind)).one()
            journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=28),
                                   rt.settings)
        return resident.id


def _observe(rt: Runtime, world: World, rid: uuid.UUID, **values: Any) -> Any:
    with rt.sessions() as s, s.begin():
        return deterioration.record_observations(
            s, load_actor(s, world.users["staff.a"]), rid, ObservationsIn(**values),
            rt.clock.now())


def _ladder(rt: Runtime, det_id: uuid.UUID) -> tuple[str, list[str]]:
    with rt.sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None
        steps = s.scalars(select(Step).where(Step.about(DETERIORATION, det_id),
                                             Step.kind == DeteriorationStep.URGENT_RESPONSE)
                          .order_by(Step.opened_at)).all()
        return det.ladder[det.level], [f"{st.candidate_profession}:{st.status.value}"
                                       for st in steps]


async def test_concern_at_news2_zero_escalates_and_climbs_the_ladder_once_per_level(
    rt: Runtime, world: World,
) -> None:
    rid = _resident(rt, world, "discuss_first")
    recorded = _observe(rt, world, rid, **NORMAL, soft_signs=["not_themselves"],
                        carer_concerned=True)
    assert recorded.news2.total == 0 and recorded.deterioration is not None
    det_id = recorded.deterioration.id
    run_ids: list[uuid.UUID] = []

    async def ladder() -> dict[str, int]:
        state = await urgent_ladder(return_state=True)
        run_ids.append(state.state_details.flow_run_id)  # type: ignore[arg-type]
        result: dict[str, int] = await state.result()  # type: ignore[misc]
        return result
    assert _ladder(rt, det_id) == ("gp", ["gp:ready"])

    _at(rt, NOW + timedelta(minutes=29))
    assert await ladder() == {"passed_on": 0, "ladder_exhausted": 0}
    _at(rt, NOW + timedelta(minutes=31))
    assert await ladder() == {"passed_on": 1, "ladder_exhausted": 0}
    assert await ladder() == {"passed_on": 0, "ladder_exhausted": 0}  # once only
    assert _ladder(rt, det_id) == ("community_matron",
                                   ["gp:cancelled", "community_matron:ready"])
    _at(rt, NOW + timedelta(minutes=62))
    assert await ladder() == {"passed_on": 0, "ladder_exhausted": 1}
    assert await ladder() == {"passed_on": 0, "ladder_exhausted": 0}
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StepEscalation).where(
            StepEscalation.level == "unacknowledged")) == 2

    # The flow runs carry no resident or deterioration identifiers.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
    assert len(runs) == 5 and all(r.state and r.state.is_completed() for r in runs)
    for run in runs:
        text = f"{run.name} {run.parameters} {run.tags}"
        assert str(rid) not in text and str(det_id) not in text


@pytest.mark.parametrize(("hospital", "first", "ladder"), [
    ("no", "gp", ["gp", "urgent_community_response", "ambulance_999"]),
    ("yes", "ambulance_999", ["ambulance_999"]),
])
async def test_score_of_8_follows_the_wish_about_hospital(
    rt: Runtime, world: World, hospital: str, first: str, ladder: list[str],
) -> None:
    rid = _resident(rt, world, hospital)
    recorded = _observe(rt, world, rid, **HIGH)
    assert recorded.news2.total == 8
    with rt.sessions() as s:
        det = s.get(Deterioration, recorded.deterioration.id)
        assert det is not None and det.ladder == ladder
    _at(rt, NOW + timedelta(minutes=31))
    await urgent_ladder()
    responder, steps = _ladder(rt, recorded.deterioration.id)
    if hospital == "no":
        # The GP did not acknowledge: the urgent community response team is next, not 999.
        assert responder == "urgent_community_response"
        assert steps == ["gp:cancelled", "urgent_community_response:ready"]
    else:
        # 999 is the recorder's own step (already theirs): nothing to climb.
        assert responder == first and steps == ["None:claimed"]


async def test_admission_and_return_restart_the_7_day_deadlines(
    rt: Runtime, world: World,
) -> None:
    rid = _resident(rt, world, "yes")
    runner = JourneyRunner(rt)
    await runner.drain_until_idle()
    det_id = _observe(rt, world, rid, **HIGH).deterioration.id
    _at(rt, NOW + timedelta(minutes=25))
    with rt.sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        deterioration.decide(s, staff, det_id, DecisionIn(
            decision="Paramedics took him in; admitted.", outcome=ResponseOutcome.ADMITTED,
            hospital_name="Riverside General"), rt.clock.now(), rt.settings)
    await runner.drain_until_idle()
    with rt.sessions() as s:
        journey = s.scalars(select(Journey).where(Journey.resident_id == rid)).one()
        assert journey.stage == Stage.IN_HOSPITAL
        assert not s.scalars(select(Step).where(Step.journey_id == journey.id,
                                                Step.kind != DeteriorationStep.AE_REVIEW,
                                                Step.status == StepStatus.READY)).all()
    back = datetime.fromisoformat("2026-11-16T11:00:00+00:00")  # Monday
    _at(rt, back)
    with rt.sessions() as s, s.begin():
        residents.record_readmission(s, load_actor(s, world.users["staff.a"]), rid,
                                     ReadmissionIn(readmitted_on=back.date()), back, rt.settings)
    await runner.drain_until_idle()
    with rt.sessions() as s:
        journey = s.scalars(select(Journey).where(Journey.resident_id == rid)).one()
        assert journey.stage == Stage.ASSESSMENT
        fresh = s.scalars(select(Step).where(
            Step.journey_id == journey.id, Step.kind == AssessmentStep.HOLISTIC_ASSESSMENT,
            Step.status == StepStatus.READY)).one()
        assert fresh.due_at.date() == date(2026, 11, 25)  # 7 working days from Monday 16th
        assert fresh.opened_at == back

"""The journey's Prefect flows, driven end to end with an injected clock."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.assessments.kinds import AssessmentStep
from care.directory.access import load_actor
from care.journeys import service as journeys
from care.journeys.models import (
    Journey,
    JourneyEvent,
    Notification,
    OutboxMessage,
    Step,
    StepStatus,
)
from care.residents import service as residents
from care.residents.kinds import Stage
from care.residents.models import Resident
from care.residents.schemas import AdmissionIn
from flows.deadlines import deadline_sweep
from flows.runner import JourneyRunner
from tasks.runtime import Runtime
from tests.factories import ASSESSMENT, World, admission


def _admit(rt: Runtime, world: World, on: date) -> Journey:
    with rt.sessions() as s, s.begin():
        actor = load_actor(s, world.users["staff.a"])
        _, journey = residents.admit(s, actor, AdmissionIn(**admission(world.home_a.id, on)),
                                     rt.clock.now(), rt.settings)
        return journey


def _steps(s: Session, journey_id: object) -> dict[str, Step]:
    return {st.kind: st for st in s.scalars(select(Step).where(Step.journey_id == journey_id))}


async def test_runner_runs_the_advance_flow_for_each_signal(
    world: World, flow_runtime: Runtime
) -> None:
    rt = flow_runtime
    journey = _admit(rt, world, rt.clock.now().date())
    runner = JourneyRunner(rt)
    assert await runner.drain_until_idle() == 1
    with rt.sessions() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.processed_at is not None and message.flow_run_id is not None
        assert s.get(Journey, journey.id).last_flow_run_id == message.flow_run_id  # type: ignore[union-attr]
    assert await runner.drain_once() == 0
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        run = await client.read_flow_run(message.flow_run_id)
    # Prefect sees opaque ids only: no name, NHS number or date of birth.
    assert f"journey:{journey.id}" in run.tags
    assert run.parameters == {"journey_id": str(journey.id), "reason": "advance"}
    with rt.sessions() as s:
        resident = s.get(Resident, journey.resident_id)
        assert resident is not None
        for secret in (resident.family_name, resident.nhs_number, str(resident.date_of_birth)):
            assert secret not in run.name and secret not in str(run.parameters)


async def test_advancing_many_journeys_holds_no_thread_per_journey(
    world: World, flow_runtime: Runtime
) -> None:
    """The flow run carries the journey's tag; its task runs do not. Prefect keeps a
    concurrency-slot service thread per distinct set of task-run tags for the life of the
    process, so a journey tag on task runs leaked one thread per journey ever advanced."""
    import threading

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    def slot_threads() -> int:
        return sum(t.name == "ConcurrencySlotAcquisitionWithLeaseServiceThread"
                   for t in threading.enumerate())

    rt = flow_runtime
    runner = JourneyRunner(rt)
    _admit(rt, world, rt.clock.now().date())
    await runner.drain_until_idle()  # Prefect's own threads are up
    before = slot_threads()
    journeys = [_admit(rt, world, rt.clock.now().date()) for _ in range(6)]
    assert await runner.drain_until_idle() == 6
    assert slot_threads() - before < 2
    with rt.sessions() as s:
        run_ids = [m.flow_run_id for m in s.scalars(select(OutboxMessage))
                   if m.journey_id in {j.id for j in journeys}]
    async with get_client() as client:
        task_runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
        flow_runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
    assert len(task_runs) == 6 and all(not t.tags for t in task_runs)
    assert {next(t for t in r.tags if t.startswith("journey:")) for r in flow_runs} == {
        f"journey:{j.id}" for j in journeys}


async def test_crash_after_completion_is_healed_by_rerun_and_by_sweep(
    world: World, flow_runtime: Runtime, monkeypatch: object
) -> None:
    import pytest

    rt = flow_runtime
    runner = JourneyRunner(rt)
    healed_by: list[str] = []
    for route in ("rerun", "sweep"):
        journey = _admit(rt, world, rt.clock.now().date())
        await runner.drain_until_idle()
        mp = pytest.MonkeyPatch()

        def crash(*_: object, **__: object) -> None:
            raise RuntimeError("process died before the journey advanced")

        mp.setattr(journeys, "fast_path_advance", crash)
        with rt.sessions() as s, s.begin():
            step = _steps(s, journey.id)[AssessmentStep.HOLISTIC_ASSESSMENT]
            journeys.complete_step(s, load_actor(s, world.users["nurse.a"]), step.id, ASSESSMENT,
                                   rt.clock.now(), rt.settings)
            # The completion commits, but its advance signal is lost with the "crash" too.
            s.execute(OutboxMessage.__table__.delete().where(
                OutboxMessage.journey_id == journey.id))
        mp.undo()
        with rt.sessions() as s:
            assert AssessmentStep.PCSP not in _steps(s, journey.id)
            stalled = journeys.find_stalled(s, rt.clock.now(), rt.settings)
            assert [j.journey.id for j in stalled] == [journey.id]
            assert "never opened" in stalled[0].reasons[0]
        if route == "rerun":
            for _ in range(2):  # re-running twice must duplicate nothing
                with rt.sessions() as s, s.begin():
                    journeys.request_rerun(s, load_actor(s, world.users["admin"]), journey.id,
                                           rt.clock.now())
                await runner.drain_until_idle()
        else:
            result = await deadline_sweep()
            assert result["requeued"] == 1
            await runner.drain_until_idle()
        with rt.sessions() as s:
            steps = _steps(s, journey.id)
            assert steps[AssessmentStep.PCSP].status == StepStatus.READY
            assert s.scalar(select(func.count()).select_from(Step).where(
                Step.journey_id == journey.id)) == 2
            assert s.get(Journey, journey.id).stage == Stage.CARE_PLANNING  # type: ignore[union-attr]
            assert journeys.find_stalled(s, rt.clock.now(), rt.settings) == []
            opened = s.scalar(select(func.count()).select_from(JourneyEvent).where(
                JourneyEvent.journey_id == journey.id, JourneyEvent.kind == "step.opened"))
            assert opened == 2
        healed_by.append(route)
    assert healed_by == ["rerun", "sweep"]


async def test_failing_advance_is_retried_then_listed_as_stalled(
    world: World, flow_runtime: Runtime
) -> None:
    import pytest

    rt = flow_runtime
    rt.settings.outbox_max_attempts = 2
    journey = _admit(rt, world, rt.clock.now().date())
    mp = pytest.MonkeyPatch()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database said no")

    mp.setattr(journeys, "advance_journey", broken)
    runner = JourneyRunner(rt)
    try:
        assert await runner.drain_once() == 1
        with rt.sessions() as s:
            message = s.scalars(select(OutboxMessage)).one()
            assert message.last_error and message.failed_at is None
        rt.clock.advance(minutes=5)  # past the back-off
        assert await runner.drain_once() == 1
    finally:
        mp.undo()
    with rt.sessions() as s:
        stalled = journeys.find_stalled(s, rt.clock.now(), rt.settings)
        assert [j.journey.id for j in stalled] == [journey.id]
        assert "stopped retrying" in stalled[0].reasons[0]
    with rt.sessions() as s, s.begin():
        journeys.request_rerun(s, load_actor(s, world.users["admin"]), journey.id, rt.clock.now())
    await runner.drain_until_idle()
    with rt.sessions() as s:
        assert journeys.find_stalled(s, rt.clock.now(), rt.settings) == []


async def test_deadline_sweep_flow_escalates_once(world: World, flow_runtime: Runtime) -> None:
    rt = flow_runtime
    _admit(rt, world, rt.clock.now().date())
    rt.clock.advance(days=10)  # Thursday 12 Nov: 8 working days after Monday 2 Nov
    first = await deadline_sweep()
    second = await deadline_sweep()
    assert first["breached"] == 1 and second["breached"] == 0
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 2


async def test_a_dead_runners_lease_is_taken_over_when_it_expires(
    world: World, flow_runtime: Runtime
) -> None:
    from care.journeys import outbox

    rt = flow_runtime
    _admit(rt, world, rt.clock.now().date())
    with rt.sessions() as s, s.begin():  # runner A leases the message, then dies
        assert len(outbox.lease_batch(s, rt.clock.now(), lease_seconds=60, limit=10)) == 1
    runner_b = JourneyRunner(rt)
    assert await runner_b.drain_once() == 0  # still leased by A
    rt.clock.advance(seconds=61)
    assert await runner_b.drain_once() == 1
    with rt.sessions() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.processed_at is not None and message.attempts == 2


async def test_runner_keeps_going_when_prefect_is_unreachable(
    world: World, flow_runtime: Runtime
) -> None:
    import pytest

    import flows.runner

    rt = flow_runtime
    _admit(rt, world, rt.clock.now().date())
    _admit(rt, world, rt.clock.now().date())

    async def unreachable(*_: object, **__: object) -> None:
        raise ConnectionError("Prefect API unreachable")

    mp = pytest.MonkeyPatch()
    mp.setattr(flows.runner, "advance_journey", unreachable)
    try:
        assert await JourneyRunner(rt).drain_once() == 2  # both tried, neither lost
    finally:
        mp.undo()
    with rt.sessions() as s:
        messages = s.scalars(select(OutboxMessage)).all()
        assert all(m.processed_at is None and m.last_error == "ConnectionError: runner error"
                   for m in messages)
    rt.clock.advance(minutes=5)
    assert await JourneyRunner(rt).drain_until_idle() == 2


async def test_sweep_forgets_expired_idempotency_results_and_old_sign_in_failures(
    world: World, flow_runtime: Runtime
) -> None:
    from datetime import timedelta

    from care.directory.models import LoginAttempt
    from care.journeys.models import IdempotencyRecord

    rt = flow_runtime
    now = rt.clock.now()
    with rt.sessions() as s, s.begin():
        for age in (timedelta(days=2), timedelta(hours=1)):  # kept a day for retries
            s.add(IdempotencyRecord(user_id=world.users["nurse.a"].id, key=f"k{age}",
                                    request_hash="h", status_code=200, response={},
                                    created_at=now - age))
        for age in (timedelta(hours=1), timedelta(minutes=1)):  # count for 15 minutes
            s.add(LoginAttempt(username="someone", at=now - age))
    result = await deadline_sweep()
    assert result["idempotency_results_forgotten"] == 1
    assert result["login_attempts_forgotten"] == 1
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1

"""The step engine on its own terms: the registry of declared step types, the pathway applied
when a trigger opens a step, and domain events handled in the publisher's transaction."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments import steps as assessment_steps
from care.clock import FrozenClock
from care.deterioration import service as deterioration
from care.deterioration.models import Deterioration, DeteriorationStatus
from care.deterioration.schemas import ObservationsIn
from care.directory.access import CLINICIANS, load_actor
from care.journeys import events, registry
from care.journeys import pathway as pathways
from care.journeys.ledger import NewStep, open_step
from care.journeys.models import Journey, Step
from care.residents import service as residents
from care.residents.events import ResidentLeftHome
from care.residents.schemas import AdmissionIn, DischargeIn
from care.rounds.kinds import ROUND_DECIDED, RoundStep
from care.settings import Settings
from tests.factories import World, admission
from tests.test_deterioration_service import HIGH


def _journey(sessions: sessionmaker[Session], world: World, clock: FrozenClock,
             settings: Settings) -> Journey:
    with sessions() as s, s.begin():
        _, journey = residents.admit(s, load_actor(s, world.users["staff.a"]), AdmissionIn(
            **admission(world.home_a.id, date(2026, 11, 2))), clock.now(), settings)
        return journey


def _new(journey: Journey, kind: str, trigger: str | None, clock: FrozenClock) -> NewStep:
    return NewStep(dedupe_key=f"test:{uuid.uuid4()}", kind=kind, title="T",
                   home_id=journey.home_id, due_at=clock.now() + timedelta(days=1),
                   deadline_rule="test/v1", deadline_base=clock.now(), journey_id=journey.id,
                   resident_id=journey.resident_id, trigger=trigger)


def test_a_kind_is_declared_once_and_only_declared_kinds_open(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
) -> None:
    declared = assessment_steps.STEP_TYPES[0]
    registry.register(declared)  # the same declaration again: nothing changes
    assert registry.step_type(declared.kind) is declared
    clash = dataclasses.replace(declared, domain="elsewhere", title="Another assessment")
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(clash)
    assert registry.step_type(declared.kind) is declared
    journey = _journey(sessions, world, clock, settings)
    with sessions() as s, s.begin(), pytest.raises(registry.UnknownStepKind):
        open_step(s, _new(journey, "made_up", None, clock), clock.now())


def test_a_trigger_opens_only_the_steps_the_journeys_pathway_declares_for_it(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
) -> None:
    journey = _journey(sessions, world, clock, settings)
    with sessions() as s, s.begin():
        # The round's decision may open a clinical review (declared in ehch v1)...
        assert open_step(s, _new(journey, RoundStep.CLINICAL_REVIEW, ROUND_DECIDED, clock),
                         clock.now()) is not None
        # ...but not a follow-up: v1 opens follow-ups on a completed review, not a decision.
        assert open_step(s, _new(journey, RoundStep.FOLLOW_UP, ROUND_DECIDED, clock),
                         clock.now()) is None
    v1 = pathways.get("ehch", 1)
    quieter = dataclasses.replace(v1, version=3, reactions=tuple(
        r for r in v1.reactions if r.on != ROUND_DECIDED))
    pathways.install(quieter)
    try:
        with sessions() as s, s.begin():
            s.get(Journey, journey.id).pathway_version = 3  # type: ignore[union-attr]
        with sessions() as s, s.begin():
            assert open_step(s, _new(journey, RoundStep.CLINICAL_REVIEW, ROUND_DECIDED, clock),
                             clock.now()) is None
    finally:
        pathways.uninstall("ehch", 3)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == RoundStep.CLINICAL_REVIEW)) == 1


def test_every_step_type_names_its_domain_roles_and_deadline() -> None:
    for declared in registry.step_types():
        assert declared.domain and declared.deadline and declared.performer_roles
        assert declared.on_complete is not None, declared.kind
        assert 1 <= declared.priority <= 3
    # Declared in the domain's own folder, registered by the composition module.
    assert {t.domain for t in registry.step_types()} >= {"assessments", "rounds",
                                                         "deterioration"}
    assert registry.step_type(RoundStep.CLINICAL_REVIEW).performer_roles == CLINICIANS


def test_a_departure_closes_the_open_escalation_in_the_same_transaction(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
) -> None:
    journey = _journey(sessions, world, clock, settings)
    with sessions() as s, s.begin():
        recorded = deterioration.record_observations(
            s, load_actor(s, world.users["staff.a"]), journey.resident_id,
            ObservationsIn(**HIGH), clock.now())
        assert recorded.escalated
    seen: list[ResidentLeftHome] = []

    def spy(session: Session, event: ResidentLeftHome) -> None:
        seen.append(event)

    events.subscribe(ResidentLeftHome, spy)
    events.subscribe(ResidentLeftHome, spy)  # subscribing twice is a no-op
    try:
        # The discharge fails after the event was handled: everything rolls back together.
        with sessions() as s, pytest.raises(RuntimeError), s.begin():
            residents.record_discharge(s, load_actor(s, world.users["staff.a"]),
                                       journey.resident_id, DischargeIn(
                                           discharged_on=date(2026, 11, 2)), clock.now())
            raise RuntimeError("the request failed after the discharge")
        with sessions() as s:
            assert s.scalars(select(Deterioration)).one().status == DeteriorationStatus.OPEN
        with sessions() as s, s.begin():
            residents.record_discharge(s, load_actor(s, world.users["staff.a"]),
                                       journey.resident_id, DischargeIn(
                                           discharged_on=date(2026, 11, 2)), clock.now())
        with sessions() as s:
            assert s.scalars(select(Deterioration)).one().status == DeteriorationStatus.CLOSED
    finally:
        events._HANDLERS[ResidentLeftHome].remove(spy)
    assert [e.reason for e in seen] == ["resident discharged from the home"] * 2
    assert not seen[0].to_hospital

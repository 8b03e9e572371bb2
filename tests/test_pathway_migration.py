"""Pathway versions in flight: a version that inserts a step between the assessment and the
PCSP, applied to half the journeys by an explicit migration, with a dry run first."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.errors import Forbidden, InvalidInput, NotFound
from care.journeys import migration
from care.journeys import pathway as pathways
from care.journeys import service as journeys
from care.journeys.models import Journey, JourneyEvent, PathwayMigration, Step, StepStatus
from care.residents import service as residents
from care.residents.kinds import Stage
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from tests.factories import ASSESSMENT, PCSP, World, admission
from tests.pathway_trial import RECONCILE, trial_pathway

ASSESS, PLAN = AssessmentStep.HOLISTIC_ASSESSMENT, AssessmentStep.PCSP


def _admit(s: Session, world: World, clock: FrozenClock, settings: Settings,
           home: str = "a") -> uuid.UUID:
    staff = load_actor(s, world.users["staff.a" if home == "a" else "nurse.b"])
    home_id = world.home_a.id if home == "a" else world.home_b.id
    _, journey = residents.admit(s, staff, AdmissionIn(**admission(home_id, date(2026, 11, 2))),
                                 clock.now(), settings)
    return journey.id


def _complete(s: Session, world: World, journey_id: uuid.UUID, kind: str, outcome: dict,
              clock: FrozenClock, settings: Settings, who: str = "nurse.a") -> None:
    step = s.scalars(select(Step).where(Step.journey_id == journey_id, Step.kind == kind,
                                        Step.status == StepStatus.READY)).one()
    journeys.complete_step(s, load_actor(s, world.users[who]), step.id, outcome, clock.now(),
                           settings)


def _kinds(s: Session, journey_id: uuid.UUID) -> dict[str, StepStatus]:
    return {st.kind: st.status for st in s.scalars(select(Step).where(
        Step.journey_id == journey_id))}


@pytest.fixture
def six_journeys(world: World, sessions: sessionmaker[Session], clock: FrozenClock,
                 settings: Settings) -> dict[str, uuid.UUID]:
    """Two journeys at each point: assessing, planning (assessment done), under MDT care."""
    ids: dict[str, uuid.UUID] = {}
    with sessions() as s, s.begin():
        for pair in ("1", "2"):
            ids["assessing" + pair] = _admit(s, world, clock, settings)
            ids["planning" + pair] = _admit(s, world, clock, settings)
            _complete(s, world, ids["planning" + pair], ASSESS, ASSESSMENT, clock, settings)
            ids["planned" + pair] = _admit(s, world, clock, settings)
            _complete(s, world, ids["planned" + pair], ASSESS, ASSESSMENT, clock, settings)
            _complete(s, world, ids["planned" + pair], PLAN, PCSP, clock, settings, "gp.a")
    return ids


def test_a_version_inserting_a_step_migrates_half_the_journeys_with_a_dry_run_first(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    six_journeys: dict[str, uuid.UUID],
) -> None:
    ids = six_journeys
    half = [ids["assessing1"], ids["planning1"], ids["planned1"]]
    scope = migration.Scope(journey_ids=half)
    with trial_pathway():
        with sessions() as s:
            lead = load_actor(s, world.users["lead"])
            plan = {c.journey_id: c for c in migration.dry_run(s, lead, "ehch", 2, scope)}
        assert set(plan) == set(half)
        # Still assessing: nothing changes now; the new step opens after the assessment.
        assert (plan[ids["assessing1"]].opens, plan[ids["assessing1"]].skips) == ((), ())
        # Assessment done, PCSP open: the inserted step opens; the PCSP is left alone.
        assert plan[ids["planning1"]].opens == (RECONCILE,)
        assert plan[ids["planning1"]].closes == ()
        assert plan[ids["planning1"]].stage_to == Stage.ASSESSMENT
        # Past the PCSP already: the inserted step is recorded as skipped, not opened late.
        assert plan[ids["planned1"]].skips == (RECONCILE,)
        assert plan[ids["planned1"]].opens == ()
        assert plan[ids["planned1"]].stage_to == Stage.UNDER_MDT_CARE
        with sessions() as s:  # a dry run writes nothing
            assert s.scalar(select(func.count()).select_from(Step).where(
                Step.kind == RECONCILE)) == 0
            assert {j.pathway_version for j in s.scalars(select(Journey))} == {1}

        with sessions() as s, s.begin():
            record, moving = migration.start(s, load_actor(s, world.users["lead"]), "ehch", 2,
                                             scope, "Pilot: reconcile medicines first",
                                             clock.now())
        results = migration.run(sessions, world.users["lead"].id, record.id, moving,
                                clock.now(), settings)
        assert all(r.ok for r in results)
        with sessions() as s:
            assert [c.as_dict() for c in plan.values()] == [
                next(r.detail for r in results if r.journey_id == j) for j in plan]
            versions = {j.id: j.pathway_version for j in s.scalars(select(Journey))}
            assert {versions[j] for j in half} == {2}
            assert {v for j, v in versions.items() if j not in half} == {1}
            assert _kinds(s, ids["planning1"]) == {
                ASSESS: StepStatus.COMPLETED, PLAN: StepStatus.READY, RECONCILE: StepStatus.READY}
            assert _kinds(s, ids["planned1"])[RECONCILE] == StepStatus.SKIPPED
            assert RECONCILE not in _kinds(s, ids["planning2"])
            saved = s.get(PathwayMigration, record.id)
            assert saved is not None and saved.actor_id == world.users["lead"].id
            assert saved.reason == "Pilot: reconcile medicines first"
            assert saved.results["moved"] == 3 and saved.results["failed"] == []
            event = s.scalars(select(JourneyEvent).where(
                JourneyEvent.journey_id == ids["planned1"],
                JourneyEvent.kind == "pathway.migrated")).one()
            assert "Pilot: reconcile medicines first" in event.summary
            assert s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "pathway.migrate")) == 1

        # Applying again is a no-op: nothing opens or is skipped twice.
        with sessions() as s, s.begin():
            again, moving = migration.start(s, load_actor(s, world.users["lead"]), "ehch", 2,
                                            scope, "Pilot: run again", clock.now())
        migration.run(sessions, world.users["lead"].id, again.id, moving, clock.now(), settings)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Step).where(
                Step.kind == RECONCILE)) == 2
            assert s.get(PathwayMigration, again.id).results["unchanged"] == 3  # type: ignore[union-attr]

        # The migrated journey now follows v2; the other half still follows v1.
        with sessions() as s, s.begin():
            _complete(s, world, ids["assessing1"], ASSESS, ASSESSMENT, clock, settings)
            _complete(s, world, ids["assessing2"], ASSESS, ASSESSMENT, clock, settings)
        with sessions() as s, s.begin():
            assert _kinds(s, ids["assessing1"]) == {ASSESS: StepStatus.COMPLETED,
                                                     RECONCILE: StepStatus.READY}
            assert _kinds(s, ids["assessing2"]) == {ASSESS: StepStatus.COMPLETED,
                                                     PLAN: StepStatus.READY}
            _complete(s, world, ids["assessing1"], RECONCILE, {"summary": "Two stopped"},
                      clock, settings)
        with sessions() as s:
            assert _kinds(s, ids["assessing1"])[PLAN] == StepStatus.READY
            assert s.get(Journey, ids["assessing1"]).stage == Stage.CARE_PLANNING  # type: ignore[union-attr]


def test_a_migration_can_be_limited_to_a_home_and_only_by_the_lead_or_an_admin(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        in_a = _admit(s, world, clock, settings, "a")
        in_b = _admit(s, world, clock, settings, "b")
    with trial_pathway(), sessions() as s:
        admin = load_actor(s, world.users["admin"])
        changes = migration.dry_run(s, admin, "ehch", 2, migration.Scope(home_id=world.home_b.id))
        assert [c.journey_id for c in changes] == [in_b]
        for who in ("coord", "nurse.a", "staff.a"):
            with pytest.raises(Forbidden):
                migration.dry_run(s, load_actor(s, world.users[who]), "ehch", 2,
                                  migration.Scope())
        with pytest.raises(InvalidInput, match="no version 7"):
            migration.dry_run(s, admin, "ehch", 7, migration.Scope())
        with pytest.raises(InvalidInput, match="say why"):
            migration.start(s, admin, "ehch", 2, migration.Scope(), "  ", clock.now())
        # Journeys of a home the user does not serve cannot be named.
        nurse_b = load_actor(s, world.users["nurse.b"])
        lead_b = dataclasses.replace(load_actor(s, world.users["lead"]),
                                     home_ids=nurse_b.home_ids)
        with pytest.raises(InvalidInput, match="journey"):
            migration.dry_run(s, lead_b, "ehch", 2, migration.Scope(journey_ids=[in_a]))
        with pytest.raises(NotFound):
            migration.dry_run(s, lead_b, "ehch", 2, migration.Scope(home_id=world.home_a.id))


def test_a_journey_on_v2_with_its_inserted_step_never_opened_is_found_stalled(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with trial_pathway(current=True):
        with sessions() as s, s.begin():
            journey_id = _admit(s, world, clock, settings)
            assert s.get(Journey, journey_id).pathway_version == 2  # type: ignore[union-attr]
        # The fast path fails, so only the runner would open the inserted step.
        monkeypatch.setattr(journeys, "fast_path_advance",
                            lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
        with sessions() as s, s.begin():
            _complete(s, world, journey_id, ASSESS, ASSESSMENT, clock, settings)
        with sessions() as s:
            stalled = {j.journey.id: j.reasons for j in journeys.find_stalled(
                s, clock.now(), settings)}
        assert any("Medicines reconciliation never opened after person-centred holistic "
                   "assessment was completed" in r for r in stalled[journey_id])


def test_no_pathway_version_may_drop_a_safety_floor() -> None:
    v1 = pathways.get("ehch", 1)
    without_urgent = dataclasses.replace(v1, version=9, reactions=tuple(
        r for r in v1.reactions if r.on != "deterioration.escalated"))
    with pytest.raises(pathways.PathwayError, match="urgent_response"):
        pathways.install(without_urgent)
    with pytest.raises(pathways.PathwayError, match="made_up_step"):
        pathways.check(dataclasses.replace(v1, version=9, stages=(
            pathways.Stage("assessment", "Assessment", ("made_up_step",)), *v1.stages[1:])))
    assert pathways.current("ehch").version == 1

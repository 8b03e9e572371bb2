"""Deterioration end to end on a real database with an injected clock: observations scored and
routed by the resident's wishes, the urgent step and its acknowledgement ladder, repeat
observations, SBARD, the responder's decision and what each outcome sets going."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.deterioration import ladder, service
from care.deterioration.kinds import DETERIORATION, DeteriorationStep
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    News2Baseline,
    ObservationSet,
    ResponseOutcome,
)
from care.deterioration.news2 import SpO2Scale
from care.deterioration.routes import Responder, Urgency
from care.deterioration.schemas import (
    BaselineIn,
    DecisionIn,
    EscalationPolicyIn,
    ObservationsIn,
    SbardIn,
    Spo2ScaleIn,
)
from care.directory.access import load_actor
from care.directory.models import User
from care.errors import Conflict, Forbidden, InvalidInput
from care.journeys import escalation
from care.journeys import service as journeys
from care.journeys.models import Journey, Notification, Step, StepEscalation, StepStatus
from care.residents import service as residents
from care.residents.kinds import Stage
from care.residents.models import Resident, ResidentStatus
from care.residents.schemas import AdmissionIn, ReadmissionIn
from care.rounds.models import ResidentEvent, ResidentEventKind
from care.settings import Settings
from tests.factories import ASSESSMENT, PCSP, World, admission

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")  # a Tuesday afternoon
NORMAL = {"respiration_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 130,
          "pulse": 72, "consciousness": "alert", "temperature": 36.8}
# RR 22 (2) + SpO2 95 (1) + pulse 105 (1) + temperature 38.5 (1) = 5: medium risk.
MEDIUM = {**NORMAL, "respiration_rate": 22, "spo2": 95, "pulse": 105, "temperature": 38.5}
# RR 25 (3) + SpO2 93 (2) + systolic 105 (1) + pulse 115 (2) = 8: high risk.
HIGH = {**NORMAL, "respiration_rate": 25, "spo2": 93, "systolic_bp": 105, "pulse": 115}


def admit_planned(s: Session, world: World, settings: Settings, *,
                  hospital: str = "discuss_first", contact: str | None = "gp") -> uuid.UUID:
    """A resident admitted a month ago with an assessment and a PCSP holding their wishes."""
    staff = load_actor(s, world.users["staff.a"])
    resident, _ = residents.admit(
        s, staff, AdmissionIn(**admission(world.home_a.id, date(2026, 10, 5))),
        NOW - timedelta(days=30), settings)
    nurse = load_actor(s, world.users["nurse.a"])
    pcsp = {**PCSP, "escalation_wishes": {"hospital_admission": hospital,
                                          "preferred_contact": contact}}
    for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                          (AssessmentStep.PCSP, pcsp)):
        step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                            Step.kind == kind)).one()
        journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=28), settings)
    return resident.id


def observe(s: Session, world: World, resident_id: uuid.UUID, now: datetime,
            user: str = "staff.a", **values: Any) -> Any:
    actor = load_actor(s, world.users[user])
    return service.record_observations(s, actor, resident_id, ObservationsIn(**values), now)


def open_urgent(s: Session, resident_id: uuid.UUID) -> list[Step]:
    return list(s.scalars(select(Step).where(
        Step.resident_id == resident_id, Step.kind == DeteriorationStep.URGENT_RESPONSE,
        Step.status.in_([StepStatus.READY, StepStatus.CLAIMED])).order_by(Step.opened_at)))


def test_concern_with_news2_zero_still_escalates_and_is_seen_at_once(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
    with sessions() as s, s.begin():
        recorded = observe(s, world, rid, NOW, **NORMAL, soft_signs=["eating_drinking_less",
                                                                     "not_themselves"],
                           carer_concerned=True)
        assert recorded.news2.total == 0 and recorded.news2.complete
        assert recorded.route.urgency == Urgency.SAME_DAY
        assert recorded.escalated and recorded.deterioration is not None
        assert not recorded.baseline_set  # never a baseline from a set taken while unwell
    with sessions() as s:
        gp = load_actor(s, world.users["gp.a"])
        page = journeys.list_steps(s, gp, journeys.StepFilters(status="open"), NOW)
        urgent = [step for step, _ in page.items if step.kind == DeteriorationStep.URGENT_RESPONSE]
        assert len(urgent) == 1
        step = urgent[0]
        # Wishes "contact the GP first": the GP, then the community matron.
        assert step.candidate_profession == "gp" and step.title == "Same-day review: GP"
        assert step.due_at == NOW + timedelta(hours=6)
        assert "Staff concerned" in (step.instructions or "")
        repeat = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS)).one()
        assert repeat.candidate_profession == "care_home_staff"
        assert repeat.due_at == NOW + timedelta(hours=4)
        event = s.scalars(select(ResidentEvent).where(
            ResidentEvent.kind == ResidentEventKind.DETERIORATION)).one()
        assert event.resident_id == rid and event.on == NOW.date()
        told = s.scalars(select(Notification).where(
            Notification.user_id == world.users["gp.a"].id, Notification.kind == "urgent")).one()
        assert "respond by" in told.message and "NHS" not in told.message


def test_a_low_score_at_the_residents_baseline_is_monitored_not_escalated(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        usual = {**NORMAL, "spo2": 94, "pulse": 95}  # 1 + 1: her usual NEWS2 of 2
        assert observe(s, world, rid, NOW - timedelta(days=1), **usual).baseline_set
        same = observe(s, world, rid, NOW, **{**usual, "respiration_rate": 21})  # 4
        assert same.news2.total == 4 and same.route.urgency == Urgency.SAME_DAY
        assert "2 above their baseline of 2" in same.route.reasons[0]
    with sessions() as s, s.begin():
        rid2 = admit_planned(s, world, settings)
        observe(s, world, rid2, NOW - timedelta(days=1), **usual)
        calm = observe(s, world, rid2, NOW, **{**usual, "temperature": 38.2})  # 3
        assert calm.news2.total == 3 and calm.route.urgency == Urgency.ROUTINE
        assert calm.deterioration is None
        assert "nurse or senior carer in charge" in calm.route.reasons[0]


def test_news2_zero_without_concern_only_records(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        recorded = observe(s, world, rid, NOW, **NORMAL)
        assert recorded.route.urgency == Urgency.ROUTINE and recorded.deterioration is None
        assert recorded.baseline_set  # the first full set is the baseline
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Deterioration)) == 0
        assert not open_urgent(s, rid)
        assert s.scalars(select(News2Baseline)).one().total == 0


def test_score_of_7_follows_the_residents_wish_about_hospital(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        no_hospital = admit_planned(s, world, settings, hospital="no", contact="gp")
        palliative = admit_planned(s, world, settings, hospital="no",
                                   contact="palliative_care_team")
        wants_hospital = admit_planned(s, world, settings, hospital="yes", contact=None)
    with sessions() as s, s.begin():
        a = observe(s, world, no_hospital, NOW, **HIGH)
        b = observe(s, world, palliative, NOW, **HIGH)
        c = observe(s, world, wants_hospital, NOW, **HIGH)
    assert a.news2.total == 8 and a.route.urgency == Urgency.EMERGENCY
    assert a.route.ladder[0] == Responder.GP and not a.route.call_999
    assert any("999 if nobody acknowledges" in r for r in a.route.reasons)
    assert b.route.ladder[0] == Responder.PALLIATIVE_CARE and not b.route.call_999
    assert c.route.call_999 and c.route.ladder == (Responder.AMBULANCE,)
    with sessions() as s:
        [gp_step] = open_urgent(s, no_hospital)
        assert gp_step.candidate_profession == "gp"
        assert gp_step.due_at == NOW + timedelta(hours=1)
        [pall_step] = open_urgent(s, palliative)
        assert pall_step.candidate_profession == "palliative_care"
        [call] = open_urgent(s, wants_hospital)
        # The person who recorded it makes the 999 call: the step is already theirs.
        assert call.title.startswith("Call 999 now") and call.candidate_profession is None
        assert call.assignee_id == world.users["staff.a"].id and call.status == StepStatus.CLAIMED
        lead_told = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.users["lead"].id, Notification.kind == "urgent"))
        assert lead_told == 3  # every emergency reaches the clinical lead


def test_medical_emergency_is_999_whatever_the_score_or_wishes(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="no")
        recorded = observe(s, world, rid, NOW, medical_emergency=True)
    assert recorded.news2.risk is None  # nothing scored, and nothing waited for a score
    assert recorded.route.call_999


def test_unacknowledged_urgent_step_escalates_once_per_level(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        recorded = observe(s, world, rid, NOW, **MEDIUM)
        assert recorded.route.urgency == Urgency.URGENT
        det_id = recorded.deterioration.id
    ladder_seen = []
    # Urgent routes pass on after 20 minutes unacknowledged (shorter than same-day's 30).
    for minutes in (19, 21, 22, 42, 43, 63, 64, 200):
        with sessions() as s, s.begin():
            ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=minutes))
        with sessions() as s:
            det = s.get(Deterioration, det_id)
            assert det is not None
            ladder_seen.append(det.ladder[det.level])
    # UCR first (2-hour clock), then the GP, then the community matron; then nobody left.
    assert ladder_seen == ["urgent_community_response", "gp", "gp", "community_matron",
                           "community_matron", "community_matron", "community_matron",
                           "community_matron"]
    with sessions() as s:
        steps = s.scalars(select(Step).where(Step.about(DETERIORATION, det_id),
                                             Step.kind == DeteriorationStep.URGENT_RESPONSE)
                          .order_by(Step.opened_at)).all()
        assert [st.candidate_profession for st in steps] == [
            "urgent_community_response", "gp", "community_matron"]
        assert [st.status for st in steps] == [StepStatus.CANCELLED, StepStatus.CANCELLED,
                                               StepStatus.READY]
        # The 2-hour clock runs from the referral, whoever holds it now.
        assert {st.due_at for st in steps} == {NOW + timedelta(hours=2)}
        levels = s.scalars(select(StepEscalation.step_id).where(
            StepEscalation.level == "unacknowledged")).all()
        assert sorted(levels) == sorted(st.id for st in steps)  # once per level, no more
        exhausted = s.scalars(select(Notification).where(
            Notification.user_id == world.users["lead"].id,
            Notification.message.like("Nobody has answered%"))).all()
        assert len(exhausted) == 1
        # When the ladder runs out, staff are told plainly what to do now (hazard H-08).
        assert "Call NHS 111 now, or 999 if it is an emergency" in exhausted[0].message
        staff_told = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.users["staff.a"].id,
            Notification.message.like("Nobody has answered%Call NHS 111 now%")))
        assert staff_told == 1  # the home's staff


def test_acknowledgement_stops_the_ladder(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        det_id = observe(s, world, rid, NOW, **MEDIUM).deterioration.id
    with sessions() as s, s.begin():
        gp = load_actor(s, world.users["gp.a"])
        with pytest.raises(Forbidden):  # a GP cannot take the UCR team's step
            service.acknowledge(s, gp, det_id, NOW + timedelta(minutes=5))
    with sessions() as s, s.begin():
        ucr = load_actor(s, responders["ucr"])
        service.acknowledge(s, ucr, det_id, NOW + timedelta(minutes=5))
    with sessions() as s, s.begin():
        report = ladder.escalate_unacknowledged(s, NOW + timedelta(hours=3))
        assert not report.passed_on and not report.exhausted
    with sessions() as s, s.begin():
        ucr = load_actor(s, responders["ucr"])
        service.acknowledge(s, ucr, det_id, NOW + timedelta(minutes=6))  # twice: harmless
        step = service.decide(s, ucr, det_id, DecisionIn(
            decision="Chest infection; antibiotics started; continue obs 4-hourly.",
            outcome=ResponseOutcome.SEEN_IN_HOME), NOW + timedelta(minutes=80), settings)
        assert step.status == StepStatus.COMPLETED
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.status == DeteriorationStatus.CLOSED
        assert det.outcome == ResponseOutcome.SEEN_IN_HOME and det.decided_by_id == ucr.id
        assert det.closed_at is not None and det.respond_by is not None
        assert det.closed_at <= det.respond_by  # within the 2-hour clock
        assert not s.scalars(select(Step).where(Step.kind == DeteriorationStep.AE_REVIEW)).all()


def test_admission_pauses_the_journey_and_return_restarts_the_7_day_clocks(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="yes")
        det_id = observe(s, world, rid, NOW, **MEDIUM).deterioration.id
    with sessions() as s, s.begin():
        ucr = load_actor(s, responders["ucr"])
        service.acknowledge(s, ucr, det_id, NOW + timedelta(minutes=10))
        service.decide(s, ucr, det_id, DecisionIn(
            decision="Sepsis likely; admitted via ambulance.",
            outcome=ResponseOutcome.ADMITTED, hospital_name="St Synthetic's"),
            NOW + timedelta(minutes=50), settings)
    with sessions() as s:
        journey = s.scalars(select(Journey).where(Journey.resident_id == rid)).one()
        assert journey.stage == Stage.IN_HOSPITAL
        repeat = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS)).one()
        assert repeat.status == StepStatus.CANCELLED  # no observations while in hospital
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()
        assert review.candidate_profession == "community_matron" and review.is_open
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        with pytest.raises(Conflict):
            observe(s, world, rid, NOW + timedelta(hours=2))
    back = NOW + timedelta(days=4)  # Saturday 14 Nov
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        residents.record_readmission(s, staff, rid, ReadmissionIn(readmitted_on=back.date()),
                                     back, settings)
    with sessions() as s:
        steps = s.scalars(select(Step).where(
            Step.resident_id == rid, Step.kind == AssessmentStep.HOLISTIC_ASSESSMENT,
            Step.status == StepStatus.READY)).all()
        assert len(steps) == 1
        # 7 working days from Saturday 14 November: Tuesday 24 November, end of day.
        assert steps[0].due_at.date() == date(2026, 11, 24)
        assert s.get(Journey, journey.id).stage == Stage.ASSESSMENT  # type: ignore[union-attr]


def test_every_ae_attendance_is_queued_for_the_matron(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="yes")
        det_id = observe(s, world, rid, NOW, **HIGH).deterioration.id
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        service.decide(s, staff, det_id, DecisionIn(
            decision="Ambulance took her to A&E; home the same night.",
            outcome=ResponseOutcome.CONVEYED_TO_AE), NOW + timedelta(minutes=20), settings)
    with sessions() as s, s.begin():
        matron = load_actor(s, responders["matron"])
        assert [r.id for _, r in service.ae_attendances(s, matron)] == [rid]
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()
        journeys.complete_step(s, matron, review.id, {
            "summary": "Fast AF; treated in A&E.", "avoidable": False,
            "learning": "Home to call UCR first for palpitations."}, NOW + timedelta(days=2),
            settings)
    with sessions() as s:
        # Conveyed and sent home: still a resident, journey not paused.
        assert s.scalar(select(Resident.status).where(Resident.id == rid)) == \
            ResidentStatus.RESIDENT
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()
        assert review.status == StepStatus.COMPLETED


def test_worse_observations_take_the_more_urgent_route(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="yes")
        first = observe(s, world, rid, NOW, **NORMAL, carer_concerned=True)
        assert first.route.urgency == Urgency.SAME_DAY
    with sessions() as s, s.begin():
        worse = observe(s, world, rid, NOW + timedelta(minutes=40), **HIGH)
        assert worse.escalated and worse.deterioration.id == first.deterioration.id
        assert worse.deterioration.urgency == Urgency.EMERGENCY
    with sessions() as s:
        steps = s.scalars(select(Step).where(Step.kind == DeteriorationStep.URGENT_RESPONSE)
                          .order_by(Step.opened_at)).all()
        assert [st.status for st in steps] == [StepStatus.CANCELLED, StepStatus.CLAIMED]
        assert steps[0].cancelled_reason == "superseded: now emergency"
        assert steps[1].title.startswith("Call 999")
        # The second set answered the repeat-observations step the first one asked for.
        repeats = s.scalars(select(Step).where(Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS)
                            .order_by(Step.opened_at)).all()
        assert [r.status for r in repeats] == [StepStatus.COMPLETED, StepStatus.READY]
        assert repeats[1].due_at == NOW + timedelta(minutes=40 + 15)
        assert s.scalar(select(func.count()).select_from(Deterioration)) == 1


def test_repeat_observations_step_completed_with_a_set(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        observe(s, world, rid, NOW, **NORMAL, soft_signs=["more_sleepy"])
    with sessions() as s:
        repeat_id = s.scalars(select(Step.id).where(
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS)).one()
    with pytest.raises(InvalidInput) as refused, sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        journeys.complete_step(s, staff, repeat_id, {**NORMAL, "spo2": 101},
                               NOW + timedelta(hours=4), settings)
    assert refused.value.errors[0]["field"] == "outcome.spo2"
    assert "above 100" in refused.value.errors[0]["reason"]
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        journeys.complete_step(s, staff, repeat_id, NORMAL, NOW + timedelta(hours=4), settings)
    with sessions() as s:
        done = s.get(Step, repeat_id)
        assert done is not None and done.status == StepStatus.COMPLETED
        sets = s.scalars(select(ObservationSet).order_by(ObservationSet.taken_at)).all()
        assert len(sets) == 2 and sets[1].step_id == repeat_id
        assert done.outcome and done.outcome["observation_set_id"] == str(sets[1].id)
        # Still open, so the next one is asked for.
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS,
            Step.status == StepStatus.READY)) == 1


def test_implausible_values_are_refused_field_by_field_and_nothing_is_stored(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
    with pytest.raises(ValidationError) as refused:
        ObservationsIn(spo2=104, pulse=0, temperature=98.6)
    fields = {str(e["loc"][0]): e["msg"] for e in refused.value.errors()}
    assert set(fields) == {"spo2", "pulse", "temperature"}
    assert "call 999" in fields["pulse"] and "°F" in fields["temperature"]
    with sessions() as s, s.begin():
        with pytest.raises(InvalidInput) as empty:
            observe(s, world, rid, NOW)
        assert empty.value.errors[0]["field"] == "observations"
        with pytest.raises(InvalidInput) as future:
            observe(s, world, rid, NOW, pulse=80, taken_at=NOW + timedelta(hours=1))
        assert future.value.errors[0]["field"] == "taken_at"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ObservationSet)) == 0


def test_partial_set_is_scored_as_partial_and_never_as_normal(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        recorded = observe(s, world, rid, NOW, pulse=118, temperature=38.5)
    assert recorded.news2.total == 3 and not recorded.news2.complete
    # No baseline yet, so a low score of 3 (even a partial one) is seen the same day.
    assert recorded.route.urgency == Urgency.SAME_DAY
    assert "partial set" in recorded.route.reasons[0]
    with sessions() as s:
        row = s.scalars(select(ObservationSet)).one()
        assert row.respiration_rate is None and row.news2_complete is False
        assert "respiration_rate" in row.missing and "spo2" in row.missing
        assert s.scalar(select(func.count()).select_from(News2Baseline)) == 0


def test_spo2_scale_2_only_by_a_clinician_and_then_used(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        with pytest.raises(Forbidden):
            service.set_spo2_scale(s, staff, rid, Spo2ScaleIn(scale=SpO2Scale.SCALE_2,
                                                              reason="COPD"), NOW)
    with sessions() as s, s.begin():
        gp = load_actor(s, world.users["gp.a"])
        service.set_spo2_scale(s, gp, rid, Spo2ScaleIn(
            scale=SpO2Scale.SCALE_2, reason="COPD, type 2 respiratory failure; target 88-92%"),
            NOW)
    with sessions() as s, s.begin():
        # SpO2 89% on air scores 0 on scale 2 (it would score 3 on scale 1).
        recorded = observe(s, world, rid, NOW, **{**NORMAL, "spo2": 89})
        assert recorded.news2.total == 0 and recorded.news2.scale == SpO2Scale.SCALE_2
    with sessions() as s:
        chart = service.chart(s, load_actor(s, world.users["staff.a"]), rid)
        assert chart.scale == SpO2Scale.SCALE_2
        assert chart.scale_decision is not None
        assert chart.scale_decision.decided_by_id == world.users["gp.a"].id


def test_baseline_is_reset_only_by_a_clinician_from_a_full_set(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        first = observe(s, world, rid, NOW, **NORMAL).observation.id
        partial = observe(s, world, rid, NOW + timedelta(hours=1), pulse=95).observation.id
        usual = observe(s, world, rid, NOW + timedelta(hours=2),
                        **{**NORMAL, "spo2": 94}).observation.id
    with sessions() as s, s.begin():
        gp = load_actor(s, world.users["gp.a"])
        with pytest.raises(InvalidInput):
            service.set_baseline(s, gp, rid, BaselineIn(observation_id=partial,
                                                        reason="usual"), NOW)
        with pytest.raises(Forbidden):
            service.set_baseline(s, load_actor(s, world.users["staff.a"]), rid,
                                 BaselineIn(observation_id=usual, reason="usual"), NOW)
        service.set_baseline(s, gp, rid, BaselineIn(
            observation_id=usual, reason="Her usual SpO2 is 94%"), NOW + timedelta(hours=3))
    with sessions() as s:
        chart = service.chart(s, load_actor(s, world.users["gp.a"]), rid)
        assert chart.baseline is not None and chart.baseline.total == 1
        assert [o.id for o in chart.observations] == [first, partial, usual]


def test_sbard_is_drafted_from_the_record_and_completed_by_staff(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="no", contact="gp")
        observe(s, world, rid, NOW - timedelta(hours=5), **NORMAL)  # baseline 0
        det_id = observe(s, world, rid, NOW, **HIGH, soft_signs=["breathing_differently"],
                         soft_signs_note="Wheezy since lunch").deterioration.id
    with sessions() as s, s.begin():
        det = s.get(Deterioration, det_id)
        assert det is not None
        sbard = det.sbard
        assert "breathing differently" in sbard["situation"]
        assert "Wheezy since lunch" in sbard["situation"]
        assert "does NOT want hospital admission" in sbard["background"]
        assert "Sit in the garden daily" in sbard["background"]
        assert "NEWS2 8 (high risk)" in sbard["assessment"]
        assert "8 above their baseline of 0" in sbard["assessment"]
        assert "GP to respond within 60 minutes" in sbard["suggested_recommendation"]
        assert sbard["recommendation"] is None
        service.complete_sbard(s, load_actor(s, world.users["staff.a"]), det_id,
                               SbardIn(recommendation="Please visit within the hour."), NOW)
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.sbard["recommendation"] == "Please visit within the hour."
        assert det.sbard_completed_by_id == world.users["staff.a"].id


def test_a_pcns_own_ladder_applies_to_new_escalations(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        lead = load_actor(s, world.users["lead"])
        with pytest.raises(InvalidInput) as bad:
            service.set_escalation_policy(s, lead, EscalationPolicyIn(
                medium_from=4, high_from=4, reason="test"), NOW)
        assert bad.value.errors[0]["field"] == "medium_from"
    with sessions() as s, s.begin():
        with pytest.raises(Forbidden):
            service.set_escalation_policy(s, load_actor(s, world.users["gp.a"]),
                                          EscalationPolicyIn(acknowledge_urgent_minutes=10,
                                                             reason="test"), NOW)
        service.set_escalation_policy(s, load_actor(s, world.users["lead"]), EscalationPolicyIn(
            acknowledge_urgent_minutes=10, urgent_response_minutes=90,
            reason="Agreed at the PCN board"), NOW)
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        det = observe(s, world, rid, NOW, **MEDIUM).deterioration
        assert det.respond_by == NOW + timedelta(minutes=90)
    with sessions() as s, s.begin():
        report = ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=11))
        assert report.passed_on == [det.id]


def test_overdue_urgent_step_reaches_the_clinical_lead_once(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        observe(s, world, rid, NOW, **MEDIUM)
        ucr = load_actor(s, responders["ucr"])
        [step] = open_urgent(s, rid)
        journeys.claim_step(s, ucr, step.id, NOW + timedelta(minutes=5))
    for _ in range(2):
        with sessions() as s, s.begin():
            escalation.sweep_deadlines(s, NOW + timedelta(hours=2, minutes=1))
    with sessions() as s:
        told = s.scalars(select(Notification).where(
            Notification.user_id == world.users["lead"].id,
            Notification.message.like("Overdue%Urgent response%"))).all()
        assert len(told) == 1
        assert "16:00" in told[0].message  # an urgent clock is read in hours, not days


def test_leaving_the_home_closes_the_escalation(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    from care.residents.schemas import DeathIn

    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        det_id = observe(s, world, rid, NOW, **MEDIUM).deterioration.id
    with sessions() as s, s.begin():
        residents.record_death(s, load_actor(s, world.users["staff.a"]), rid,
                               DeathIn(died_on=NOW.date()), NOW + timedelta(hours=1))
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.status == DeteriorationStatus.CLOSED
        assert not open_urgent(s, rid)


def test_an_escalation_puts_the_resident_on_the_next_rounds_agenda(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    from care.rounds import service as rounds

    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        observe(s, world, rid, NOW - timedelta(days=2), **MEDIUM)
    with sessions() as s:
        facts = rounds.resident_facts(s, world.home_a.id, NOW.date())
        assert facts[rid].deterioration_events == 1


def test_two_sets_recorded_at_once_open_one_escalation(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)

    def record(_: int) -> None:
        with sessions() as s, s.begin():
            observe(s, world, rid, NOW, **MEDIUM)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(record, range(4)))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ObservationSet)) == 4
        assert s.scalar(select(func.count()).select_from(Deterioration)) == 1
        assert len(open_urgent(s, rid)) == 1


def test_a_hospital_stay_recorded_directly_is_the_escalations_outcome(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    from care.residents.schemas import HospitalStayIn

    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="yes")
        det_id = observe(s, world, rid, NOW, **HIGH).deterioration.id
    with sessions() as s, s.begin():
        residents.record_hospital_stay(s, load_actor(s, world.users["staff.a"]), rid,
                                       HospitalStayIn(admitted_on=NOW.date()),
                                       NOW + timedelta(hours=1))
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.status == DeteriorationStatus.CLOSED
        assert det.outcome == ResponseOutcome.ADMITTED
        review = s.scalars(select(Step).where(
            Step.kind == DeteriorationStep.AE_REVIEW)).one()
        assert review.is_open and review.due_at.date() == date(2026, 11, 17)
        assert not open_urgent(s, rid)


def test_a_set_after_the_decision_answers_the_repeat_step_the_escalation_left(
    world: World, sessions: sessionmaker[Session], settings: Settings,
    responders: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
    with sessions() as s, s.begin():
        recorded = observe(s, world, rid, NOW, **MEDIUM)
        det_id, repeat_id = recorded.deterioration.id, recorded.repeat_step_id
    assert repeat_id is not None
    with sessions() as s, s.begin():
        ucr = load_actor(s, responders["ucr"])
        service.decide(s, ucr, det_id, DecisionIn(decision="Seen; antibiotics started",
                                                  outcome=ResponseOutcome.SEEN_IN_HOME),
                       NOW + timedelta(minutes=30), settings)
    with sessions() as s, s.begin():
        later = observe(s, world, rid, NOW + timedelta(hours=2), **NORMAL)
        assert later.deterioration is None
    with sessions() as s:
        step = s.get(Step, repeat_id)
        assert step is not None and step.status == StepStatus.COMPLETED
        assert step.outcome == {"observation_set_id": str(later.observation.id)}


def test_a_redrafted_sbard_does_not_count_its_own_escalation_as_another(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="yes")
        observe(s, world, rid, NOW, **NORMAL, carer_concerned=True)
        worse = observe(s, world, rid, NOW + timedelta(minutes=30), **HIGH)
        assert worse.escalated
        assert "Other escalations" not in worse.deterioration.sbard["background"]


def test_a_responder_nobody_in_the_home_can_be_is_skipped_at_once(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    # No urgent community response team serves home A (no `responders` fixture here).
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings)
        det = observe(s, world, rid, NOW, **MEDIUM).deterioration
        assert det.ladder[:2] == ["urgent_community_response", "gp"]
        assert det.ladder[det.level] == "gp"
    with sessions() as s:
        [step] = open_urgent(s, rid)
        assert step.candidate_profession == "gp" and step.due_at == NOW + timedelta(hours=2)
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.users["gp.a"].id, Notification.kind == "urgent")) == 1
    with sessions() as s, s.begin():
        # Then the community matron, also absent: the GP's step stays, and the ladder ends
        # with the clinical lead told once.
        ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=31))
        ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=32))
    with sessions() as s:
        [still] = open_urgent(s, rid)
        assert still.id == step.id
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.users["lead"].id,
            Notification.message.like("Nobody has answered%"))) == 1


def test_when_the_ladder_reaches_999_the_homes_staff_are_told_to_call(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    # No hospital admission wanted, score 8: GP, then urgent community response (absent
    # here), then 999. The GP does not acknowledge.
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, hospital="no")
        det_id = observe(s, world, rid, NOW, **HIGH).deterioration.id
    with sessions() as s, s.begin():
        # An emergency passes on after 10 minutes unacknowledged, so 999 is reached well
        # within the 30 minutes the floor allows (hazard H-08).
        ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=9))
        assert s.get(Deterioration, det_id).level == 0  # type: ignore[union-attr]
        ladder.escalate_unacknowledged(s, NOW + timedelta(minutes=11))
    with sessions() as s:
        det = s.get(Deterioration, det_id)
        assert det is not None and det.ladder[det.level] == "ambulance_999"
        [call] = open_urgent(s, rid)
        assert call.title.startswith("Call 999 now") and call.assignee_id is None
        told = s.scalars(select(Notification.message).where(
            Notification.user_id == world.users["staff.a"].id,
            Notification.kind == "urgent")).all()
        assert any(m.startswith("Call 999 now") for m in told)

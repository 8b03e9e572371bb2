"""A home driven through several weeks of rounds with an injected clock, on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.errors import Forbidden, InvalidInput
from care.journeys import service as journeys
from care.journeys.models import Notification, Step, StepStatus
from care.residents import service as residents
from care.residents.models import DementiaStatus
from care.residents.schemas import AdmissionIn
from care.rounds import service as rounds
from care.rounds.kinds import RoundStep
from care.rounds.models import AgendaItem, HomeRound, ResidentEvent, ResidentEventKind, RoundStatus
from care.rounds.schemas import AddToAgendaIn, DecisionIn, MeetingIn, NominationIn
from care.settings import Settings
from care.types import Profession, Role
from tests.factories import ASSESSMENT, PCSP, World, admission, make_user


def admit(s: Session, world: World, now: datetime, settings: Settings, on: date,
          **extra: object) -> object:
    actor = load_actor(s, world.users["staff.a"])
    resident, _ = residents.admit(s, actor, AdmissionIn(**admission(world.home_a.id, on,
                                                                    **extra)), now, settings)
    return resident


def settle(s: Session, world: World, resident_id: object, now: datetime,
           settings: Settings) -> None:
    """Assessed, planned (review far off), seen at a round last week, SMR done recently."""
    nurse = load_actor(s, world.users["nurse.a"])
    for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                          (AssessmentStep.PCSP, PCSP)):
        step = s.scalars(select(Step).where(Step.resident_id == resident_id,
                                            Step.kind == kind)).one()
        journeys.complete_step(s, nurse, step.id, outcome, now, settings)
    for kind in (ResidentEventKind.ROUND_REVIEW, ResidentEventKind.SMR):
        s.add(ResidentEvent(resident_id=resident_id, kind=kind, on=now.date() - timedelta(days=7),
                            data={"medicines_count": 4}, created_at=now))


@pytest.fixture
def dietitian(world: World, sessions: sessionmaker[Session]) -> object:
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "dietitian.a", Role.MDT_MEMBER, Profession.DIETITIAN,
                         [world.home_a])


def test_rounds_open_on_the_homes_day_and_never_twice(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    # Home A's round is Tuesdays 10:00; preparation opens two days before.
    clock.set(datetime.fromisoformat("2026-11-05T09:00:00+00:00"))  # Thursday
    with sessions() as s, s.begin():
        assert rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id is None
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))  # Sunday, window open
    for _ in range(3):
        with sessions() as s, s.begin():
            result = rounds.prepare_round(s, world.home_a.id, clock.now(), settings)
    with sessions() as s:
        rnd = s.scalars(select(HomeRound)).one()
        assert rnd.id == result.round_id and rnd.week == "2026-W46"
        assert rnd.scheduled_at == datetime.fromisoformat("2026-11-10T10:00:00+00:00")
        assert rnd.status == RoundStatus.PREPARING
        prepare = s.scalars(select(Step).where(Step.kind == RoundStep.PREPARE_ROUND)).one()
        assert prepare.due_at == rnd.scheduled_at and prepare.resident_id is None
        assert prepare.home_id == world.home_a.id


def test_agenda_holds_exactly_whom_the_rules_and_nominations_select(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        new = admit(s, world, now, settings, date(2026, 11, 6))
        settled = admit(s, world, now, settings, date(2026, 8, 1))
        worried = admit(s, world, now, settings, date(2026, 8, 1))
        for resident in (settled, worried):
            settle(s, world, resident.id, now, settings)  # type: ignore[attr-defined]
    with sessions() as s, s.begin():
        rnd_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
    with sessions() as s, s.begin():
        rounds.nominate(s, load_actor(s, world.users["staff.a"]), NominationIn(
            resident_id=worried.id, reason="eating less this week", by_family=True,  # type: ignore[attr-defined]
            fall=True), now, settings)
    with sessions() as s:
        rnd = s.get(HomeRound, rnd_id)
        assert rnd is not None
        rows = {row.resident.id: row.item for row in rounds.agenda(s, rnd)}
        assert set(rows) == {new.id, worried.id}  # type: ignore[attr-defined]
        assert [r["reason"] for r in rows[new.id].reasons] == ["not_assessed", "smr_due"]  # type: ignore[attr-defined]
        texts = [r["text"] for r in rows[worried.id].reasons]  # type: ignore[attr-defined]
        assert "Family (through staff): eating less this week" in texts
        assert "1 fall in the last 14 days" in texts
        assert rows[worried.id].score > rows[new.id].score  # type: ignore[attr-defined]


def test_meeting_decisions_create_the_right_steps_and_the_round_is_held(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings,
    dietitian: object,
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        first = admit(s, world, now, settings, date(2026, 11, 6))
        second = admit(s, world, now, settings, date(2026, 8, 1))
        settle(s, world, second.id, now, settings)  # type: ignore[attr-defined]
        rnd_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
        assert rnd_id is not None
        lead = load_actor(s, world.users["lead"])
        rounds.add_to_agenda(s, lead, rnd_id, AddToAgendaIn(
            resident_id=second.id, reason="weight loss"), now)  # type: ignore[attr-defined]
    clock.set(datetime.fromisoformat("2026-11-10T09:00:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        lead = load_actor(s, world.users["lead"])
        rounds.record_attendance(s, lead, rnd_id, MeetingIn(attendee_ids=[
            world.users["lead"].id, world.users["staff.a"].id, world.users["gp.a"].id]), now)
        items = {i.resident_id: i for i in s.scalars(select(AgendaItem))}
        rounds.record_decision(s, lead, items[first.id].id, DecisionIn(  # type: ignore[attr-defined]
            response="clinical_input", clinician_id=world.users["gp.a"].id,
            by_date=date(2026, 11, 10), notes="see today"), now, settings)
        rounds.record_decision(s, lead, items[second.id].id, DecisionIn(  # type: ignore[attr-defined]
            response="referral", referral_to="dietitian", by_date=date(2026, 11, 17),
            plan_change="Fortified diet and weekly weights"), now, settings)
        rounds.close_round(s, lead, rnd_id, now)
    with sessions() as s:
        assert s.get(HomeRound, rnd_id).status == RoundStatus.HELD  # type: ignore[union-attr]
        review = s.scalars(select(Step).where(Step.kind == RoundStep.CLINICAL_REVIEW)).one()
        assert review.assignee_id == world.users["gp.a"].id
        assert review.status == StepStatus.CLAIMED and review.resident_id == first.id  # type: ignore[attr-defined]
        referral = s.scalars(select(Step).where(Step.kind == RoundStep.REFERRAL)).one()
        assert referral.candidate_profession == "dietitian" and referral.assignee_id is None
        plans = s.scalars(select(CarePlan).where(CarePlan.resident_id == second.id)  # type: ignore[attr-defined]
                          .order_by(CarePlan.version)).all()
        assert [p.version for p in plans] == [1, 2]
        assert "Fortified diet" in (plans[1].change_reason or "")
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.users["gp.a"].id)) == 1
    # Only the dietitian may take the referral; the GP records the contact and a review date.
    with sessions() as s, s.begin(), pytest.raises(Forbidden):
        journeys.claim_step(s, load_actor(s, world.users["nurse.a"]), referral.id, now)
    with sessions() as s, s.begin():
        journeys.claim_step(s, load_actor(s, s.merge(dietitian)), referral.id, now)  # type: ignore[arg-type]
        journeys.complete_step(s, load_actor(s, world.users["gp.a"]), review.id, {
            "contact": "in_person", "outcome": "Chest clear; antibiotics not needed.",
            "review_on": "2026-11-17"}, now, settings)
    with sessions() as s:
        follow = s.scalars(select(Step).where(Step.kind == RoundStep.FOLLOW_UP)).one()
        assert follow.assignee_id == world.users["gp.a"].id
        assert follow.due_at.date() == date(2026, 11, 17)
        assert s.scalars(select(ResidentEvent).where(
            ResidentEvent.kind == ResidentEventKind.ROUND_REVIEW,
            ResidentEvent.resident_id == first.id)).one()  # type: ignore[attr-defined]


def test_a_week_with_nobody_prioritised_is_a_check_in_and_a_missed_round_escalates_once(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    with sessions() as s, s.begin():
        settled = admit(s, world, clock.now(), settings, date(2026, 8, 1))
        settle(s, world, settled.id, clock.now(), settings)  # type: ignore[attr-defined]
        rnd_id = rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id
        assert rnd_id is not None
        lead = load_actor(s, world.users["lead"])
        assert rounds.agenda(s, s.get(HomeRound, rnd_id)) == []  # type: ignore[arg-type]
        assert rounds.close_round(s, lead, rnd_id, clock.now()).status == RoundStatus.CHECK_IN
    # The next week nobody records anything: the round is missed, the lead told once.
    clock.set(datetime.fromisoformat("2026-11-15T10:30:00+00:00"))
    with sessions() as s, s.begin():
        missed_id = rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id
    clock.set(datetime.fromisoformat("2026-11-18T11:00:00+00:00"))
    with sessions() as s, s.begin():
        assert rounds.mark_missed_rounds(s, clock.now()) == [missed_id]
        assert rounds.mark_missed_rounds(s, clock.now()) == []
    with sessions() as s:
        statuses = dict(s.execute(select(HomeRound.week, HomeRound.status)).tuples().all())
        assert statuses == {"2026-W46": RoundStatus.CHECK_IN, "2026-W47": RoundStatus.MISSED}
        notes = s.scalars(select(Notification).where(
            Notification.user_id == world.users["lead"].id)).all()
        assert [n.kind for n in notes] == ["escalation"] and "Missed home round" in notes[0].message


def test_side_steps_smr_registration_and_dementia(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        for n in range(7):
            admit(s, world, now, settings, date(2026, 11, 1) + timedelta(days=n % 5))
        elsewhere = admit(s, world, now, settings, date(2026, 11, 2), gp_practice_ods="Y99999",
                          dementia_status=DementiaStatus.POSSIBLE_UNDIAGNOSED.value)
    for _ in range(2):
        with sessions() as s, s.begin():
            rounds.prepare_round(s, world.home_a.id, now, settings)
    with sessions() as s:
        kinds = dict(s.execute(
            select(Step.kind, func.count()).group_by(Step.kind)).tuples().all())
        assert kinds[RoundStep.MEDICATION_REVIEW] == rounds.SMR_PER_ROUND
        assert kinds[RoundStep.REGISTRATION_CONVERSATION] == 1
        assert kinds[RoundStep.DEMENTIA_ASSESSMENT_OFFER] == 1
        smr = s.scalars(select(Step).where(Step.kind == RoundStep.MEDICATION_REVIEW)).first()
        assert smr is not None and smr.candidate_profession == "pharmacist"
        talk = s.scalars(select(Step).where(
            Step.kind == RoundStep.REGISTRATION_CONVERSATION)).one()
        assert talk.resident_id == elsewhere.id  # type: ignore[attr-defined]


def test_staff_nominate_but_cannot_decide_and_other_homes_are_invisible(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        resident = admit(s, world, now, settings, date(2026, 11, 6))
        rnd_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
    with sessions() as s, s.begin():
        item = s.scalars(select(AgendaItem)).one()
        with pytest.raises(Forbidden):
            rounds.record_decision(s, load_actor(s, world.users["staff.a"]), item.id,
                                   DecisionIn(response="maintain"), now, settings)
    from care.errors import NotFound

    with sessions() as s, s.begin(), pytest.raises(NotFound):
        rounds.get_round(s, load_actor(s, world.users["nurse.b"]), rnd_id)  # type: ignore[arg-type]
    with sessions() as s, s.begin(), pytest.raises(NotFound):
        rounds.nominate(s, load_actor(s, world.users["nurse.b"]), NominationIn(
            resident_id=resident.id, reason="x"), now, settings)  # type: ignore[attr-defined]
    with sessions() as s, s.begin(), pytest.raises(InvalidInput):
        rounds.close_round(s, load_actor(s, world.users["lead"]), rnd_id, now)  # type: ignore[arg-type]


def test_end_of_life_recognised_by_the_mdt_is_flagged_first_on_later_agendas(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        frail = admit(s, world, now, settings, date(2026, 8, 1))
        settle(s, world, frail.id, now, settings)  # type: ignore[attr-defined]
        new = admit(s, world, now, settings, date(2026, 11, 6))
        rnd_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
        assert rnd_id is not None
        lead = load_actor(s, world.users["lead"])
        rounds.add_to_agenda(s, lead, rnd_id, AddToAgendaIn(
            resident_id=frail.id, reason="declining"), now)  # type: ignore[attr-defined]
        items = {i.resident_id: i for i in s.scalars(select(AgendaItem))}
        rounds.record_decision(s, lead, items[frail.id].id, DecisionIn(  # type: ignore[attr-defined]
            response="maintain", end_of_life=True), now, settings)
        rounds.record_decision(s, lead, items[new.id].id, DecisionIn(  # type: ignore[attr-defined]
            response="maintain"), now, settings)
        rounds.close_round(s, lead, rnd_id, now)
    clock.set(datetime.fromisoformat("2026-11-15T10:30:00+00:00"))
    with sessions() as s, s.begin():
        next_id = rounds.prepare_round(s, world.home_a.id, clock.now(), settings).round_id
        rows = rounds.agenda(s, s.get(HomeRound, next_id))  # type: ignore[arg-type]
        # Not crowded out: the frail resident's only reason is being at the end of life, which
        # scores below the new admission's, yet they lead the agenda, flagged.
        assert [r.resident.id for r in rows] == [frail.id, new.id]  # type: ignore[attr-defined]
        assert rows[0].item.end_of_life and rows[0].item.score < rows[1].item.score


def test_preparation_lead_time_is_configurable(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))  # Sunday, 2 days before
    short = settings.model_copy(update={"round_prepare_days": 1})
    with sessions() as s, s.begin():
        assert rounds.prepare_round(s, world.home_a.id, clock.now(), short).round_id is None
    clock.set(datetime.fromisoformat("2026-11-09T10:30:00+00:00"))  # Monday, 1 day before
    with sessions() as s, s.begin():
        assert rounds.prepare_round(s, world.home_a.id, clock.now(), short).round_id


def test_dates_taken_just_after_midnight_in_summer_are_englands_not_utcs(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> None:
    """At 00:30 BST it is already tomorrow in England but still today in UTC: every date the
    round derives from an instant (a fall, a recognition, a review, 'not in the past') must be
    England's."""
    clock.set(datetime.fromisoformat("2026-06-07T10:30:00+01:00"))  # Sunday before the round
    now = clock.now()
    with sessions() as s, s.begin():
        frail = admit(s, world, now, settings, date(2026, 3, 1))
        settle(s, world, frail.id, now, settings)  # type: ignore[attr-defined]
        rnd_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
        assert rnd_id is not None
    # Wednesday 00:30 in England = Tuesday 23:30 UTC (the system clock is UTC).
    clock.set(datetime.fromisoformat("2026-06-09T23:30:00+00:00"))
    now = clock.now()
    england_today, utc_today = date(2026, 6, 10), now.astimezone(UTC).date()
    assert utc_today == date(2026, 6, 9)
    with sessions() as s, s.begin():
        rounds.nominate(s, load_actor(s, world.users["staff.a"]), NominationIn(
            resident_id=frail.id, reason="found on the floor", fall=True),  # type: ignore[attr-defined]
            now, settings)
        lead = load_actor(s, world.users["lead"])
        rounds.add_to_agenda(s, lead, rnd_id, AddToAgendaIn(
            resident_id=frail.id, reason="fall overnight"), now)  # type: ignore[attr-defined]
        item = s.scalars(select(AgendaItem).where(AgendaItem.resident_id == frail.id)).one()  # type: ignore[attr-defined]
    with sessions() as s, s.begin(), pytest.raises(InvalidInput, match="past"):
        rounds.record_decision(s, load_actor(s, world.users["lead"]), item.id, DecisionIn(
            response="clinical_input", clinician_id=world.users["gp.a"].id,
            by_date=utc_today, notes="see today"), now, settings)
    with sessions() as s, s.begin():
        rounds.record_decision(s, load_actor(s, world.users["lead"]), item.id, DecisionIn(
            response="clinical_input", clinician_id=world.users["gp.a"].id,
            by_date=england_today, notes="see today", end_of_life=True), now, settings)
    with sessions() as s, s.begin():
        review = s.scalars(select(Step).where(Step.kind == RoundStep.CLINICAL_REVIEW)).one()
        journeys.complete_step(s, load_actor(s, world.users["gp.a"]), review.id, {
            "contact": "in_person", "outcome": "Bruised hip; walking."}, now, settings)
    with sessions() as s:
        on = {e.kind: e.on for e in s.scalars(select(ResidentEvent).where(
            ResidentEvent.resident_id == frail.id, ResidentEvent.created_at == now))}  # type: ignore[attr-defined]
        assert on == {ResidentEventKind.FALL: england_today,
                      ResidentEventKind.END_OF_LIFE: england_today,
                      ResidentEventKind.ROUND_REVIEW: england_today}

"""Synthetic demo data: one PCN, three homes of different types, residents at every stage.

Every person here is invented; NHS numbers are in the reserved 999 000 0000 - 999 999 9999
test range. Residents are admitted and their steps completed through the real services, so
the demo shows exactly what the product would have recorded.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care import composition
from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan
from care.clock import local_date
from care.deterioration import recording
from care.deterioration import service as deterioration
from care.deterioration.models import ResponseOutcome
from care.deterioration.schemas import DecisionIn as UrgentDecisionIn
from care.deterioration.schemas import ObservationsIn
from care.directory.access import load_actor
from care.directory.models import CareHome, HomeMembership, HomeType, Pcn, User
from care.directory.service import hash_password
from care.journeys import service as journeys
from care.journeys.models import Step, StepStatus
from care.residents import service as residents
from care.residents.models import DementiaStatus, Resident
from care.residents.schemas import AdmissionIn
from care.rounds import service as rounds
from care.rounds.models import RoundStatus
from care.rounds.rules import next_round
from care.rounds.schemas import DecisionIn as RoundDecisionIn
from care.rounds.schemas import MeetingIn, NominationIn
from care.settings import Settings
from care.types import Profession, Role

DEMO_PASSWORD = "carejourney-demo"  # demo mode only; documented in the README

GIVEN = ["Ada", "Albert", "Beryl", "Cyril", "Doris", "Edna", "Ernest", "Florence", "Frank",
         "Gladys", "Harold", "Ivy", "Jean", "Kenneth", "Lilian", "Mabel", "Norman", "Olive",
         "Percy", "Queenie", "Ronald", "Sylvia", "Stanley", "Vera", "Walter", "Winifred"]
FAMILY = ["Abbott", "Barker", "Chandler", "Dawson", "Ellis", "Fletcher", "Gibbs", "Hartley",
          "Irving", "Jarvis", "Kendall", "Lawson", "Marsh", "Newton", "Osborne", "Pearce",
          "Quinn", "Rowley", "Sutton", "Thorne", "Underwood", "Vickers", "Walsh", "Yates"]
PRACTICES = [("Y90001", "Riverside Medical Practice"), ("Y90002", "Hillcrest Surgery"),
             ("Y90003", "Market Street Health Centre")]
OUT_OF_PCN_PRACTICE = ("Y99999", "Distant Vale Surgery")


def synthetic_nhs_number(rng: random.Random) -> str:
    """A valid NHS number in the reserved 999 test range (Modulus 11 check digit).

    Demo people keep to 9999xxxxxx: the benchmarks number their residents upwards from
    9990000000, so a benchmark run on top of the demo never meets one of its people."""
    while True:
        body = "9999" + "".join(str(rng.randrange(10)) for _ in range(5))
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)


@dataclass
class DemoSummary:
    pcn_id: uuid.UUID
    home_ids: list[uuid.UUID]
    usernames: dict[str, str]
    residents: int


USERS = [
    # username, display name, role, profession, homes ("*" = all)
    ("lead.gp", "Dr Priya Raman", Role.CLINICAL_LEAD, Profession.GP, "*"),
    ("coordinator", "Sam Okafor", Role.COORDINATOR, Profession.CARE_COORDINATOR, "*"),
    ("matron", "Helen Brooks", Role.MDT_MEMBER, Profession.COMMUNITY_MATRON, "*"),
    ("pharmacist", "Tom Achebe", Role.MDT_MEMBER, Profession.PHARMACIST, "*"),
    ("dietitian", "Grace Lin", Role.MDT_MEMBER, Profession.DIETITIAN, "*"),
    ("ucr", "Nadia Rahman", Role.MDT_MEMBER, Profession.URGENT_COMMUNITY_RESPONSE, "*"),
    ("palliative", "Ruth Evans", Role.MDT_MEMBER, Profession.PALLIATIVE_CARE, "*"),
    ("staff.oaks", "Maria Santos", Role.CARE_HOME_STAFF, Profession.CARE_HOME_STAFF, "0"),
    ("staff.meadow", "John Pike", Role.CARE_HOME_STAFF, Profession.CARE_HOME_STAFF, "1"),
    ("staff.willow", "Aisha Khan", Role.CARE_HOME_STAFF, Profession.CARE_HOME_STAFF, "2"),
    ("admin", "Chris Admin", Role.ADMIN, Profession.ADMINISTRATOR, "*"),
]

HOMES = [
    ("The Oaks Nursing Home", HomeType.NURSING, 48, 1, "1-100000001", "VOAK1", "OX1 1AA"),
    ("Meadow View Residential Home", HomeType.RESIDENTIAL, 32, 3, "1-100000002", "VMEA2",
     "OX2 2BB"),
    ("Willow House", HomeType.LEARNING_DISABILITY, 12, 2, "1-100000003", "VWIL3", "OX3 3CC"),
]


def already_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Pcn)))


def seed(
    session: Session, now: datetime, settings: Settings, *, residents_per_home: int = 20,
    password: str = DEMO_PASSWORD, seed_value: int = 2026,
) -> DemoSummary:
    """Create the demo world in the caller's transaction."""
    composition.install()
    rng = random.Random(seed_value)
    pcn = Pcn(name="Riverside Primary Care Network", ods_code="U99999",
              practice_ods_codes=[code for code, _ in PRACTICES])
    session.add(pcn)
    session.flush()
    homes: list[CareHome] = []
    for name, kind, beds, weekday, cqc, ods, postcode in HOMES:
        home = CareHome(pcn_id=pcn.id, name=name, home_type=kind, beds=beds,
                        cqc_location_id=cqc, ods_code=ods,
                        address=f"1 {name.split()[0]} Lane, Riverside", postcode=postcode,
                        round_weekday=weekday, round_time=time(10, 0))
        session.add(home)
        homes.append(home)
    session.flush()
    hashed = hash_password(password)
    users: dict[str, User] = {}
    for username, display, role, profession, where in USERS:
        user = User(username=username, display_name=display, password_hash=hashed, role=role,
                    profession=profession, pcn_id=pcn.id, created_at=now)
        session.add(user)
        session.flush()
        users[username] = user
        served = homes if where == "*" else [homes[int(where)]]
        for home in served:
            session.add(HomeMembership(user_id=user.id, home_id=home.id,
                                       is_home_representative=role == Role.CARE_HOME_STAFF))
    for home in homes:
        home.clinical_lead_id = users["lead.gp"].id
    session.flush()

    staff = [users["staff.oaks"], users["staff.meadow"], users["staff.willow"]]
    clinicians = [users["matron"], users["lead.gp"]]
    count = 0
    for index, home in enumerate(homes):
        actor = load_actor(session, staff[index])
        for n in range(residents_per_home):
            # Spread admissions over the last ~10 weeks; the newest have steps due or overdue.
            days_ago = int(rng.triangular(0, 70, 8))
            admitted_on = local_date(now - timedelta(days=days_ago))
            practice = OUT_OF_PCN_PRACTICE if rng.random() < 0.1 else rng.choice(PRACTICES)
            data = AdmissionIn(
                nhs_number=synthetic_nhs_number(rng),
                given_name=rng.choice(GIVEN),
                family_name=rng.choice(FAMILY),
                date_of_birth=date(rng.randint(1925, 1950), rng.randint(1, 12),
                                   rng.randint(1, 28)),
                home_id=home.id,
                admitted_on=admitted_on,
                room=str(n + 1),
                gp_practice_ods=practice[0],
                gp_practice_name=practice[1],
                representative_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                representative_relationship=rng.choice(["daughter", "son", "niece", "friend"]),
                dementia_status=rng.choice(list(DementiaStatus)),
            )
            admitted_at = min(now, datetime.combine(admitted_on, time(11, 0), tzinfo=now.tzinfo))
            _, journey = residents.admit(session, actor, data, admitted_at, settings)
            count += 1
            _progress(session, journey.id, days_ago, rng, clinicians, admitted_at, now, settings)
    _round_history(session, homes, users, now, settings, rng)
    _observation_history(session, homes[0], users, now, settings, rng)
    return DemoSummary(pcn_id=pcn.id, home_ids=[h.id for h in homes],
                       usernames={u: "" for u in users}, residents=count)


def _progress(
    session: Session, journey_id: uuid.UUID, days_ago: int, rng: random.Random,
    clinicians: list[User], admitted_at: datetime, now: datetime, settings: Settings,
) -> None:
    """Move older admissions along the pathway; leave some late ones undone (overdue)."""
    # Most homes keep up: older admissions are nearly all done; a few slip (overdue now).
    stage_roll = rng.random()
    if days_ago > 14:
        done_assessment, done_plan = stage_roll < 0.95, stage_roll < 0.9
    else:
        done_assessment = days_ago > 3 and stage_roll < 0.8
        done_plan = done_assessment and days_ago > 7 and stage_roll < 0.6
    clinician = load_actor(session, rng.choice(clinicians))
    if done_assessment:
        assessed_at = min(now, admitted_at + timedelta(days=rng.randint(1, 4), hours=3))
        _complete(session, clinician, journey_id, AssessmentStep.HOLISTIC_ASSESSMENT, assessed_at,
                  settings, {
            "physical": "Type 2 diabetes, diet controlled; osteoarthritis of both knees.",
            "psychological": "Mild cognitive impairment; low mood since moving in.",
            "functional": "Walks with a frame; needs help of one with washing and dressing.",
            "social": "Daughter visits twice a week; enjoys the music group.",
            "environmental": "Ground-floor room near the lounge; pressure cushion in place.",
            "what_matters": "Staying able to walk to the garden; seeing the grandchildren.",
            "contributors": ["resident", "daughter", "community matron", "senior carer"],
        })
    if done_plan:
        planned_at = min(now, admitted_at + timedelta(days=rng.randint(5, 9), hours=5))
        _complete(session, clinician, journey_id, AssessmentStep.PCSP, planned_at, settings, {
            "goals": [{"description": "Walk to the garden every day with the frame"}],
            "actions": [{"description": "Physiotherapy review for mobility",
                         "owner": "physiotherapist"},
                        {"description": "Weekly weight; report a loss over 2 kg",
                         "owner": "senior carer"}],
            "escalation_wishes": {"hospital_admission": rng.choice(["yes", "discuss_first",
                                                                    "no"]),
                                  "preferred_contact": "gp"},
            "agreed_with": "resident and daughter",
            "review_date": local_date(now + timedelta(days=90)).isoformat(),
        })


def _complete(session: Session, actor: object, journey_id: uuid.UUID, kind: str,
              now: datetime, settings: Settings, outcome: dict[str, object]) -> None:
    step = session.scalar(select(Step).where(Step.journey_id == journey_id, Step.kind == kind,
                                             Step.status == StepStatus.READY))
    if step is not None:
        journeys.complete_step(session, actor, step.id, outcome, now, settings)  # type: ignore[arg-type]


def _round_history(
    session: Session, homes: list[CareHome], users: dict[str, User], now: datetime,
    settings: Settings, rng: random.Random,
) -> None:
    """Last week's rounds (two held, Willow House's missed), a staff nomination for the next
    round, and the next round prepared wherever its preparation window is already open."""
    lead = load_actor(session, users["lead.gp"])
    for index, home in enumerate(homes):
        upcoming = next_round(now, home.round_weekday, home.round_time, settings.timezone)
        last_week = upcoming - timedelta(days=7)
        rnd = rounds.ensure_round(session, home, last_week, min(now, last_week), settings)
        if index == 2:  # Willow House: nothing recorded, so the sweep marks it missed
            continue
        rnd.status = RoundStatus.PREPARING
        facts = rounds.resident_facts(session, home.id, local_date(last_week),
                                      round_id=rnd.id)
        rounds.refresh_agenda(session, rnd, facts, last_week - timedelta(days=2))
        rounds.record_attendance(session, lead, rnd.id, MeetingIn(attendee_ids=[
            users["lead.gp"].id, users["matron"].id, users[f"staff.{STAFF_SUFFIX[index]}"].id,
        ]), last_week)
        for row in rounds.agenda(session, rnd):
            no_change = RoundDecisionIn(response="maintain", notes="Reviewed; no change")
            rounds.record_decision(session, lead, row.item.id, no_change, last_week, settings)
        rounds.close_round(session, lead, rnd.id, last_week)
    rounds.mark_missed_rounds(session, now)
    oaks_staff = load_actor(session, users["staff.oaks"])
    resident = session.scalar(select(Resident).where(Resident.home_id == homes[0].id)
                              .order_by(Resident.family_name).limit(1))
    if resident is not None:
        rounds.nominate(session, oaks_staff, NominationIn(
            resident_id=resident.id, reason="Not quite herself; eating less since Monday",
            by_family=rng.random() < 0.5), now, settings)
    for home in homes:
        rounds.prepare_round(session, home.id, now, settings)


STAFF_SUFFIX = ("oaks", "meadow", "willow")


def _observation_history(
    session: Session, home: CareHome, users: dict[str, User], now: datetime,
    settings: Settings, rng: random.Random,
) -> None:
    """A week of daily observations for a few residents of the first home (their baselines);
    for one, yesterday's urgent response, answered in time; for another, a concern raised
    ten minutes ago that the GP has still to see (so the urgent queue is not empty)."""
    planned = session.scalars(
        select(Resident).where(
            Resident.home_id == home.id,
            select(CarePlan.id).where(CarePlan.resident_id == Resident.id).exists())
        .order_by(Resident.family_name, Resident.given_name).limit(4)
    ).all()
    staff = users["staff.oaks"]
    for resident in planned:
        for days_ago in range(7, 0, -1):
            at = (now - timedelta(days=days_ago)).replace(hour=9, minute=30)
            recording.record(session, resident, ObservationsIn(
                respiration_rate=rng.choice([14, 16, 18]), spo2=rng.choice([95, 96, 97]),
                on_oxygen=False, systolic_bp=rng.randint(118, 142), pulse=rng.randint(64, 86),
                consciousness="alert", temperature=rng.choice([36.4, 36.7, 36.9])), staff, at)
    if len(planned) < 2:
        return
    yesterday = (now - timedelta(days=1)).replace(hour=15, minute=10)
    raised = recording.record(session, planned[0], ObservationsIn(
        respiration_rate=22, spo2=94, on_oxygen=False, systolic_bp=108, pulse=104,
        consciousness="alert", temperature=38.4, soft_signs=["not_themselves", "more_sleepy"],
        carer_concerned=True), staff, yesterday)
    if raised.deterioration is not None:
        ucr = load_actor(session, users["ucr"])
        deterioration.acknowledge(session, ucr, raised.deterioration.id,
                                  yesterday + timedelta(minutes=12))
        deterioration.decide(session, ucr, raised.deterioration.id, UrgentDecisionIn(
            decision="Chest infection. Antibiotics started; fluids encouraged; observations "
                     "4-hourly for 24 hours.", outcome=ResponseOutcome.SEEN_IN_HOME),
            yesterday + timedelta(minutes=95), settings)
    # Raised ten minutes ago: the GP sees it waiting; left alone, the ladder passes it to the
    # community matron twenty minutes later, live.
    morning = now - timedelta(minutes=10)
    recording.record(session, planned[1], ObservationsIn(
        respiration_rate=18, spo2=95, on_oxygen=False, systolic_bp=124, pulse=92,
        consciousness="alert", temperature=37.2, soft_signs=["eating_drinking_less"],
        soft_signs_note="Left most of her breakfast; quieter than usual.",
        carer_concerned=True), staff, morning)

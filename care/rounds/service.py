"""The weekly home round: scheduling, the prioritised agenda, nominations, the MDT meeting and
its decisions, closing the round (or recording a check-in), and missed rounds.

Services take a session and never commit; every change is audited with the actor's channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from care.assessments import AssessmentStep, CarePlan, latest_plan_for_update
from care.audit.service import record as audit
from care.clock import end_of_day, local_date, local_datetime
from care.directory.access import CLINICAL_ROLES, CLINICIANS, Actor
from care.directory.models import CareHome, HomeMembership, User
from care.errors import Conflict, InvalidInput, NotFound
from care.journeys.ledger import NewStep, add_event, open_step
from care.journeys.models import OPEN_STATUSES, Journey, Step, StepStatus
from care.journeys.notifications import notify
from care.residents import DementiaStatus, Episode, EpisodeStart, Resident, ResidentStatus
from care.rounds.kinds import HOME_ROUND, ROUND_DECIDED, ROUND_PREPARING, RoundStep
from care.rounds.models import (
    DONE_STATUSES,
    AgendaDecision,
    AgendaItem,
    HomeRound,
    ItemSource,
    Nomination,
    ResidentEvent,
    ResidentEventKind,
    Response,
    RoundAttendance,
    RoundStatus,
)
from care.rounds.rules import (
    DEFAULT_POLICY,
    Policy,
    Reason,
    ResidentFacts,
    build_agenda,
    iso_week,
    next_round,
    preparation_opens,
    smr_due,
)
from care.rounds.rules import (
    Nomination as NominationFact,
)
from care.rounds.schemas import AddToAgendaIn, DecisionIn, MeetingIn, NominationIn
from care.settings import Settings
from care.types import Profession, Role

# The MDT runs its meeting: it adds to and removes from the agenda, records who attended and
# what was agreed, and closes the round (a closed round counts as this week's round or
# check-in, so care-home staff closing it would record an MDT review that never happened).
MDT_ROLES = frozenset({Role.MDT_MEMBER, Role.CLINICAL_LEAD, Role.COORDINATOR})
# Care-home staff know whom the MDT should see: they (and the MDT) nominate residents.
NOMINATING_ROLES = frozenset({*CLINICAL_ROLES, Role.COORDINATOR})
SMR_PER_ROUND = 5


# ---------------------------------------------------------------- reading the record


def resident_facts(
    session: Session, home_id: uuid.UUID, today: date, policy: Policy = DEFAULT_POLICY,
    *, round_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, ResidentFacts]:
    """What the agenda rules need for every resident living in the home, in a few queries."""
    rows = session.execute(
        select(Resident.id, Resident.dementia_status, Episode.id, Episode.started_on,
               Episode.start_reason)
        .join(Journey, Journey.resident_id == Resident.id)
        .join(Episode, Episode.id == Journey.current_episode_id)
        .where(Resident.home_id == home_id, Resident.status == ResidentStatus.RESIDENT)
    ).all()
    if not rows:
        return {}
    ids = [r[0] for r in rows]
    episodes = [r[2] for r in rows]
    done = {
        (episode_id, kind)
        for episode_id, kind in session.execute(
            select(Step.episode_id, Step.kind).where(
                Step.episode_id.in_(episodes), Step.status == StepStatus.COMPLETED,
                Step.kind.in_((AssessmentStep.HOLISTIC_ASSESSMENT, AssessmentStep.PCSP)))
        )
    }
    since = today - timedelta(days=max(policy.falls_days, policy.deterioration_days))
    recent: dict[tuple[uuid.UUID, ResidentEventKind], int] = {}
    for resident_id, kind, count in session.execute(
        select(ResidentEvent.resident_id, ResidentEvent.kind, func.count())
        .where(ResidentEvent.resident_id.in_(ids), ResidentEvent.on >= since,
               ResidentEvent.kind.in_((ResidentEventKind.FALL,
                                       ResidentEventKind.DETERIORATION)))
        .group_by(ResidentEvent.resident_id, ResidentEvent.kind)
    ):
        recent[(resident_id, kind)] = count
    latest: dict[tuple[uuid.UUID, ResidentEventKind], tuple[date, dict[str, Any]]] = {}
    for resident_id, kind, on, data in session.execute(
        select(ResidentEvent.resident_id, ResidentEvent.kind, ResidentEvent.on,
               ResidentEvent.data)
        .distinct(ResidentEvent.resident_id, ResidentEvent.kind)
        .where(ResidentEvent.resident_id.in_(ids),
               ResidentEvent.kind.in_((ResidentEventKind.SMR, ResidentEventKind.ROUND_REVIEW,
                                       ResidentEventKind.DEMENTIA_OFFER,
                                       ResidentEventKind.END_OF_LIFE)))
        .order_by(ResidentEvent.resident_id, ResidentEvent.kind, ResidentEvent.on.desc(),
                  ResidentEvent.id.desc())
    ):
        latest[(resident_id, kind)] = (on, data)
    review_dates = dict(session.execute(
        select(CarePlan.resident_id, CarePlan.review_date)
        .distinct(CarePlan.resident_id)
        .where(CarePlan.resident_id.in_(ids))
        .order_by(CarePlan.resident_id, CarePlan.version.desc())
    ).tuples().all())
    overdue = dict(session.execute(
        select(Step.resident_id, func.count())
        .where(Step.resident_id.in_(ids), Step.status.in_(OPEN_STATUSES),
               Step.due_at < end_of_day(today) - timedelta(days=1))
        .group_by(Step.resident_id)
    ).tuples().all())
    nominations: dict[uuid.UUID, list[NominationFact]] = {}
    open_nominations = select(Nomination).where(
        Nomination.resident_id.in_(ids),
        (Nomination.round_id.is_(None)) | (Nomination.round_id == round_id)
        if round_id else Nomination.round_id.is_(None),
    ).order_by(Nomination.created_at)
    for nomination in session.scalars(open_nominations):
        nominations.setdefault(nomination.resident_id, []).append(
            NominationFact(nomination.reason, nomination.by_family))
    facts = {}
    for resident_id, dementia, episode_id, started_on, start_reason in rows:
        smr = latest.get((resident_id, ResidentEventKind.SMR))
        reviewed = latest.get((resident_id, ResidentEventKind.ROUND_REVIEW))
        facts[resident_id] = ResidentFacts(
            stay_started_on=started_on,
            assessment_done=(episode_id, AssessmentStep.HOLISTIC_ASSESSMENT) in done,
            plan_done=(episode_id, AssessmentStep.PCSP) in done,
            last_hospital_return_on=started_on if start_reason == EpisodeStart.READMISSION
            else None,
            deterioration_events=recent.get((resident_id, ResidentEventKind.DETERIORATION), 0),
            falls=recent.get((resident_id, ResidentEventKind.FALL), 0),
            plan_review_on=review_dates.get(resident_id),
            overdue_steps=overdue.get(resident_id, 0),
            last_smr_on=smr[0] if smr else None,
            smr_next_review_on=date.fromisoformat(smr[1]["next_review_on"])
            if smr and smr[1].get("next_review_on") else None,
            medicines_count=smr[1].get("medicines_count") if smr else None,
            last_reviewed_on=reviewed[0] if reviewed else None,
            dementia_status=dementia,
            dementia_offer_made=(resident_id, ResidentEventKind.DEMENTIA_OFFER) in latest,
            end_of_life=(resident_id, ResidentEventKind.END_OF_LIFE) in latest,
            nominations=tuple(nominations.get(resident_id, ())),
        )
    return facts


# ---------------------------------------------------------------- scheduling and preparing


def policy_for(settings: Settings) -> Policy:
    """The prioritisation policy, with the configured preparation lead time."""
    return replace(DEFAULT_POLICY, prepare_days_before=settings.round_prepare_days)


@dataclass
class PrepareResult:
    home_id: uuid.UUID
    round_id: uuid.UUID | None = None
    opened: list[str] = field(default_factory=list)
    agenda_size: int = 0


def prepare_round(
    session: Session, home_id: uuid.UUID, now: datetime, settings: Settings,
    policy: Policy | None = None,
) -> PrepareResult:
    """What the scheduled flow does for one home: once the preparation window of the home's
    next round opens, create the round, open 'prepare the round' for the MDT with a draft
    agenda, and open the side steps the record calls for. Safe to run any number of times."""
    home = session.get(CareHome, home_id)
    if home is None:
        raise NotFound("care home not found")
    policy = policy or policy_for(settings)
    result = PrepareResult(home_id)
    round_at = next_round(now, home.round_weekday, home.round_time, settings.timezone)
    if now < preparation_opens(round_at, policy):
        return result
    rnd = ensure_round(session, home, round_at, now, settings)
    result.round_id = rnd.id
    if rnd.status == RoundStatus.PLANNED:
        rnd.status = RoundStatus.PREPARING
    if open_step(session, NewStep(
        dedupe_key=f"round:{rnd.id}:prepare",
        kind=RoundStep.PREPARE_ROUND,
        title=f"Prepare the home round: {home.name}, {round_at:%a %d %b}",
        home_id=home.id,
        due_at=round_at,
        deadline_rule=f"{policy.prepare_days_before}-days-before-round/v1",
        deadline_base=preparation_opens(round_at, policy),
        priority=2,
        context_kind=HOME_ROUND, context_id=rnd.id,
        instructions="Check the draft agenda with the home's representative: add residents "
                     "the home or family are worried about, remove any with a reason.",
        trigger=ROUND_PREPARING,
    ), now):
        result.opened.append(RoundStep.PREPARE_ROUND.value)
    facts = resident_facts(session, home.id, local_date(now, settings.timezone), policy,
                           round_id=rnd.id)
    result.agenda_size = len(refresh_agenda(session, rnd, facts, now, policy))
    result.opened += open_side_steps(session, home, rnd, facts, now, settings, policy)
    return result


ROUND_STARTERS = frozenset({Role.COORDINATOR, Role.CLINICAL_LEAD, Role.ADMIN})


def prepare_round_now(
    session: Session, actor: Actor, home_id: uuid.UUID, now: datetime, settings: Settings,
    policy: Policy | None = None,
) -> HomeRound:
    """Prepare the home's next round now instead of waiting for the schedule; only once its
    preparation window is open, so the agenda is drawn from the week it is for."""
    actor.require_serves(home_id, "care home")
    actor.require_role(ROUND_STARTERS, "prepare a home round")
    home = session.get(CareHome, home_id)
    if home is None:
        raise NotFound("care home not found")
    policy = policy or policy_for(settings)
    round_at = next_round(now, home.round_weekday, home.round_time, settings.timezone)
    opens = preparation_opens(round_at, policy)
    if now < opens:
        tz = settings.timezone
        raise Conflict(f"the round on {local_datetime(round_at, tz):%a %d %b %H:%M} can be "
                       f"prepared from {local_datetime(opens, tz):%a %d %b %H:%M}")
    result = prepare_round(session, home_id, now, settings, policy)
    rnd = session.get(HomeRound, result.round_id)
    assert rnd is not None
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.prepare",
          entity="home_round", entity_id=rnd.id,
          after={"agenda_size": result.agenda_size, "opened": result.opened})
    return rnd


def ensure_round(
    session: Session, home: CareHome, round_at: datetime, now: datetime, settings: Settings
) -> HomeRound:
    """The home's round for that week, created once (natural key: home and ISO week)."""
    week = iso_week(round_at, settings.timezone)
    session.execute(
        insert(HomeRound)
        .values(id=uuid.uuid4(), home_id=home.id, week=week, scheduled_at=round_at,
                status=RoundStatus.PLANNED, created_at=now)
        .on_conflict_do_nothing(index_elements=["home_id", "week"])
    )
    rnd = session.scalars(
        select(HomeRound).where(HomeRound.home_id == home.id, HomeRound.week == week)
        .with_for_update()
    ).one()
    return rnd


def refresh_agenda(
    session: Session, rnd: HomeRound, facts: dict[uuid.UUID, ResidentFacts], now: datetime,
    policy: Policy = DEFAULT_POLICY,
) -> list[AgendaItem]:
    """Bring the draft agenda in line with the record: add whoever the rules or nominations
    now select, drop rule-selected residents who no longer qualify (unless the MDT has
    decided about them); residents removed by the MDT stay removed."""
    items = {i.resident_id: i for i in session.scalars(
        select(AgendaItem).where(AgendaItem.round_id == rnd.id))}
    if rnd.status not in (RoundStatus.PLANNED, RoundStatus.PREPARING):
        return [i for i in items.values() if i.removed_at is None]
    decided = set(session.scalars(
        select(AgendaItem.id).join(AgendaDecision, AgendaDecision.item_id == AgendaItem.id)
        .where(AgendaItem.round_id == rnd.id)))
    removed = frozenset(str(r) for r, i in items.items() if i.removed_at is not None)
    agenda = {uuid.UUID(e.resident_key): e for e in build_agenda(
        {str(k): v for k, v in facts.items()}, local_date(now), policy, removed=removed)}
    for resident_id, entry in agenda.items():
        reasons = [{"reason": i.reason.value, "text": i.text, "score": i.score}
                   for i in entry.inclusions]
        source = (ItemSource.NOMINATION if facts[resident_id].nominations
                  else ItemSource.RULES)
        item = items.get(resident_id)
        if item is None:
            items[resident_id] = item = AgendaItem(
                round_id=rnd.id, resident_id=resident_id, score=entry.score, reasons=reasons,
                source=source, end_of_life=entry.end_of_life, created_at=now)
            session.add(item)
        elif item.source != ItemSource.MDT:
            item.score, item.reasons, item.source = entry.score, reasons, source
    for resident_id, item in list(items.items()):
        if (item.source != ItemSource.MDT and item.removed_at is None
                and resident_id not in agenda and item.id not in decided):
            session.delete(item)
            del items[resident_id]
    session.execute(
        update(Nomination)
        .where(Nomination.home_id == rnd.home_id, Nomination.round_id.is_(None))
        .values(round_id=rnd.id)
    )
    session.flush()
    return [i for i in items.values() if i.removed_at is None]


def open_side_steps(
    session: Session, home: CareHome, rnd: HomeRound, facts: dict[uuid.UUID, ResidentFacts],
    now: datetime, settings: Settings, policy: Policy = DEFAULT_POLICY,
) -> list[str]:
    """Steps the record calls for around the round: structured medication reviews for the
    pharmacist (most pressing first, a few per week), a conversation about re-registering with
    the aligned PCN's practice, and an offer of a dementia assessment."""
    if not facts:
        return []
    residents = {r.id: r for r in session.scalars(
        select(Resident).where(Resident.id.in_(facts)))}
    journeys = dict(session.execute(
        select(Journey.resident_id, Journey.id).where(Journey.resident_id.in_(facts))
    ).tuples().all())
    open_smr = set(session.scalars(select(Step.resident_id).where(
        Step.resident_id.in_(facts), Step.kind == RoundStep.MEDICATION_REVIEW,
        Step.status.in_(OPEN_STATUSES))))
    opened: list[str] = []
    today = local_date(now, settings.timezone)
    later = end_of_day(today + timedelta(days=28), settings.timezone)

    def side(resident_id: uuid.UUID, key: str, kind: str, title: str, due: datetime,
             profession: str | None, instructions: str) -> None:
        if open_step(session, NewStep(
            dedupe_key=key, kind=kind, title=title, home_id=home.id, due_at=due,
            deadline_rule="home-round-side-step/v1", deadline_base=now, priority=3,
            journey_id=journeys.get(resident_id), resident_id=resident_id,
            context_kind=HOME_ROUND, context_id=rnd.id, candidate_profession=profession,
            instructions=instructions,
        trigger=ROUND_PREPARING,
    ), now):
            opened.append(kind)

    due_smr = [r for r, f in facts.items() if smr_due(f, today, policy) and r not in open_smr]
    due_smr.sort(key=lambda r: _smr_rank(facts[r], today))
    # A few per round, however often the round is prepared.
    this_round = session.scalar(select(func.count()).select_from(Step).where(
        Step.about(HOME_ROUND, rnd.id), Step.kind == RoundStep.MEDICATION_REVIEW)) or 0
    for resident_id in due_smr[:max(0, SMR_PER_ROUND - this_round)]:
        side(resident_id, f"smr:{resident_id}:{rnd.week}", RoundStep.MEDICATION_REVIEW,
             "Structured medication review", later, Profession.PHARMACIST.value,
             "Care-home residents are prioritised for a structured medication review.")
    for resident_id, resident in residents.items():
        if not resident.gp_in_aligned_pcn:
            side(resident_id, f"registration:{resident_id}", RoundStep.REGISTRATION_CONVERSATION,
                 "Talk about registering with the home's aligned practice", later, None,
                 f"Registered with {resident.gp_practice_name}, outside the home's aligned PCN. "
                 "Re-registering is the resident's choice: record what they decide.")
        if resident.dementia_status == DementiaStatus.POSSIBLE_UNDIAGNOSED:
            side(resident_id, f"dementia-offer:{resident_id}", RoundStep.DEMENTIA_ASSESSMENT_OFFER,
                 "Offer a dementia assessment", later, None,
                 "Possible undiagnosed dementia: offer an assessment (memory service).")
    return opened


def _smr_rank(facts: ResidentFacts, today: date) -> tuple[int, int]:
    """New (re)admissions and hospital returns first, then falls, then the longest wait."""
    urgent = 0 if (today - facts.stay_started_on).days <= 28 else 1 if facts.falls else 2
    waited = -(today - facts.last_smr_on).days if facts.last_smr_on else -10_000
    return urgent, waited


# ---------------------------------------------------------------- reading rounds


def get_round(session: Session, actor: Actor, round_id: uuid.UUID, *, lock: bool = False,
              ) -> HomeRound:
    query = select(HomeRound).where(HomeRound.id == round_id)
    if lock:
        query = query.with_for_update()
    rnd = session.scalar(query)
    if rnd is None or not actor.serves(rnd.home_id):
        raise NotFound("home round not found")
    return rnd


@dataclass
class AgendaRow:
    item: AgendaItem
    resident: Resident
    decision: AgendaDecision | None


def agenda(session: Session, rnd: HomeRound, *, include_removed: bool = False,
           ) -> list[AgendaRow]:
    """The round's agenda, end-of-life residents first, then by score."""
    query = (
        select(AgendaItem, Resident, AgendaDecision)
        .join(Resident, Resident.id == AgendaItem.resident_id)
        .outerjoin(AgendaDecision, AgendaDecision.item_id == AgendaItem.id)
        .where(AgendaItem.round_id == rnd.id)
        .order_by(AgendaItem.removed_at.is_not(None), AgendaItem.end_of_life.desc(),
                  AgendaItem.score.desc(), Resident.family_name)
    )
    if not include_removed:
        query = query.where(AgendaItem.removed_at.is_(None))
    return [AgendaRow(i, r, d) for i, r, d in session.execute(query).tuples()]


def rounds_for_home(session: Session, actor: Actor, home_id: uuid.UUID, *, limit: int = 26,
                    ) -> list[tuple[HomeRound, int]]:
    """The home's rounds, newest first, with how many residents were on each agenda."""
    actor.require_serves(home_id, "care home")
    counts = (
        select(AgendaItem.round_id, func.count().label("n"))
        .where(AgendaItem.removed_at.is_(None)).group_by(AgendaItem.round_id).subquery()
    )
    rows = session.execute(
        select(HomeRound, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.round_id == HomeRound.id)
        .where(HomeRound.home_id == home_id)
        .order_by(HomeRound.scheduled_at.desc()).limit(limit)
    ).tuples().all()
    return [(r, int(n)) for r, n in rows]


def get_agenda_item(session: Session, actor: Actor, round_id: uuid.UUID, item_id: uuid.UUID,
                    ) -> AgendaItem:
    """One item of a round's agenda (404 unless it is on that round, in a home you serve)."""
    get_round(session, actor, round_id)
    item = session.get(AgendaItem, item_id)
    if item is None or item.round_id != round_id:
        raise NotFound("agenda item not found")
    return item


def attendance(session: Session, rnd: HomeRound) -> list[RoundAttendance]:
    """Who took part in the round's MDT meeting."""
    return list(session.scalars(select(RoundAttendance).where(RoundAttendance.round_id == rnd.id)
                                .order_by(RoundAttendance.id)))


def open_nominations(session: Session, actor: Actor, home_id: uuid.UUID,
                     ) -> list[tuple[Nomination, Resident, HomeRound | None]]:
    """Nominations still to be discussed: not yet taken up by a round, or on the agenda of a
    round not yet held; oldest first."""
    actor.require_serves(home_id, "care home")
    rows = session.execute(
        select(Nomination, Resident, HomeRound)
        .join(Resident, Resident.id == Nomination.resident_id)
        .outerjoin(HomeRound, HomeRound.id == Nomination.round_id)
        .where(Nomination.home_id == home_id,
               Nomination.round_id.is_(None)
               | HomeRound.status.in_((RoundStatus.PLANNED, RoundStatus.PREPARING,
                                       RoundStatus.AGREED)))
        .order_by(Nomination.created_at, Nomination.id)
    ).tuples().all()
    return [(n, r, h) for n, r, h in rows]


# ---------------------------------------------------------------- people shaping the agenda


def nominate(session: Session, actor: Actor, data: NominationIn, now: datetime,
             settings: Settings) -> Nomination:
    """Care-home staff (or family, through staff) ask the MDT to see a resident. It goes on the
    next round's agenda; if that round is being prepared, at once."""
    resident = session.get(Resident, data.resident_id)
    if resident is None or not actor.serves(resident.home_id):
        raise NotFound("resident not found")
    if resident.status != ResidentStatus.RESIDENT:
        raise InvalidInput("is not living in the home just now", field="resident_id")
    actor.require_role(NOMINATING_ROLES, "nominate residents for the round")
    nomination = Nomination(home_id=resident.home_id, resident_id=resident.id,
                            reason=data.reason, by_family=data.by_family,
                            nominated_by_id=actor.id, created_at=now)
    session.add(nomination)
    if data.fall:
        session.add(ResidentEvent(resident_id=resident.id, kind=ResidentEventKind.FALL,
                                  on=local_date(now, settings.timezone), note=data.reason,
                                  recorded_by_id=actor.id,
                                  created_at=now))
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.nominate",
          entity="nomination", entity_id=nomination.id, resident_id=resident.id,
          after={"reason": data.reason, "by_family": data.by_family, "fall": data.fall})
    rnd = _preparing_round(session, resident.home_id)
    if rnd is not None:
        refresh_agenda(session, rnd, resident_facts(session, resident.home_id,
                                                    local_date(now, settings.timezone),
                                                    round_id=rnd.id), now)
    return nomination


def _preparing_round(session: Session, home_id: uuid.UUID) -> HomeRound | None:
    return session.scalar(
        select(HomeRound).where(HomeRound.home_id == home_id,
                                HomeRound.status.in_((RoundStatus.PLANNED,
                                                      RoundStatus.PREPARING)))
        .order_by(HomeRound.scheduled_at).limit(1).with_for_update()
    )


def _require_open_agenda(rnd: HomeRound) -> None:
    if rnd.status not in (RoundStatus.PLANNED, RoundStatus.PREPARING, RoundStatus.AGREED):
        raise Conflict(f"the round is {rnd.status.value}; its agenda is closed")


def add_to_agenda(session: Session, actor: Actor, round_id: uuid.UUID, data: AddToAgendaIn,
                  now: datetime) -> AgendaItem:
    """An MDT member adds a resident, with the reason (their judgement is an input too)."""
    rnd = get_round(session, actor, round_id, lock=True)
    actor.require_role(MDT_ROLES, "change the agenda")
    _require_open_agenda(rnd)
    resident = session.get(Resident, data.resident_id)
    if resident is None or resident.home_id != rnd.home_id:
        raise InvalidInput("is not a resident of this home", field="resident_id")
    score = DEFAULT_POLICY.weights[Reason.MDT_ADDED]
    reason = {"reason": Reason.MDT_ADDED.value,
              "text": f"Added by {actor.user.display_name}: {data.reason}", "score": score}
    item = session.scalar(select(AgendaItem).where(AgendaItem.round_id == rnd.id,
                                                   AgendaItem.resident_id == resident.id))
    if item is None:
        item = AgendaItem(round_id=rnd.id, resident_id=resident.id, score=score,
                          reasons=[reason], source=ItemSource.MDT, created_at=now)
        session.add(item)
    else:
        item.reasons = [*item.reasons, reason]
        item.score += score
        item.source = ItemSource.MDT
        item.removed_at = item.removed_by_id = item.removed_reason = None
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.agenda_add",
          entity="agenda_item", entity_id=item.id, resident_id=resident.id,
          after={"reason": data.reason})
    return item


def remove_from_agenda(session: Session, actor: Actor, item_id: uuid.UUID, reason: str,
                       now: datetime) -> AgendaItem:
    """An MDT member takes a resident off this week's agenda, with the reason."""
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("agenda item not found")
    rnd = get_round(session, actor, item.round_id, lock=True)
    actor.require_role(MDT_ROLES, "change the agenda")
    _require_open_agenda(rnd)
    if session.scalar(select(AgendaDecision.id).where(AgendaDecision.item_id == item.id)):
        raise Conflict("the MDT has already agreed a response for this resident")
    item.removed_at, item.removed_by_id, item.removed_reason = now, actor.id, reason
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="round.agenda_remove", entity="agenda_item", entity_id=item.id,
          resident_id=item.resident_id, after={"reason": reason})
    return item


# ---------------------------------------------------------------- the MDT meeting and the round


def record_attendance(session: Session, actor: Actor, round_id: uuid.UUID, data: MeetingIn,
                      now: datetime) -> list[RoundAttendance]:
    """Who took part in the MDT meeting, including the home's representative."""
    rnd = get_round(session, actor, round_id, lock=True)
    actor.require_role(MDT_ROLES, "record the MDT meeting")
    _require_open_agenda(rnd)
    members = {
        user_id: rep for user_id, rep in session.execute(
            select(HomeMembership.user_id, HomeMembership.is_home_representative)
            .where(HomeMembership.home_id == rnd.home_id,
                   HomeMembership.user_id.in_(data.attendee_ids))
        )
    }
    unknown = [str(u) for u in data.attendee_ids if u not in members]
    if unknown:
        raise InvalidInput("includes people who do not serve this home", field="attendee_ids")
    for user_id, rep in members.items():
        session.execute(
            insert(RoundAttendance)
            .values(round_id=rnd.id, user_id=user_id, home_representative=rep)
            .on_conflict_do_nothing(index_elements=["round_id", "user_id"])
        )
    rnd.meeting_at = rnd.meeting_at or now
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.attendance",
          entity="home_round", entity_id=rnd.id,
          after={"attendees": sorted(str(u) for u in members)})
    return list(session.scalars(select(RoundAttendance).where(RoundAttendance.round_id == rnd.id)))


def record_decision(session: Session, actor: Actor, item_id: uuid.UUID, data: DecisionIn,
                    now: datetime, settings: Settings) -> AgendaDecision:
    """The MDT's agreed response for one resident: clinical input (a named clinician sees them
    by a date), an onward referral to a co-opted member (a referral step), or maintain the
    plan. An agreed change to the care plan makes a new PCSP version."""
    item = session.get(AgendaItem, item_id)
    if item is None or item.removed_at is not None:
        raise NotFound("agenda item not found")
    rnd = get_round(session, actor, item.round_id, lock=True)
    actor.require_role(MDT_ROLES, "record MDT decisions")
    _require_open_agenda(rnd)
    if session.scalar(select(AgendaDecision.id).where(AgendaDecision.item_id == item.id)):
        raise Conflict("a response has already been agreed for this resident at this round")
    if data.by_date is not None and data.by_date < local_date(now, settings.timezone):
        raise InvalidInput("must not be in the past", field="by_date")
    resident = session.get(Resident, item.resident_id)
    journey_id = session.scalar(select(Journey.id).where(Journey.resident_id == item.resident_id))
    assert resident is not None
    step_id = None
    # Checked whatever the response: an unknown id must be refused, not stored.
    clinician = (_clinician_for(session, data.clinician_id, rnd.home_id)
                 if data.clinician_id is not None else None)
    if data.response == Response.CLINICAL_INPUT:
        assert clinician is not None and data.by_date is not None
        step_id = open_step(session, NewStep(
            dedupe_key=f"decision:{item.id}", kind=RoundStep.CLINICAL_REVIEW,
            title=f"Review at the home round ({clinician.display_name})", home_id=rnd.home_id,
            due_at=end_of_day(data.by_date, settings.timezone),
            deadline_rule="mdt-agreed-date/v1", deadline_base=now, priority=2,
            journey_id=journey_id, resident_id=resident.id,
            context_kind=HOME_ROUND, context_id=rnd.id,
            assignee_id=clinician.id, instructions=_instructions(item, data),
        trigger=ROUND_DECIDED,
    ), now)
        notify(session, clinician.id, "assignment",
               f"The MDT asked you to see {resident.short_name} "
               f"by {data.by_date:%d %b}.", now, step_id=step_id, resident_id=resident.id)
    elif data.response == Response.REFERRAL:
        assert data.referral_to is not None and data.by_date is not None
        step_id = open_step(session, NewStep(
            dedupe_key=f"decision:{item.id}", kind=RoundStep.REFERRAL,
            title=f"Referral: {data.referral_to.value.replace('_', ' ')}", home_id=rnd.home_id,
            due_at=end_of_day(data.by_date, settings.timezone),
            deadline_rule="mdt-agreed-date/v1", deadline_base=now, priority=2,
            journey_id=journey_id, resident_id=resident.id,
            context_kind=HOME_ROUND, context_id=rnd.id,
            candidate_profession=data.referral_to.value, instructions=_instructions(item, data),
        trigger=ROUND_DECIDED,
    ), now)
    decision = AgendaDecision(item_id=item.id, response=data.response,
                              clinician_id=data.clinician_id, by_date=data.by_date,
                              referral_to=data.referral_to.value if data.referral_to else None,
                              notes=data.notes, plan_change=data.plan_change, step_id=step_id,
                              decided_by_id=actor.id, decided_at=now)
    session.add(decision)
    if data.plan_change:
        _amend_plan(session, actor, resident.id, data.plan_change, now)
    if data.end_of_life:
        session.add(ResidentEvent(resident_id=resident.id, kind=ResidentEventKind.END_OF_LIFE,
                                  on=local_date(now, settings.timezone),
                                  note="Recognised by the MDT at the home round",
                                  recorded_by_id=actor.id, created_at=now))
        item.end_of_life = True
    rnd.status = RoundStatus.AGREED if rnd.status != RoundStatus.AGREED else rnd.status
    add_event(session, journey_id, "round.decision",
              f"Home round MDT: {data.response.value.replace('_', ' ')}", now, actor=actor.user,
              step_id=step_id, data={"round_id": str(rnd.id)})
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.decision",
          entity="agenda_decision", entity_id=decision.id, resident_id=resident.id,
          after=data.model_dump(mode="json"))
    return decision


def _instructions(item: AgendaItem, data: DecisionIn) -> str:
    why = "; ".join(r["text"] for r in item.reasons)
    return f"On the agenda for: {why}." + (f" MDT notes: {data.notes}" if data.notes else "")


def _clinician_for(session: Session, user_id: uuid.UUID | None, home_id: uuid.UUID) -> User:
    user = session.get(User, user_id) if user_id else None
    serves = user is not None and session.scalar(
        select(func.count()).select_from(HomeMembership).where(
            HomeMembership.user_id == user.id, HomeMembership.home_id == home_id))
    if user is None or not user.active or not serves or user.role not in CLINICIANS:
        raise InvalidInput("must be a clinician serving this home", field="clinician_id")
    return user


def _amend_plan(session: Session, actor: Actor, resident_id: uuid.UUID, change: str,
                now: datetime) -> None:
    """A jointly agreed decision updates the PCSP: a new version saying who changed what, why."""
    current = latest_plan_for_update(session, resident_id)
    if current is None:
        raise InvalidInput("the resident has no care plan yet to change", field="plan_change")
    session.add(CarePlan(
        resident_id=resident_id, step_id=None, version=current.version + 1,
        goals=current.goals,
        actions=[*current.actions, {"description": change, "owner": actor.user.display_name,
                                    "due": None}],
        escalation_wishes=current.escalation_wishes, agreed_with="MDT at the home round",
        review_date=current.review_date, created_by_id=actor.id, created_at=now,
        change_reason=f"Agreed at the home round MDT: {change}",
    ))


def close_round(session: Session, actor: Actor, round_id: uuid.UUID, now: datetime,
                notes: str | None = None) -> HomeRound:
    """The round is over: held, or, when nobody needed review, a recorded check-in (it counts)."""
    rnd = get_round(session, actor, round_id, lock=True)
    actor.require_role(MDT_ROLES, "close the round")
    if rnd.status in DONE_STATUSES:
        raise Conflict(f"the round is already recorded as {rnd.status.value.replace('_', '-')}")
    items = agenda(session, rnd)
    undecided = [row for row in items if row.decision is None]
    if undecided:
        raise InvalidInput(
            f"{len(undecided)} resident(s) on the agenda have no agreed response yet",
            field="agenda",
            errors=[{"field": f"agenda.{row.item.id}",
                     "reason": f"{row.resident.display_name}: no agreed response yet"}
                    for row in undecided])
    rnd.status = RoundStatus.HELD if items else RoundStatus.CHECK_IN
    rnd.completed_at, rnd.completed_by_id, rnd.notes = now, actor.id, notes
    session.execute(
        update(Step).where(Step.about(HOME_ROUND, rnd.id), Step.kind == RoundStep.PREPARE_ROUND,
                           Step.status.in_(OPEN_STATUSES))
        .values(status=StepStatus.CANCELLED, cancelled_reason="the round has been recorded")
    )
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.close",
          entity="home_round", entity_id=rnd.id, after={"status": rnd.status.value})
    return rnd


def mark_missed_rounds(session: Session, now: datetime) -> list[uuid.UUID]:
    """Rounds neither held nor checked in by the end of their day are missed; the home's
    clinical lead is told exactly once (the status change itself is the guard)."""
    missed = session.execute(
        update(HomeRound)
        .where(HomeRound.status.not_in((*DONE_STATUSES, RoundStatus.MISSED)),
               HomeRound.scheduled_at < now - timedelta(hours=24))
        .values(status=RoundStatus.MISSED)
        .returning(HomeRound.id, HomeRound.home_id, HomeRound.scheduled_at)
    ).all()
    for _, home_id, at in missed:
        home = session.get(CareHome, home_id)
        if home is not None and home.clinical_lead_id is not None:
            notify(session, home.clinical_lead_id, "escalation",
                   f"Missed home round at {home.name} ({at:%a %d %b}): no round or check-in "
                   "was recorded.", now)
    return [m[0] for m in missed]


def all_home_ids(session: Session) -> list[uuid.UUID]:
    """Every home: each gets its own preparation run, so one home never blocks another."""
    return list(session.scalars(select(CareHome.id).order_by(CareHome.id)))

"""Recording a set of observations and everything that follows in the same transaction:
NEWS2 on the resident's scale, the route from the PCN's ladder and the resident's wishes, the
deterioration with its SBARD draft, the urgent step for the first responder (visible at once)
and the repeat-observations step for the home's staff.

Nothing here checks who is asking: ``service`` does that. Nothing here imports the journey
service, so step effects may call it without an import cycle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from care.assessments import (
    CarePlan,
    PreferredContact,
    coded_contact,
    contact_words,
    current_plan,
    free_text_contact,
    latest_assessment,
    named_clinician_id,
)
from care.clock import CARE_TIMEZONE, end_of_day, local_date, local_time
from care.deterioration.kinds import (
    DETERIORATION,
    ESCALATED,
    OBSERVED,
    WENT_TO_HOSPITAL,
    DeteriorationStep,
)
from care.deterioration.models import (
    Deterioration,
    DeteriorationStatus,
    News2Baseline,
    ObservationSet,
    PcnEscalationPolicy,
    ResponseOutcome,
    Spo2ScaleDecision,
)
from care.deterioration.news2 import (
    SCALE_1,
    Consciousness,
    News2Result,
    Observations,
    Parameter,
    implausible,
    score,
)
from care.deterioration.routes import (
    DEFAULT_POLICY,
    RESPONDER_LABELS,
    HospitalWish,
    Policy,
    PolicyError,
    Responder,
    Route,
    Situation,
    Urgency,
    Wishes,
    clamped,
    minutes,
    policy_with,
    route,
)
from care.deterioration.sbard import RESUSCITATION_UNKNOWN, SbardFacts, draft
from care.deterioration.schemas import ObservationsIn, SoftSign
from care.directory.models import CareHome, HomeMembership, User
from care.errors import InvalidInput
from care.journeys.ledger import NewStep, add_event, open_step
from care.journeys.models import OPEN_STATUSES, Journey, Step, StepStatus
from care.journeys.notifications import notify
from care.residents import Episode, Resident, Setting
from care.rounds import ResidentEvent, ResidentEventKind
from care.types import Profession

#: Who takes the urgent step for each responder. For 999 the home's own staff make the call
#: and record what happened, so that step is for whoever is there (no profession).
RESPONDER_PROFESSION: dict[Responder, Profession | None] = {
    Responder.AMBULANCE: None,
    Responder.URGENT_COMMUNITY_RESPONSE: Profession.URGENT_COMMUNITY_RESPONSE,
    Responder.GP: Profession.GP,
    Responder.PALLIATIVE_CARE: Profession.PALLIATIVE_CARE,
    Responder.COMMUNITY_MATRON: Profession.COMMUNITY_MATRON,
    Responder.CARE_HOME_NURSE: Profession.CARE_HOME_STAFF,
}
URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.SAME_DAY: 1, Urgency.URGENT: 2, Urgency.EMERGENCY: 3}
#: The deadline rule of 'take a full set now': only a full set answers it.
FULL_SET_RULE = "full-set-now/v1"
#: Observations may be entered late (a set taken on paper overnight), but not a day late.
MAX_LATE_ENTRY = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)


# ---------------------------------------------------------------- what the record says


def policy_for_pcn(session: Session, pcn_id: uuid.UUID) -> Policy:
    """The PCN's ladder in force. Stored values are brought within the national floors
    again here (they are validated when saved; this guards rows written before the floors)."""
    stored = session.get(PcnEscalationPolicy, pcn_id)
    if stored is None:
        return DEFAULT_POLICY
    try:
        return policy_with(clamped(stored.values))
    except PolicyError:
        return DEFAULT_POLICY


def scale_decision(session: Session, resident_id: uuid.UUID) -> Spo2ScaleDecision | None:
    return session.scalar(
        select(Spo2ScaleDecision).where(Spo2ScaleDecision.resident_id == resident_id)
        .order_by(Spo2ScaleDecision.decided_at.desc(), Spo2ScaleDecision.id.desc()).limit(1)
    )


def baseline_of(session: Session, resident_id: uuid.UUID) -> News2Baseline | None:
    return session.scalar(
        select(News2Baseline).where(News2Baseline.resident_id == resident_id)
        .order_by(News2Baseline.set_at.desc(), News2Baseline.id.desc()).limit(1)
    )


def open_deterioration(
    session: Session, resident_id: uuid.UUID, *, lock: bool = False
) -> Deterioration | None:
    query = select(Deterioration).where(Deterioration.resident_id == resident_id,
                                        Deterioration.status == DeteriorationStatus.OPEN)
    return session.scalar(query.with_for_update() if lock else query)


@dataclass(frozen=True)
class Known:
    """What the record already says about the resident, read once per set: the route and the
    SBARD draft both use it."""

    plan: CarePlan | None
    baseline: News2Baseline | None
    end_of_life: bool
    # CPR / ReSPECT status for the SBARD and the urgent step; the end-of-life stage adds the
    # record. Until then None, and both say to check the home's own ReSPECT / DNACPR record.
    resuscitation: str | None = None


def known_about(session: Session, resident_id: uuid.UUID) -> Known:
    return Known(current_plan(session, resident_id), baseline_of(session, resident_id),
                 end_of_life(session, resident_id), resuscitation_status(session, resident_id))


def resuscitation_status(session: Session, resident_id: uuid.UUID) -> str | None:
    """The resident's CPR / ReSPECT status as carejourney records it, in words for a 999 crew.

    carejourney does not hold CPR / ReSPECT decisions yet (the end-of-life stage adds them),
    so this is None: the SBARD and the urgent step then say to check the home's own ReSPECT
    form or DNACPR record, never that it "is recorded separately" (hazard H-05)."""
    return None


def resuscitation_words(status: str | None) -> str:
    return RESUSCITATION_UNKNOWN if status is None else f"CPR / ReSPECT: {status}"


#: The PCSP's coded first contact, as the responder the ladder starts from.
CONTACT_RESPONDER: dict[PreferredContact, Responder] = {
    PreferredContact.GP: Responder.GP,
    PreferredContact.PALLIATIVE_CARE_TEAM: Responder.PALLIATIVE_CARE,
    PreferredContact.URGENT_COMMUNITY_RESPONSE: Responder.URGENT_COMMUNITY_RESPONSE,
}
#: A named clinician's profession, as a responder; any other profession falls back to the GP.
NAMED_PROFESSION_RESPONDER: dict[Profession, Responder] = {
    Profession.GP: Responder.GP,
    Profession.PALLIATIVE_CARE: Responder.PALLIATIVE_CARE,
    Profession.COMMUNITY_MATRON: Responder.COMMUNITY_MATRON,
    Profession.URGENT_COMMUNITY_RESPONSE: Responder.URGENT_COMMUNITY_RESPONSE,
}


def first_responder(contact: PreferredContact | None,
                    named_profession: Profession | None = None) -> Responder | None:
    """Who the coded first contact asks for (issue 8); None leaves the route's default."""
    if contact == PreferredContact.NAMED_CLINICIAN:
        return NAMED_PROFESSION_RESPONDER.get(named_profession or Profession.GP, Responder.GP)
    return CONTACT_RESPONDER.get(contact) if contact is not None else None


def wishes_of(
    plan: CarePlan | None, named_profession: Profession | None = None,
) -> tuple[Wishes, dict[str, Any]]:
    """The escalation wishes in the resident's current PCSP, as the route reads them.

    Only a coded first contact steers the route. Words written before it was coded ("not GP,
    call Dr Smith") are never parsed: the default applies (the GP, or the palliative care team
    at the end of life) until the clinical lead codes them. A named clinician's profession is
    read from the directory unless given (the pure cases give it).
    """
    if plan is None:
        return Wishes(), {"recorded": False}
    raw = plan.escalation_wishes or {}
    snapshot: dict[str, Any] = {"recorded": True, "pcsp_version": plan.version, **raw}
    contact = coded_contact(raw)
    clinician_id = named_clinician_id(raw)
    if clinician_id is not None:
        session = object_session(plan)
        clinician = session.get(User, clinician_id) if session is not None else None
        if clinician is not None:
            named_profession = named_profession or clinician.profession
            snapshot["named_clinician_name"] = clinician.display_name
    wish = HospitalWish(raw.get("hospital_admission", HospitalWish.YES.value))
    return (Wishes(hospital_admission=wish,
                   preferred_contact=first_responder(contact, named_profession)),
            snapshot)


def end_of_life(session: Session, resident_id: uuid.UUID) -> bool:
    return bool(session.scalar(
        select(func.count()).select_from(ResidentEvent).where(
            ResidentEvent.resident_id == resident_id,
            ResidentEvent.kind == ResidentEventKind.END_OF_LIFE)
    ))


# ---------------------------------------------------------------- recording


@dataclass
class Recorded:
    observation: ObservationSet
    news2: News2Result
    route: Route
    deterioration: Deterioration | None
    escalated: bool  # a deterioration opened, or its route became more urgent
    urgent_step_id: uuid.UUID | None = None
    repeat_step_id: uuid.UUID | None = None
    full_set_step_id: uuid.UUID | None = None
    baseline_set: bool = False


def _observations(data: ObservationsIn) -> Observations:
    return Observations(
        respiration_rate=data.respiration_rate, spo2=data.spo2, on_oxygen=data.on_oxygen,
        systolic_bp=data.systolic_bp, pulse=data.pulse, consciousness=data.consciousness,
        temperature=data.temperature,
    )


def validate(data: ObservationsIn, now: datetime) -> Observations:
    """Refuse implausible values and impossible times, each with its field and reason."""
    obs = _observations(data)
    errors = [{"field": f, "reason": r} for f, r in implausible(obs)]
    if data.taken_at is not None:
        if data.taken_at.tzinfo is None:
            errors.append({"field": "taken_at", "reason": "must include a time zone"})
        elif data.taken_at > now + CLOCK_SKEW:
            errors.append({"field": "taken_at", "reason": "must not be in the future"})
        elif data.taken_at < now - MAX_LATE_ENTRY:
            errors.append({"field": "taken_at",
                           "reason": "is more than 24 hours ago; record it in the notes"})
    nothing = (obs == Observations() and not data.soft_signs and not data.carer_concerned
               and not data.medical_emergency and not data.soft_signs_note)
    if nothing:
        errors.append({"field": "observations",
                       "reason": "record at least one observation, soft sign or concern"})
    if errors:
        raise InvalidInput("some observations cannot be recorded", errors=errors)
    return obs


def record(
    session: Session, resident: Resident, data: ObservationsIn, by: User, now: datetime,
    *, answering: Step | None = None,
) -> Recorded:
    """Store the set, score it, route it, and open or raise the escalation it calls for.

    ``answering`` is the repeat-observations step being completed with this set (its caller
    completes it); any other open repeat-observations step for the resident is answered too.
    """
    obs = validate(data, now)
    _check_answers(answering, obs)
    # One set at a time per resident (also via a repeat-observations step), so two sets
    # recorded together cannot both open an escalation.
    session.execute(select(Resident.id).where(Resident.id == resident.id).with_for_update())
    decision = scale_decision(session, resident.id)
    scale = decision.scale if decision else SCALE_1
    result = score(obs, scale)
    home = session.get(CareHome, resident.home_id)
    assert home is not None
    policy = policy_for_pcn(session, home.pcn_id)
    known = known_about(session, resident.id)
    wishes, wishes_snapshot = wishes_of(known.plan)
    signs = frozenset(SoftSign(s).label for s in data.soft_signs)
    baseline = known.baseline
    situation = Situation(
        news2_total=result.total if result.risk is not None else None,
        single_parameter_3=result.single_parameter_3,
        complete_set=result.complete,
        missing=tuple(p.value for p in result.missing),
        soft_signs=signs,
        consciousness=obs.consciousness,
        respiration_rate=obs.respiration_rate,
        carer_concerned=data.carer_concerned or bool(data.soft_signs_note),
        medical_emergency=data.medical_emergency,
        end_of_life_care=known.end_of_life,
        baseline_total=baseline.total if baseline else None,
    )
    the_route = route(situation, wishes, policy)
    row = _store(session, resident, data, result, the_route, by, now, answering)
    recorded = Recorded(observation=row, news2=result, route=the_route, deterioration=None,
                        escalated=False)
    current = open_deterioration(session, resident.id, lock=True)
    # A baseline is the resident's usual state: never a set taken while they are unwell, nor
    # one taken while an escalation is still open.
    if (result.complete and baseline is None and the_route.urgency == Urgency.ROUTINE
            and current is None):
        session.add(News2Baseline(resident_id=resident.id, observation_set_id=row.id,
                                  total=result.total, set_by_id=by.id, set_at=now,
                                  reason="First full set of observations recorded while well"))
        recorded.baseline_set = True

    if the_route.urgency != Urgency.ROUTINE and current is None:
        current = _open(session, resident, row, result, the_route, wishes_snapshot, policy,
                        known, by, now)
        recorded.escalated = True
    elif current is not None and (
            URGENCY_RANK[the_route.urgency] > URGENCY_RANK[current.urgency]
            or (the_route.call_999 and not at_999(current))):
        # More urgent, or the same urgency but now a medical emergency (an open GP-first
        # ladder for a "no admission" wish, then the resident stops responding): hazard H-04.
        _raise(session, current, resident, row, result, the_route, policy, known, by, now)
        recorded.escalated = True
    recorded.deterioration = current
    # Also once the escalation is closed: a repeat step it left must not wait for ever.
    _answer_repeat_steps(session, resident, row, by, now, answering)
    if current is not None:
        row.deterioration_id = current.id
        recorded.urgent_step_id = current.urgent_step_id
        recorded.repeat_step_id = _request_repeat(session, current, resident, row, now)
    elif the_route.repeat_obs_in is not None:
        # Routine monitoring still has a minimum frequency (RCP chart 4): hazard H-02.
        recorded.repeat_step_id = _request_routine_repeat(session, resident, row, the_route,
                                                          now)
    if the_route.full_set_in is not None:
        recorded.full_set_step_id = _request_full_set(session, resident, row, the_route,
                                                      current, now)
    session.flush()
    return recorded


def _check_answers(answering: Step | None, obs: Observations) -> None:
    """A 'take a full set now' step is done only by a full set, a repeat step only by a set
    with observations in it: a note or a lone value must not close them (hazard H-03, H-09)."""
    if answering is None:
        return
    missing = [f for f in ("respiration_rate", "spo2", "on_oxygen", "systolic_bp", "pulse",
                           "consciousness", "temperature") if getattr(obs, f) is None]
    if answering.deadline_rule == FULL_SET_RULE and missing:
        raise InvalidInput("this step asks for a full set of observations", errors=[
            {"field": name, "reason": "is needed for a full set; take it now"}
            for name in missing])
    if len(missing) == 7:
        raise InvalidInput("record the observations this step asks for, not only soft signs "
                           "or a note", field="observations")


def _store(
    session: Session, resident: Resident, data: ObservationsIn, result: News2Result,
    the_route: Route, by: User, now: datetime, answering: Step | None,
) -> ObservationSet:
    row = ObservationSet(
        id=uuid.uuid4(),
        resident_id=resident.id, home_id=resident.home_id,
        taken_at=data.taken_at or now, recorded_at=now, recorded_by_id=by.id,
        respiration_rate=data.respiration_rate, spo2=data.spo2, on_oxygen=data.on_oxygen,
        systolic_bp=data.systolic_bp, pulse=data.pulse, consciousness=data.consciousness,
        temperature=(Decimal(str(result_value(result, Parameter.TEMPERATURE)))
                     if data.temperature is not None else None),
        spo2_scale=result.scale,
        news2_total=result.total if result.risk is not None else None,
        news2_complete=result.complete,
        single_parameter_3=result.single_parameter_3,
        risk=result.risk,
        sub_scores={s.parameter.value: s.points for s in result.sub_scores},
        missing=[p.value for p in result.missing],
        soft_signs=[s.value for s in data.soft_signs],
        soft_signs_note=data.soft_signs_note,
        carer_concerned=data.carer_concerned,
        medical_emergency=data.medical_emergency,
        urgency=the_route.urgency,
        step_id=answering.id if answering else None,
    )
    session.add(row)
    session.flush()
    return row


def result_value(result: News2Result, parameter: Parameter) -> Any:
    for sub in result.sub_scores:
        if sub.parameter == parameter:
            return sub.value
    return None


# ---------------------------------------------------------------- the deterioration


def _acknowledge_minutes(the_route: Route, policy: Policy) -> int:
    """The route's acknowledgement window; the most urgent window when the route has none."""
    window = the_route.acknowledge_within or policy.acknowledge_within[Urgency.EMERGENCY]
    return max(1, minutes(window) or 1)


def _respond_by(the_route: Route, now: datetime) -> datetime | None:
    return now + the_route.respond_within if the_route.respond_within is not None else None


def _open(
    session: Session, resident: Resident, row: ObservationSet, result: News2Result,
    the_route: Route, wishes: dict[str, Any], policy: Policy, known: Known, by: User,
    now: datetime,
) -> Deterioration:
    journey = session.scalar(select(Journey).where(Journey.resident_id == resident.id))
    det = Deterioration(
        id=uuid.uuid4(),
        resident_id=resident.id, home_id=resident.home_id,
        journey_id=journey.id if journey else None,
        status=DeteriorationStatus.OPEN, opened_at=now, opened_by_id=by.id,
        trigger_observation_id=row.id,
        urgency=the_route.urgency, ladder=[r.value for r in the_route.ladder], level=0,
        reasons=list(the_route.reasons), wishes=wishes,
        respond_by=_respond_by(the_route, now),
        acknowledge_within_minutes=_acknowledge_minutes(the_route, policy),
        repeat_obs_minutes=minutes(the_route.repeat_obs_in),
        sbard=draft(sbard_facts(session, resident, row, result, known), the_route).as_dict(),
    )
    session.add(det)
    session.flush()
    session.add(ResidentEvent(
        resident_id=resident.id, kind=ResidentEventKind.DETERIORATION, on=local_date(now),
        note="; ".join(the_route.reasons)[:2000], recorded_by_id=by.id,
        data={"deterioration_id": str(det.id), "urgency": the_route.urgency.value,
              "news2": row.news2_total}, created_at=now))
    add_event(session, det.journey_id, "deterioration.raised",
              f"Deterioration raised: {'; '.join(the_route.reasons)}", now, actor=by,
              data={"deterioration_id": str(det.id), "urgency": det.urgency.value})
    open_urgent_step(session, det, resident, now, by=by)
    return det


def _raise(
    session: Session, det: Deterioration, resident: Resident, row: ObservationSet,
    result: News2Result, the_route: Route, policy: Policy, known: Known, by: User,
    now: datetime,
) -> None:
    """Worse than when it was raised: take the more urgent route from its first responder."""
    before = det.urgency
    det.urgency = the_route.urgency
    det.ladder = [r.value for r in the_route.ladder]
    det.level = 0
    det.reasons = [*det.reasons, *the_route.reasons]
    new_by = _respond_by(the_route, now)
    if new_by is not None and (det.respond_by is None or new_by < det.respond_by):
        det.respond_by = new_by
    det.repeat_obs_minutes = minutes(the_route.repeat_obs_in)
    det.acknowledge_within_minutes = _acknowledge_minutes(the_route, policy)
    det.sbard = {**draft(sbard_facts(session, resident, row, result, known, det.id),
                         the_route).as_dict(),
                 "recommendation": (det.sbard or {}).get("recommendation")}
    for step in open_urgent_steps(session, det.id):
        if step.status == StepStatus.READY:
            cancel(session, step, f"superseded: now {the_route.urgency.value.replace('_', ' ')}",
                   now)
        elif step.assignee_id is not None:
            level = the_route.urgency.value.replace("_", " ")
            notify(session, step.assignee_id, "urgent",
                   f"Worse: {resident.short_name} now needs an {level} response "
                   f"({'; '.join(the_route.reasons)}).", now,
                   step_id=step.id, resident_id=resident.id)
    change = (f"{before.value.replace('_', ' ')} → "
              f"{the_route.urgency.value.replace('_', ' ')}" if before != the_route.urgency
              else "now a medical emergency, 999")
    add_event(session, det.journey_id, "deterioration.worse",
              f"Worse: {change}: {'; '.join(the_route.reasons)}",
              now, actor=by, data={"deterioration_id": str(det.id)})
    open_urgent_step(session, det, resident, now, by=by)


def open_urgent_steps(session: Session, deterioration_id: uuid.UUID) -> list[Step]:
    return list(session.scalars(
        select(Step).where(Step.about(DETERIORATION, deterioration_id),
                           Step.kind == DeteriorationStep.URGENT_RESPONSE,
                           Step.status.in_(OPEN_STATUSES))
        .order_by(Step.opened_at).with_for_update()
    ))


def cancel(session: Session, step: Step, reason: str, now: datetime) -> None:
    step.status = StepStatus.CANCELLED
    step.cancelled_reason = reason
    add_event(session, step.journey_id, "step.cancelled", f"{step.title} cancelled: {reason}",
              now, step_id=step.id)


def at_999(det: Deterioration) -> bool:
    """The ladder stands at 999: the home's staff are to call an ambulance now."""
    return Responder(det.ladder[det.level]) == Responder.AMBULANCE


def urgent_title(det: Deterioration) -> str:
    responder = Responder(det.ladder[det.level])
    if responder == Responder.AMBULANCE:
        return "Call 999 now, then record what happened"
    what = {Urgency.EMERGENCY: "Emergency response", Urgency.URGENT: "Urgent response",
            Urgency.SAME_DAY: "Same-day review"}.get(det.urgency, "Review")
    return f"{what}: {RESPONDER_LABELS[responder]}"


def open_urgent_step(
    session: Session, det: Deterioration, resident: Resident, now: datetime,
    *, by: User | None = None,
) -> uuid.UUID | None:
    """The step for the ladder's current responder, due by the route's clock; its people are
    told at once. A 999 step is the recorder's own: they are the one making the call.

    A responder nobody in the home's MDT can be (no urgent community response team set up
    for the home, say) is skipped at once, not after the acknowledgement window: on a
    two-hour clock, half an hour waiting for nobody is time the resident does not have.
    """
    _skip_absent_responders(session, det, now)
    responder = Responder(det.ladder[det.level])
    profession = RESPONDER_PROFESSION[responder]
    is_999 = responder == Responder.AMBULANCE
    step_id = open_step(session, NewStep(
        dedupe_key=f"det:{det.id}:respond:{det.urgency.value}:{det.level}:{responder.value}",
        kind=DeteriorationStep.URGENT_RESPONSE,
        title=urgent_title(det),
        home_id=det.home_id,
        # A 999 call is due now, whatever the community clock was (hazard H-08).
        due_at=now if is_999 else (det.respond_by or now),
        deadline_rule=f"escalation-{det.urgency.value}/v1",
        deadline_base=det.opened_at,
        priority=1 if det.urgency in (Urgency.EMERGENCY, Urgency.URGENT) else 2,
        journey_id=det.journey_id,
        resident_id=det.resident_id,
        context_kind=DETERIORATION, context_id=det.id,
        candidate_profession=profession.value if profession else None,
        assignee_id=by.id if is_999 and by is not None else None,
        instructions=("; ".join(det.reasons)[:1700] + ". " + resuscitation_words(
            resuscitation_status(session, det.resident_id))),
        trigger=ESCALATED,
    ), now)
    if step_id is None:
        return None
    det.urgent_step_id = step_id
    message = (f"{urgent_title(det)} for {resident.short_name}"
               + (f", respond by {local_time(det.respond_by)}" if det.respond_by and not is_999
                  else "")
               + f": {'; '.join(det.reasons)}")
    recipients = set(responders(session, det.home_id, profession)) if profession else set()
    if is_999 and by is None:
        # The ladder reached 999 with nobody at the phone yet: every member of the home's
        # staff is told to make the call, not only its representatives (hazard H-08).
        recipients.update(home_staff(session, det.home_id))
    home = session.get(CareHome, det.home_id)
    if home is not None and home.clinical_lead_id and det.urgency == Urgency.EMERGENCY:
        recipients.add(home.clinical_lead_id)  # every emergency reaches the clinical lead
    recipients.update(named_clinician_to_tell(session, det))
    for user_id in recipients:
        notify(session, user_id, "urgent", message[:1000], now, step_id=step_id,
               resident_id=resident.id)
    return step_id


def named_clinician_to_tell(session: Session, det: Deterioration) -> set[uuid.UUID]:
    """The clinician the PCSP names as first contact hears of every urgent step at once, while
    they are active and serve the home (someone who has left is not sent the resident's news)."""
    clinician_id = named_clinician_id(det.wishes)
    if clinician_id is None:
        return set()
    serving = session.scalar(
        select(User.id).join(HomeMembership, HomeMembership.user_id == User.id).where(
            User.id == clinician_id, User.active, HomeMembership.home_id == det.home_id))
    return {serving} if serving is not None else set()


def present_level(session: Session, det: Deterioration, start: int) -> int | None:
    """The first ladder level from ``start`` that someone serving the home can take (999 is
    always there); None when nobody further up the ladder serves the home."""
    for level in range(start, len(det.ladder)):
        profession = RESPONDER_PROFESSION[Responder(det.ladder[level])]
        if profession is None or responders(session, det.home_id, profession):
            return level
    return None


def home_staff(session: Session, home_id: uuid.UUID) -> list[uuid.UUID]:
    """The home's own staff (active), who act when nobody else answers."""
    return list(session.scalars(
        select(User.id).join(HomeMembership, HomeMembership.user_id == User.id).where(
            HomeMembership.home_id == home_id, User.active,
            (User.profession == Profession.CARE_HOME_STAFF)
            | HomeMembership.is_home_representative)
    ))


def _skip_absent_responders(session: Session, det: Deterioration, now: datetime) -> None:
    level = present_level(session, det, det.level)
    if level is None:
        # Nobody on the ladder serves the home: the lead arranges the response, and the
        # home's staff are told plainly what to do meanwhile (hazard H-08).
        home = session.get(CareHome, det.home_id)
        ladder = ", ".join(RESPONDER_LABELS[Responder(r)] for r in det.ladder)
        if home is not None and home.clinical_lead_id:
            notify(session, home.clinical_lead_id, "escalation",
                   f"Nobody on the escalation ladder serves this home ({ladder}): "
                   "please arrange the response.", now, resident_id=det.resident_id)
        for user_id in home_staff(session, det.home_id):
            notify(session, user_id, "urgent",
                   f"Nobody on the escalation ladder ({ladder}) can respond. Call NHS 111 "
                   "now, or 999 if it is an emergency.", now, resident_id=det.resident_id)
        return
    if level != det.level:
        absent = ", ".join(RESPONDER_LABELS[Responder(r)] for r in det.ladder[det.level:level])
        det.level = level
        add_event(session, det.journey_id, "deterioration.passed_on",
                  f"Nobody serving this home is the {absent}: passed straight to the "
                  f"{RESPONDER_LABELS[Responder(det.ladder[level])]}", now,
                  data={"deterioration_id": str(det.id), "level": level})


def responders(session: Session, home_id: uuid.UUID, profession: Profession) -> list[uuid.UUID]:
    """Active members of the profession who serve the home."""
    return list(session.scalars(
        select(User.id).join(HomeMembership, HomeMembership.user_id == User.id).where(
            HomeMembership.home_id == home_id, User.profession == profession, User.active)
    ))


# ---------------------------------------------------------------- repeat observations


def _answer_repeat_steps(
    session: Session, resident: Resident, row: ObservationSet, by: User, now: datetime,
    answering: Step | None,
) -> None:
    """A set recorded for the resident answers any repeat-observations step still waiting."""
    waiting = session.scalars(
        select(Step).where(Step.resident_id == resident.id,
                           Step.kind == DeteriorationStep.REPEAT_OBSERVATIONS,
                           Step.status.in_(OPEN_STATUSES))
        .with_for_update()
    ).all()
    for step in waiting:
        if answering is not None and step.id == answering.id:
            continue
        if row.news2_total is None or (step.deadline_rule == FULL_SET_RULE
                                       and not row.news2_complete):
            continue  # a note or a partial set does not do what the step asks (H-03, H-09)
        step.status = StepStatus.COMPLETED
        step.completed_at = now
        step.completed_by_id = by.id
        step.assignee_id = step.assignee_id or by.id
        step.outcome = {"observation_set_id": str(row.id)}
        add_event(session, step.journey_id, "step.completed",
                  f"{step.title} completed by {by.display_name}", now, step_id=step.id,
                  actor=by, data={"late": now > step.due_at})


def _observations_step(
    session: Session, resident: Resident, now: datetime, *, key: str, title: str,
    within_minutes: int, rule: str, priority: int, det: Deterioration | None,
    instructions: str,
) -> uuid.UUID | None:
    """A step for the home's staff to take a set of observations, due within the minutes given;
    any later set for the resident answers it (``_answer_repeat_steps``)."""
    journey_id = (det.journey_id if det is not None else
                  session.scalar(select(Journey.id).where(Journey.resident_id == resident.id)))
    return open_step(session, NewStep(
        dedupe_key=key, kind=DeteriorationStep.REPEAT_OBSERVATIONS, title=title,
        home_id=resident.home_id, due_at=now + timedelta(minutes=within_minutes),
        deadline_rule=rule, deadline_base=now, priority=priority, journey_id=journey_id,
        resident_id=resident.id, context_kind=DETERIORATION if det is not None else None,
        context_id=det.id if det is not None else None,
        candidate_profession=Profession.CARE_HOME_STAFF.value, instructions=instructions,
        trigger=OBSERVED,
    ), now)


def _request_repeat(
    session: Session, det: Deterioration, resident: Resident, row: ObservationSet, now: datetime,
) -> uuid.UUID | None:
    if det.status != DeteriorationStatus.OPEN or not det.repeat_obs_minutes:
        return None
    every = det.repeat_obs_minutes
    return _observations_step(
        session, resident, now, key=f"det:{det.id}:repeat-after:{row.id}",
        title=f"Repeat observations (every {_interval_words(every)})", within_minutes=every,
        rule=f"repeat-observations-{det.urgency.value}/v1",
        priority=1 if det.urgency in (Urgency.EMERGENCY, Urgency.URGENT) else 2, det=det,
        instructions="Take a full set of observations and note any change in soft signs.")


def routine_repeat_key(observation_id: uuid.UUID) -> str:
    return f"obs:{observation_id}:repeat"


def full_set_key(observation_id: uuid.UUID) -> str:
    return f"obs:{observation_id}:full-set"


def steps_after(session: Session, observation_id: uuid.UUID) -> tuple[Step | None, Step | None]:
    """The routine repeat-observations step and the 'take a full set now' step this set
    opened, if it opened them."""
    found = {step.dedupe_key: step for step in session.scalars(select(Step).where(
        Step.dedupe_key.in_([routine_repeat_key(observation_id),
                             full_set_key(observation_id)])))}
    return (found.get(routine_repeat_key(observation_id)),
            found.get(full_set_key(observation_id)))


def _request_routine_repeat(
    session: Session, resident: Resident, row: ObservationSet, the_route: Route, now: datetime,
) -> uuid.UUID | None:
    """No escalation, but NEWS2 1-4 (or 0, if the PCN asks) still has a minimum monitoring
    frequency (RCP chart 4)."""
    every = minutes(the_route.repeat_obs_in)
    if not every:
        return None
    return _observations_step(
        session, resident, now, key=routine_repeat_key(row.id),
        title=f"Repeat observations (every {_interval_words(every)})", within_minutes=every,
        rule="repeat-observations-routine/v1", priority=3, det=None,
        instructions=(f"NEWS2 {row.news2_total}: take a full set of observations within "
                      f"{_interval_words(every)} and note any change in soft signs."))


def _request_full_set(
    session: Session, resident: Resident, row: ObservationSet, the_route: Route,
    det: Deterioration | None, now: datetime,
) -> uuid.UUID | None:
    """Soft signs or concern without a full set, or a partial set: the home's staff take a
    full set now (RESTORE2 practice), due within minutes, not at the next routine check."""
    missing = ", ".join(m.replace("_", " ") for m in the_route.missing) or "all"
    return _observations_step(
        session, resident, now, key=full_set_key(row.id),
        title="Take a full set of observations now",
        within_minutes=minutes(the_route.full_set_in) or 15, rule=FULL_SET_RULE,
        priority=1, det=det,
        instructions=(f"Not taken yet: {missing}. Take the full set of observations now, "
                      "and record any change in soft signs."))


def _interval_words(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


# ---------------------------------------------------------------- SBARD facts


def sbard_facts(
    session: Session, resident: Resident, row: ObservationSet, result: News2Result,
    known: Known, this_one: uuid.UUID | None = None,
) -> SbardFacts:
    """What the SBARD draws on; ``this_one`` (a deterioration being redrafted) is not counted
    among the resident's other recent escalations."""
    plan, baseline = known.plan, known.baseline
    assessment = latest_assessment(session, resident.id)
    wishes = (plan.escalation_wishes or {}) if plan else {}
    recent = session.scalars(
        select(ObservationSet.news2_total).where(
            ObservationSet.resident_id == resident.id, ObservationSet.id != row.id,
            ObservationSet.news2_total.is_not(None))
        .order_by(ObservationSet.taken_at.desc()).limit(5)
    ).all()
    since = local_date(row.recorded_at) - timedelta(days=30)
    events = session.execute(
        select(ResidentEvent.kind, func.count()).where(
            ResidentEvent.resident_id == resident.id, ResidentEvent.on >= since,
            ResidentEvent.data["deterioration_id"].astext.is_distinct_from(str(this_one)))
        .group_by(ResidentEvent.kind)
    ).tuples().all()
    counts = dict(events)
    last_stay: date | None = session.scalar(
        select(func.max(Episode.started_on)).where(
            Episode.resident_id == resident.id, Episode.setting == Setting.HOSPITAL)
    )
    scored = tuple(
        f"{sub.parameter.value.replace('_', ' ')} {_shown(sub.value)} ({sub.points})"
        for sub in result.sub_scores if sub.points
    )
    return SbardFacts(
        news2=result,
        soft_signs=tuple(SoftSign(s).label for s in row.soft_signs),
        soft_signs_note=row.soft_signs_note,
        carer_concerned=row.carer_concerned,
        medical_emergency=row.medical_emergency,
        baseline_total=baseline.total if baseline else None,
        recent_totals=tuple(t for t in reversed(recent) if t is not None),
        goals=tuple(g.get("description", "") for g in (plan.goals if plan else [])),
        what_matters=assessment.what_matters if assessment else None,
        hospital_admission_wish=wishes.get("hospital_admission"),
        preferred_contact=(contact_words(wishes, _named_name(session, wishes))
                           if coded_contact(wishes) else None),
        preferred_contact_review=contact_words(wishes) if free_text_contact(wishes) else None,
        wishes_note=wishes.get("notes"),
        plan_missing=plan is None,
        dementia=resident.dementia_status.value,
        end_of_life=known.end_of_life,
        new_confusion=(row.consciousness == Consciousness.NEW_CONFUSION
                       or SoftSign.MORE_CONFUSED.value in row.soft_signs),
        resuscitation=known.resuscitation,
        last_hospital_stay=last_stay,
        recent_falls=counts.get(ResidentEventKind.FALL, 0),
        recent_deteriorations=counts.get(ResidentEventKind.DETERIORATION, 0),
        scored_parameters=scored,
    )


def _named_name(session: Session, wishes: dict[str, Any]) -> str | None:
    clinician_id = named_clinician_id(wishes)
    clinician = session.get(User, clinician_id) if clinician_id is not None else None
    return clinician.display_name if clinician is not None else None


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "oxygen" if value else "air"
    return str(value).replace("_", " ")


# ---------------------------------------------------------------- leaving the home


def close_on_departure(
    session: Session, resident_id: uuid.UUID, reason: str, now: datetime,
    *, admitted: bool = False,
) -> None:
    """The resident left the home (hospital, discharge, death): the escalation ends with them.
    A hospital admission during an open escalation is its outcome (recorded directly rather
    than as the responder's decision), so it is queued for the matron's A&E review too."""
    det = open_deterioration(session, resident_id, lock=True)
    if det is None:
        return
    det.status = DeteriorationStatus.CLOSED
    det.closed_at = now
    det.decision = det.decision or f"Closed: {reason}"
    for step in session.scalars(select(Step).where(Step.about(DETERIORATION, det.id),
                                                   Step.status.in_(OPEN_STATUSES))):
        if step.kind != DeteriorationStep.AE_REVIEW:
            cancel(session, step, reason, now)
    if admitted:
        det.outcome = ResponseOutcome.ADMITTED
        queue_ae_review(session, det, now, "Hospital admission recorded during the escalation.")


AE_REVIEW_DAYS = 7


def queue_ae_review(session: Session, det: Deterioration, now: datetime, note: str,
                    *, tz: str = CARE_TIMEZONE) -> None:
    """Every A&E attendance is reviewed by the community matron with the home within a week
    (Hillingdon's practice), to learn what might have kept the resident at home."""
    assert det.outcome is not None
    due = end_of_day(local_date(now, tz) + timedelta(days=AE_REVIEW_DAYS), tz)
    open_step(session, NewStep(
        dedupe_key=f"det:{det.id}:ae-review",
        kind=DeteriorationStep.AE_REVIEW,
        title="Review the A&E attendance with the home",
        home_id=det.home_id,
        due_at=due,
        deadline_rule="ae-review-7-days/v1",
        deadline_base=now,
        priority=2,
        journey_id=det.journey_id,
        resident_id=det.resident_id,
        context_kind=DETERIORATION, context_id=det.id,
        candidate_profession=Profession.COMMUNITY_MATRON.value,
        instructions=f"{det.outcome.label} on {local_date(now, tz):%d %b %Y}. {note}"[:2000],
        trigger=WENT_TO_HOSPITAL,
    ), now)

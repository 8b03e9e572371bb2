"""Pure rules of the weekly home round: its schedule and the prioritised agenda.

Not every resident every week: residents are prioritised by care-home advice and MDT
judgement (GP contract EHCH specification, weekly home round; DOMAIN.md journey step 4).
The weights below are a default policy, configurable per PCN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from care.clock import CARE_TIMEZONE, local_datetime, zone
from care.residents import DementiaStatus


class Reason(StrEnum):
    NOT_ASSESSED = "not_assessed"
    NO_CARE_PLAN = "no_care_plan"
    HOSPITAL_RETURN = "hospital_return"
    DETERIORATION = "deterioration"
    FALLS = "falls"
    PLAN_REVIEW_DUE = "plan_review_due"
    OVERDUE_STEPS = "overdue_steps"
    SMR_DUE = "smr_due"
    NOT_REVIEWED = "not_reviewed"
    POSSIBLE_DEMENTIA = "possible_dementia"
    NOMINATED = "nominated"
    MDT_ADDED = "mdt_added"
    END_OF_LIFE = "end_of_life"


@dataclass(frozen=True)
class Policy:
    """Weights and windows of the prioritisation; a PCN may set its own."""

    weights: dict[Reason, int] = field(default_factory=lambda: {
        Reason.DETERIORATION: 50,
        Reason.NOMINATED: 40,
        Reason.MDT_ADDED: 40,
        Reason.HOSPITAL_RETURN: 35,
        Reason.NOT_ASSESSED: 30,
        Reason.FALLS: 30,
        Reason.NO_CARE_PLAN: 25,
        Reason.OVERDUE_STEPS: 20,
        Reason.PLAN_REVIEW_DUE: 15,
        Reason.SMR_DUE: 10,
        Reason.POSSIBLE_DEMENTIA: 10,
        Reason.NOT_REVIEWED: 10,
        Reason.END_OF_LIFE: 20,
    })
    hospital_return_days: int = 14
    falls_days: int = 14
    deterioration_days: int = 14
    review_due_within_days: int = 7
    not_reviewed_weeks: int = 8
    smr_interval_days: int = 365
    smr_many_medicines: int = 10
    prepare_days_before: int = 2


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Nomination:
    reason: str
    by_family: bool = False


@dataclass(frozen=True)
class ResidentFacts:
    """What the rules need to know about one resident, read from the record by the service."""

    stay_started_on: date
    assessment_done: bool
    plan_done: bool
    last_hospital_return_on: date | None = None
    deterioration_events: int = 0
    falls: int = 0
    plan_review_on: date | None = None
    overdue_steps: int = 0
    last_smr_on: date | None = None
    smr_next_review_on: date | None = None
    medicines_count: int | None = None
    last_reviewed_on: date | None = None
    dementia_status: DementiaStatus = DementiaStatus.UNKNOWN
    dementia_offer_made: bool = False
    end_of_life: bool = False
    nominations: tuple[Nomination, ...] = ()
    mdt_additions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inclusion:
    reason: Reason
    text: str
    score: int


def reasons_for_review(facts: ResidentFacts, today: date, policy: Policy = DEFAULT_POLICY,
                       ) -> tuple[Inclusion, ...]:
    """Why this resident should be seen at this week's round (empty: not this week)."""
    w = policy.weights
    found: list[Inclusion] = []

    def add(reason: Reason, text: str) -> None:
        found.append(Inclusion(reason, text, w[reason]))

    if facts.end_of_life:
        # Seen every week, flagged and listed first: never crowded out by higher scores.
        add(Reason.END_OF_LIFE, "May be in the last year of life: review each week")
    if not facts.assessment_done:
        add(Reason.NOT_ASSESSED, "New (re)admission: holistic assessment not yet done")
    elif not facts.plan_done:
        add(Reason.NO_CARE_PLAN, "New (re)admission: care and support plan not yet agreed")
    back = facts.last_hospital_return_on
    if back is not None and (today - back).days <= policy.hospital_return_days:
        add(Reason.HOSPITAL_RETURN, f"Back from hospital {back:%d %b}")
    if facts.deterioration_events:
        add(Reason.DETERIORATION, f"{_count(facts.deterioration_events, 'escalation')} for "
            f"deterioration in the last {policy.deterioration_days} days")
    if facts.falls:
        add(Reason.FALLS, f"{_count(facts.falls, 'fall')} in the last {policy.falls_days} days")
    review = facts.plan_review_on
    if review is not None and review <= today + timedelta(days=policy.review_due_within_days):
        add(Reason.PLAN_REVIEW_DUE, f"Care plan review due {review:%d %b}"
            + (" (past)" if review < today else ""))
    if facts.overdue_steps:
        add(Reason.OVERDUE_STEPS, f"{_count(facts.overdue_steps, 'overdue step')}")
    # Long-stay residents with no SMR on record are worked through the pharmacist's SMR
    # queue; on the agenda they would crowd out everyone else in the first weeks.
    recent_stay = (today - facts.stay_started_on).days <= 28
    if smr_due(facts, today, policy) and (facts.last_smr_on is not None or recent_stay):
        add(Reason.SMR_DUE, smr_reason(facts, today, policy))
    # Counted from the last round review, or from the start of the stay if never reviewed.
    since = facts.last_reviewed_on or facts.stay_started_on
    if facts.plan_done and (today - since).days >= 7 * policy.not_reviewed_weeks:
        add(Reason.NOT_REVIEWED, f"Not reviewed at a round for {(today - since).days // 7} weeks"
            + ("" if facts.last_reviewed_on else " (since admission)"))
    if (facts.dementia_status == DementiaStatus.POSSIBLE_UNDIAGNOSED
            and not facts.dementia_offer_made):
        add(Reason.POSSIBLE_DEMENTIA, "Possible undiagnosed dementia: offer an assessment")
    for nomination in facts.nominations:
        who = "Family (through staff)" if nomination.by_family else "Care-home staff"
        add(Reason.NOMINATED, f"{who}: {nomination.reason}")
    for why in facts.mdt_additions:
        add(Reason.MDT_ADDED, f"Added by the MDT: {why}")
    return tuple(found)


def smr_due(facts: ResidentFacts, today: date, policy: Policy = DEFAULT_POLICY) -> bool:
    """Care-home residents are prioritised for a structured medication review (SMR): after
    (re)admission, a hospital stay, falls, many medicines, or a year since the last one."""
    last = facts.last_smr_on
    if last is None:
        return True
    if (today - last).days >= policy.smr_interval_days:
        return True
    if facts.smr_next_review_on is not None and facts.smr_next_review_on <= today:
        return True  # the pharmacist set the next review date
    changed_since = [d for d in (facts.stay_started_on, facts.last_hospital_return_on) if d]
    if any(d > last for d in changed_since):
        return True
    many = facts.medicines_count is not None and facts.medicines_count >= policy.smr_many_medicines
    return bool(facts.falls) or (many and (today - last).days >= policy.smr_interval_days // 2)


def smr_reason(facts: ResidentFacts, today: date, policy: Policy = DEFAULT_POLICY) -> str:
    if facts.last_smr_on is None:
        return "Structured medication review: none on record"
    if (today - facts.last_smr_on).days >= policy.smr_interval_days:
        return f"Structured medication review: last {facts.last_smr_on:%d %b %Y}"
    if facts.smr_next_review_on is not None and facts.smr_next_review_on <= today:
        return f"Structured medication review: next review was due {facts.smr_next_review_on:%d %b}"
    return "Structured medication review: circumstances changed since the last one"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class AgendaEntry:
    resident_key: str
    inclusions: tuple[Inclusion, ...]
    score: int
    end_of_life: bool


def build_agenda(
    residents: dict[str, ResidentFacts], today: date, policy: Policy = DEFAULT_POLICY,
    *, removed: frozenset[str] = frozenset(),
) -> list[AgendaEntry]:
    """Everyone with a reason, most urgent first. End-of-life residents are flagged and always
    listed with their reasons: their place never depends on out-scoring others."""
    agenda = []
    for key, facts in residents.items():
        if key in removed:
            continue
        inclusions = reasons_for_review(facts, today, policy)
        if inclusions:
            score = sum(i.score for i in inclusions)
            agenda.append(AgendaEntry(key, inclusions, score, facts.end_of_life))
    agenda.sort(key=lambda e: (not e.end_of_life, -e.score, e.resident_key))
    return agenda


# ---------------------------------------------------------------- the schedule


def round_start(week_of: date, weekday: int, at: time, tz: str = CARE_TIMEZONE) -> datetime:
    """The home's round in the ISO week containing ``week_of`` (its agreed day and time)."""
    monday = week_of - timedelta(days=week_of.weekday())
    return datetime.combine(monday + timedelta(days=weekday), at, tzinfo=zone(tz))


def next_round(now: datetime, weekday: int, at: time, tz: str = CARE_TIMEZONE) -> datetime:
    """The home's next round starting at or after ``now``."""
    local = local_datetime(now, tz)
    this_week = round_start(local.date(), weekday, at, tz)
    return this_week if this_week >= local else round_start(
        local.date() + timedelta(days=7), weekday, at, tz)


def preparation_opens(round_at: datetime, policy: Policy = DEFAULT_POLICY) -> datetime:
    """When the 'prepare the round' step opens for the home's MDT (default: 2 days before)."""
    return round_at - timedelta(days=policy.prepare_days_before)


def iso_week(moment: datetime, tz: str = CARE_TIMEZONE) -> str:
    """A round's natural key: the ISO week of the round in local time, e.g. '2026-W48'."""
    year, week, _ = local_datetime(moment, tz).isocalendar()
    return f"{year}-W{week:02d}"

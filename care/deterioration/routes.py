"""Where a deterioration goes: the escalation route, decided by a pure, configurable policy.

The default ladder follows DOMAIN.md §6 and the RCP NEWS2 response thresholds (2017): a
medical emergency (the emergency box, responding only to pain or unresponsive, a respiration
rate of 8 or less) is always 999 at once, whatever the score or the plan; otherwise the score,
the soft signs and the carer's concern set the urgency, and the resident's own escalation
wishes (PCSP / treatment escalation plan) choose who responds: someone who wants no hospital
admission is routed to their GP or the palliative care team first, with 999 at the end of a
short ladder. A DNACPR decision is about CPR only and never changes the route.

Care-home ladders are local policy, so thresholds and times are configuration, but the
national standards are floors (``FLOORS``): a PCN may make its ladder more cautious, never
less (hazard log H-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

# The PCSP's own answer to "would they want hospital admission?", read as the route's input.
from care.assessments import HospitalAdmissionWish as HospitalWish
from care.deterioration.news2 import Consciousness

__all__ = [
    "DEFAULT_POLICY",
    "FLOORS",
    "NATIONAL_URGENT_RESPONSE",
    "NATIONAL_URGENT_RESPONSE_PERCENT",
    "POLICY_FIELDS",
    "RESPONDER_LABELS",
    "Floor",
    "HospitalWish",
    "Policy",
    "PolicyError",
    "Responder",
    "Route",
    "Situation",
    "Urgency",
    "Wishes",
    "clamped",
    "emergency_signs",
    "floor_problems",
    "minutes",
    "policy_values",
    "policy_with",
    "route",
    "time_to_999",
    "urgency_of",
]


class Urgency(StrEnum):
    EMERGENCY = "emergency"      # call 999 now
    URGENT = "urgent"            # urgent response (2-hour urgent community response)
    SAME_DAY = "same_day"        # clinical review today
    ROUTINE = "routine"          # continue routine monitoring


class Responder(StrEnum):
    AMBULANCE = "ambulance_999"
    URGENT_COMMUNITY_RESPONSE = "urgent_community_response"
    GP = "gp"
    PALLIATIVE_CARE = "palliative_care_team"
    COMMUNITY_MATRON = "community_matron"
    CARE_HOME_NURSE = "care_home_nurse"


RESPONDER_LABELS = {
    Responder.AMBULANCE: "999 ambulance",
    Responder.URGENT_COMMUNITY_RESPONSE: "urgent community response team",
    Responder.GP: "GP",
    Responder.PALLIATIVE_CARE: "palliative care team",
    Responder.COMMUNITY_MATRON: "community matron",
    Responder.CARE_HOME_NURSE: "care home nurse",
}


@dataclass(frozen=True)
class Wishes:
    """From the resident's PCSP / treatment escalation plan."""

    hospital_admission: HospitalWish = HospitalWish.YES
    preferred_contact: Responder | None = None
    dnacpr: bool = False  # recorded for completeness: it never changes the route


@dataclass(frozen=True)
class Situation:
    """What staff recorded: the score (possibly from a partial set), soft signs, concern."""

    news2_total: int | None = None
    single_parameter_3: bool = False
    complete_set: bool = True
    # The chart rows not taken (their names), so a partial set can say what is missing.
    missing: tuple[str, ...] = ()
    soft_signs: frozenset[str] = frozenset()
    carer_concerned: bool = False
    medical_emergency: bool = False
    # ACVPU and respiration rate as taken: P, U and a rate of 8 or less are emergencies.
    consciousness: Consciousness | None = None
    respiration_rate: int | None = None
    end_of_life_care: bool = False
    # A resident recognised as dying whose ReSPECT plan prioritises comfort: the one
    # exception to "emergency signs mean 999". The end-of-life stage records it; until that
    # record exists nothing sets this, so no exception applies.
    dying_comfort_plan: bool = False
    # The resident's usual NEWS2: a low score is judged against it, not against zero.
    baseline_total: int | None = None


class PolicyError(ValueError):
    """A ladder that breaks a national floor; ``errors`` are (field, reason) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))


def _ack_defaults() -> dict[Urgency, timedelta]:
    return {Urgency.EMERGENCY: timedelta(minutes=10), Urgency.URGENT: timedelta(minutes=20),
            Urgency.SAME_DAY: timedelta(minutes=30)}


def _repeat_defaults() -> dict[Urgency, timedelta | None]:
    return {Urgency.EMERGENCY: timedelta(minutes=15), Urgency.URGENT: timedelta(hours=1),
            Urgency.SAME_DAY: timedelta(hours=4), Urgency.ROUTINE: None}


@dataclass(frozen=True)
class Policy:
    """A PCN's escalation ladder; the defaults are a sensible starting point, within FLOORS."""

    high_from: int = 7
    medium_from: int = 5
    # A low score (1-4) needs a same-day review when it is this far above the resident's
    # baseline, or, with no baseline yet, from this score; otherwise the nurse or senior
    # carer in charge assesses and monitors (RCP: low risk, ward-based response).
    rise_from_baseline: int = 2
    low_without_baseline_from: int = 3
    urgent_response_within: timedelta = timedelta(hours=2)
    gp_urgent_within: timedelta = timedelta(hours=1)
    same_day_within: timedelta = timedelta(hours=6)
    # How long each responder has to acknowledge before the ladder passes it on: shorter for
    # more urgent routes.
    acknowledge_within: dict[Urgency, timedelta] = field(default_factory=_ack_defaults)
    repeat_obs: dict[Urgency, timedelta | None] = field(default_factory=_repeat_defaults)
    # Routine monitoring (RCP chart 4): NEWS2 1-4 at least every 4-6 hours; NEWS2 0 at least
    # 12-hourly, prompted only if the PCN asks (care homes observe well residents less).
    repeat_obs_low: timedelta = timedelta(hours=4)
    repeat_obs_zero: timedelta | None = None
    # Soft signs, concern or a partial set: take a full set now (RESTORE2 practice).
    full_set_within: timedelta = timedelta(minutes=15)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Route:
    urgency: Urgency
    ladder: tuple[Responder, ...]   # first responder, then who takes over if unacknowledged
    respond_within: timedelta | None
    repeat_obs_in: timedelta | None
    reasons: tuple[str, ...]
    # Staff to take a full set now (soft signs or concern without one, or a partial set).
    full_set_in: timedelta | None = None
    missing: tuple[str, ...] = ()
    acknowledge_within: timedelta | None = None

    @property
    def call_999(self) -> bool:
        return self.ladder[:1] == (Responder.AMBULANCE,)


def emergency_signs(situation: Situation) -> list[str]:
    """Signs that are a medical emergency whatever the score (RESTORE2 practice, RCP ACVPU):
    the emergency box, responding only to pain or unresponsive, respiration rate 8 or less."""
    signs: list[str] = []
    if situation.medical_emergency:
        signs.append("Medical emergency reported by staff")
    if situation.consciousness == Consciousness.UNRESPONSIVE:
        signs.append("Unresponsive")
    elif situation.consciousness == Consciousness.PAIN:
        signs.append("Responds only to pain")
    rate = situation.respiration_rate
    if rate is not None and rate <= 8:
        signs.append(f"Respiration rate {rate} per minute (8 or less)")
    return signs


def _missing_words(situation: Situation) -> str:
    return ", ".join(m.replace("_", " ") for m in situation.missing) or "the full set"


def urgency_of(situation: Situation, policy: Policy = DEFAULT_POLICY) -> tuple[Urgency, list[str]]:
    """How urgent: emergency signs first and unconditionally, then the score, then concern."""
    why: list[str] = []
    signs = emergency_signs(situation)
    if signs:
        return Urgency.EMERGENCY, [f"{'; '.join(signs)}: medical emergency, call 999 now, do "
                                   "not wait for a score"]
    total = situation.news2_total
    partial = "" if situation.complete_set else " (partial set of observations)"
    if total is not None and total >= policy.high_from:
        return Urgency.EMERGENCY, [f"NEWS2 {total}{partial}: high clinical risk"]
    if total is not None and total >= policy.medium_from:
        return Urgency.URGENT, [f"NEWS2 {total}{partial}: medium clinical risk"]
    if situation.single_parameter_3:
        return Urgency.URGENT, [f"NEWS2 {total}{partial} with a 3 in one parameter"]
    urgency = Urgency.ROUTINE
    if total is not None and total >= 1:
        baseline = situation.baseline_total
        if baseline is not None and total - baseline >= policy.rise_from_baseline:
            urgency = Urgency.SAME_DAY
            why.append(f"NEWS2 {total}{partial}: low clinical risk but {total - baseline} "
                       f"above their baseline of {baseline}")
        elif baseline is None and total >= policy.low_without_baseline_from:
            urgency = Urgency.SAME_DAY
            why.append(f"NEWS2 {total}{partial}: low clinical risk, no baseline to compare")
        else:
            usual = f" (their baseline is {baseline})" if baseline is not None else ""
            why.append(f"NEWS2 {total}{partial}: low clinical risk{usual}; the nurse or "
                       "senior carer in charge to assess and repeat the observations within "
                       f"{_duration_words(policy.repeat_obs_low)}")
    if situation.soft_signs or situation.carer_concerned:
        # A carer's concern escalates on its own, even when NEWS2 is 0.
        urgency = Urgency.SAME_DAY
        signs_text = ", ".join(sorted(situation.soft_signs))
        why.append("Staff concerned" + (f": {signs_text}" if signs_text else ""))
    if total is None and not why:
        why.append("No observations recorded")
    if total == 0 and not why:
        why.append("NEWS2 0: low clinical risk" if situation.complete_set else
                   f"NEWS2 0 from a partial set: not enough to say they are well "
                   f"({_missing_words(situation)} not taken)")
    return urgency, why


def _community(situation: Situation, wishes: Wishes) -> Responder:
    """Who responds in the community first: their coded first contact, else the GP (the
    palliative care team near the end of life)."""
    if wishes.preferred_contact in (Responder.GP, Responder.PALLIATIVE_CARE,
                                    Responder.URGENT_COMMUNITY_RESPONSE,
                                    Responder.COMMUNITY_MATRON):
        return wishes.preferred_contact
    return Responder.PALLIATIVE_CARE if situation.end_of_life_care else Responder.GP


def route(situation: Situation, wishes: Wishes, policy: Policy = DEFAULT_POLICY) -> Route:
    """The escalation route for this deterioration, following the resident's wishes."""
    urgency, reasons = urgency_of(situation, policy)
    no_hospital = wishes.hospital_admission == HospitalWish.NO
    community = _community(situation, wishes)
    signs = emergency_signs(situation)
    if signs and situation.dying_comfort_plan:
        # Dying, with a ReSPECT plan that prioritises comfort: the palliative care team comes
        # to them urgently; 999 stays at the end of the ladder.
        ladder: tuple[Responder, ...] = (Responder.PALLIATIVE_CARE,
                                         Responder.URGENT_COMMUNITY_RESPONSE, Responder.AMBULANCE)
        within: timedelta | None = policy.gp_urgent_within
        reasons = ["; ".join(signs) + ": recognised as dying, with a "
                   "ReSPECT plan prioritising comfort: palliative care team urgently"]
    elif urgency == Urgency.EMERGENCY and signs:
        ladder = (Responder.AMBULANCE,)
        within = timedelta(0)
    elif urgency == Urgency.EMERGENCY and no_hospital:
        # Their plan says no hospital admission: the right help comes to them, urgently, and
        # the ladder reaches 999 within 30 minutes if nobody acknowledges (time_to_999).
        ladder = tuple(dict.fromkeys((community, Responder.URGENT_COMMUNITY_RESPONSE,
                                      Responder.AMBULANCE)))
        within = policy.gp_urgent_within
        reasons = [*reasons, "Wishes no hospital admission: routed to the "
                   f"{RESPONDER_LABELS[ladder[0]]} first, 999 if nobody acknowledges"]
    elif urgency == Urgency.EMERGENCY:
        ladder = (Responder.AMBULANCE,)
        within = timedelta(0)
    elif urgency == Urgency.URGENT:
        ladder = tuple(dict.fromkeys((Responder.URGENT_COMMUNITY_RESPONSE, community,
                                      Responder.COMMUNITY_MATRON)))
        within = policy.urgent_response_within
        if wishes.hospital_admission == HospitalWish.DISCUSS:
            reasons = [*reasons, "Discuss before any hospital admission (their plan)"]
    elif urgency == Urgency.SAME_DAY:
        ladder = tuple(dict.fromkeys((community, Responder.COMMUNITY_MATRON)))
        within = policy.same_day_within
    else:
        ladder = (Responder.CARE_HOME_NURSE,)
        within = None
    repeat = policy.repeat_obs.get(urgency)
    if urgency == Urgency.ROUTINE and situation.news2_total is not None:
        repeat = policy.repeat_obs_low if situation.news2_total >= 1 else policy.repeat_obs_zero
    full_set = None
    if not situation.complete_set and ladder[:1] != (Responder.AMBULANCE,):
        # Soft signs or concern without a set, or a partial set: take a full set now. Not
        # when 999 is the route: the call comes first and the crew observe.
        full_set = policy.full_set_within
        reasons = [*reasons, f"Take a full set of observations now ({_missing_words(situation)} "
                   f"not taken), within {_duration_words(full_set)}"]
    return Route(urgency=urgency, ladder=ladder, respond_within=within,
                 repeat_obs_in=repeat, reasons=tuple(reasons), full_set_in=full_set,
                 missing=situation.missing,
                 acknowledge_within=policy.acknowledge_within.get(urgency))


def time_to_999(the_route: Route) -> timedelta | None:
    """How long, at most, before an unacknowledged ladder reaches 999 (None: it never does).
    Absent responders are skipped at once, so this is the sum of the windows before it."""
    if Responder.AMBULANCE not in the_route.ladder:
        return None
    steps = the_route.ladder.index(Responder.AMBULANCE)
    return (the_route.acknowledge_within or timedelta(0)) * steps


def _duration_words(value: timedelta | None) -> str:
    if value is None:
        return "no set time"
    total = int(value.total_seconds() // 60)
    if total % 60 == 0:
        hours = total // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{total} minutes"


# ---------------------------------------------------------------- a PCN's own ladder


@dataclass(frozen=True)
class Floor:
    """The bounds a PCN may set a ladder field within, and the national standard behind them."""

    low: int
    high: int
    why: str


#: National standards as floors: every bound is as cautious as the standard or more. A value
#: outside is refused with the field and this reason (hazard log H-01).
FLOORS: dict[str, Floor] = {
    "high_from": Floor(1, 7, "RCP NEWS2: a score of 7 or more is high clinical risk "
                       "(emergency response)"),
    "medium_from": Floor(1, 5, "RCP NEWS2: a score of 5 or more is medium clinical risk "
                         "(urgent response)"),
    "rise_from_baseline": Floor(1, 4, "a rise of more than 4 reaches the medium band anyway"),
    "low_without_baseline_from": Floor(1, 4, "scores of 5 or more are urgent anyway"),
    "urgent_response_minutes": Floor(1, 120, "the national urgent community response "
                                     "standard is within 2 hours"),
    "gp_urgent_minutes": Floor(1, 60, "a high score routed to the community (no hospital "
                               "admission wish) needs a response within the hour"),
    "same_day_minutes": Floor(1, 360, "a same-day review is within 6 hours"),
    "acknowledge_emergency_minutes": Floor(1, 15, "an emergency ladder must reach 999 within "
                                           "30 minutes"),
    "acknowledge_urgent_minutes": Floor(1, 30, "a 2-hour response cannot wait longer to be "
                                        "passed on"),
    "acknowledge_same_day_minutes": Floor(1, 60, "a same-day review cannot wait longer to be "
                                          "passed on"),
    "repeat_obs_emergency_minutes": Floor(1, 30, "RCP: NEWS2 7 or more needs continuous "
                                          "monitoring; in a care home at least every 30 "
                                          "minutes until help arrives"),
    "repeat_obs_urgent_minutes": Floor(1, 60, "RCP: NEWS2 5-6 or a single 3 needs "
                                       "observations at least hourly"),
    "repeat_obs_same_day_minutes": Floor(1, 240, "RCP: NEWS2 1-4 needs observations at least "
                                         "every 4-6 hours; a concern raised, every 4"),
    "repeat_obs_low_minutes": Floor(1, 360, "RCP: NEWS2 1-4 needs observations at least every "
                                    "4-6 hours"),
    "repeat_obs_zero_minutes": Floor(1, 720, "RCP: NEWS2 0 needs observations at least "
                                     "12-hourly"),
    "full_set_minutes": Floor(1, 15, "soft signs or a partial set: take a full set straight "
                              "away"),
}

#: Where each time field lives on ``Policy``: an attribute, or one urgency's entry of a dict.
_TIME_FIELDS: dict[str, tuple[str, Urgency | None]] = {
    "urgent_response_minutes": ("urgent_response_within", None),
    "gp_urgent_minutes": ("gp_urgent_within", None),
    "same_day_minutes": ("same_day_within", None),
    "acknowledge_emergency_minutes": ("acknowledge_within", Urgency.EMERGENCY),
    "acknowledge_urgent_minutes": ("acknowledge_within", Urgency.URGENT),
    "acknowledge_same_day_minutes": ("acknowledge_within", Urgency.SAME_DAY),
    "repeat_obs_emergency_minutes": ("repeat_obs", Urgency.EMERGENCY),
    "repeat_obs_urgent_minutes": ("repeat_obs", Urgency.URGENT),
    "repeat_obs_same_day_minutes": ("repeat_obs", Urgency.SAME_DAY),
    "repeat_obs_low_minutes": ("repeat_obs_low", None),
    "repeat_obs_zero_minutes": ("repeat_obs_zero", None),
    "full_set_minutes": ("full_set_within", None),
}
_ACK_FIELDS = tuple(n for n, (attribute, _) in _TIME_FIELDS.items()
                    if attribute == "acknowledge_within")
#: Every field a PCN may set, in the order people read a ladder.
POLICY_FIELDS: tuple[str, ...] = tuple(FLOORS)
#: The national urgent community response standard: clinical care within 2 hours of referral,
#: for at least 70% of referrals. Measured against these, never a PCN's own clock.
NATIONAL_URGENT_RESPONSE = timedelta(hours=2)
NATIONAL_URGENT_RESPONSE_PERCENT = 70
#: The longest an emergency ladder may take to reach 999 when nobody acknowledges.
MAX_TIME_TO_999 = timedelta(minutes=30)


def floor_problems(values: Mapping[str, int | None]) -> list[tuple[str, str]]:
    """Each field outside its floor, with the bound and the standard behind it."""
    problems: list[tuple[str, str]] = []
    for name, value in values.items():
        floor = FLOORS.get(name)
        if floor is None:
            problems.append((name, "is not a setting of the escalation ladder"))
        elif value is not None and not floor.low <= value <= floor.high:
            problems.append((name, f"must be between {floor.low} and {floor.high} "
                                   f"({floor.why}); a PCN may make its ladder more cautious, "
                                   "never less"))
    return problems


def policy_with(overrides: Mapping[str, int | None], base: Policy = DEFAULT_POLICY) -> Policy:
    """The default ladder with a PCN's overrides (minutes and thresholds); unset keeps default.

    Raises ``PolicyError`` naming each field outside its national floor, or when the ladder
    would not be one (medium not below high; acknowledgement windows longer for more urgent
    routes).
    """
    problems = floor_problems(overrides)
    if problems:
        raise PolicyError(problems)
    changes: dict[str, Any] = {"acknowledge_within": dict(base.acknowledge_within),
                               "repeat_obs": dict(base.repeat_obs)}
    for name in ("high_from", "medium_from", "rise_from_baseline", "low_without_baseline_from"):
        if overrides.get(name) is not None:
            changes[name] = overrides[name]
    for name, (attribute, urgency) in _TIME_FIELDS.items():
        if overrides.get(name) is None:
            continue
        value = timedelta(minutes=int(overrides[name] or 0))
        if urgency is None:
            changes[attribute] = value
        else:
            changes[attribute][urgency] = value
    policy = replace(base, **changes)
    acknowledge = policy.acknowledge_within
    if policy.medium_from >= policy.high_from:
        problems.append(("medium_from", "must be below the high-risk threshold "
                                        f"(high_from, {policy.high_from})"))
    if acknowledge[Urgency.EMERGENCY] > acknowledge[Urgency.URGENT]:
        problems.append(("acknowledge_emergency_minutes", "must not be longer than the urgent "
                         "route's window: more urgent routes pass on sooner"))
    if acknowledge[Urgency.URGENT] > acknowledge[Urgency.SAME_DAY]:
        problems.append(("acknowledge_urgent_minutes", "must not be longer than the same-day "
                         "route's window: more urgent routes pass on sooner"))
    if problems:
        raise PolicyError(problems)
    return policy


def minutes(value: timedelta | None) -> int | None:
    """A policy or route time in whole minutes, as people set and read them."""
    return None if value is None else int(value.total_seconds() // 60)


def policy_values(policy: Policy) -> dict[str, int | None]:
    """The ladder as the flat minutes-and-thresholds form people edit."""
    values: dict[str, int | None] = {
        "high_from": policy.high_from, "medium_from": policy.medium_from,
        "rise_from_baseline": policy.rise_from_baseline,
        "low_without_baseline_from": policy.low_without_baseline_from}
    for name, (attribute, urgency) in _TIME_FIELDS.items():
        held = getattr(policy, attribute)
        values[name] = minutes(held if urgency is None else held.get(urgency))
    return {name: values[name] for name in POLICY_FIELDS}


def clamped(values: Mapping[str, Any]) -> dict[str, int | None]:
    """Stored overrides brought within the floors (for ladders saved before the floors
    existed): each value out of bounds becomes its bound; unknown names are dropped."""
    kept: dict[str, int | None] = {}
    legacy_ack = values.get("acknowledge_minutes")  # one window for every route, before
    if legacy_ack is not None:
        for name in _ACK_FIELDS:
            kept[name] = int(legacy_ack)
    for name, value in values.items():
        floor = FLOORS.get(name)
        if floor is not None and value is not None:
            kept[name] = int(value)
    out: dict[str, int | None] = {
        name: min(max(value, FLOORS[name].low), FLOORS[name].high)
        for name, value in kept.items() if value is not None}
    high = out.get("high_from") or DEFAULT_POLICY.high_from
    if (out.get("medium_from") or DEFAULT_POLICY.medium_from) >= high:
        out["medium_from"] = max(1, high - 1)
    return out

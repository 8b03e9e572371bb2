"""Where a deterioration goes: the escalation route, decided by a pure, configurable policy.

The default ladder follows DOMAIN.md §6 and the RCP NEWS2 response thresholds (2017): a
medical emergency is always 999 at once; otherwise the score, the soft signs and the carer's
concern set the urgency, and the resident's own escalation wishes (PCSP / treatment
escalation plan) choose who responds: someone who wants no hospital admission is routed to
their GP or the palliative care team instead of emergency care. A DNACPR decision is about
CPR only and never changes the route. Care-home escalation ladders are local policy, so every
threshold and time here is configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

# The PCSP's own answer to "would they want hospital admission?", read as the route's input.
from care.assessments.schemas import HospitalAdmissionWish as HospitalWish

__all__ = ["DEFAULT_POLICY", "HospitalWish", "Policy", "Responder", "Route", "Situation",
           "Urgency", "Wishes", "minutes", "policy_values", "policy_with", "route", "urgency_of"]


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
    soft_signs: frozenset[str] = frozenset()
    carer_concerned: bool = False
    medical_emergency: bool = False
    end_of_life_care: bool = False
    # The resident's usual NEWS2: a low score is judged against it, not against zero.
    baseline_total: int | None = None


@dataclass(frozen=True)
class Policy:
    """A PCN's escalation ladder; the defaults are a sensible starting point, not a standard."""

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
    acknowledge_within: timedelta = timedelta(minutes=30)
    repeat_obs: dict[Urgency, timedelta | None] = field(default_factory=lambda: {
        Urgency.EMERGENCY: timedelta(minutes=15),
        Urgency.URGENT: timedelta(hours=1),
        Urgency.SAME_DAY: timedelta(hours=4),
        Urgency.ROUTINE: None,
    })


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Route:
    urgency: Urgency
    ladder: tuple[Responder, ...]   # first responder, then who takes over if unacknowledged
    respond_within: timedelta | None
    repeat_obs_in: timedelta | None
    reasons: tuple[str, ...]

    @property
    def call_999(self) -> bool:
        return self.ladder[:1] == (Responder.AMBULANCE,)


def urgency_of(situation: Situation, policy: Policy = DEFAULT_POLICY) -> tuple[Urgency, list[str]]:
    """How urgent: emergency first and unconditionally, then the score, then concern."""
    why: list[str] = []
    if situation.medical_emergency:
        return Urgency.EMERGENCY, ["Medical emergency: call 999 now, do not wait for a score"]
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
                       "senior carer in charge to assess and repeat within 12 hours")
    if situation.soft_signs or situation.carer_concerned:
        # A carer's concern escalates on its own, even when NEWS2 is 0.
        urgency = Urgency.SAME_DAY
        signs = ", ".join(sorted(situation.soft_signs))
        why.append("Staff concerned" + (f": {signs}" if signs else ""))
    if total is None and not why:
        why.append("No observations recorded")
    return urgency, why or [f"NEWS2 {total}: no change from routine care"]


def route(situation: Situation, wishes: Wishes, policy: Policy = DEFAULT_POLICY) -> Route:
    """The escalation route for this deterioration, following the resident's wishes."""
    urgency, reasons = urgency_of(situation, policy)
    no_hospital = wishes.hospital_admission == HospitalWish.NO
    community = (Responder.PALLIATIVE_CARE if situation.end_of_life_care else Responder.GP)
    if wishes.preferred_contact in (Responder.GP, Responder.PALLIATIVE_CARE):
        community = wishes.preferred_contact
    if urgency == Urgency.EMERGENCY and situation.medical_emergency:
        ladder: tuple[Responder, ...] = (Responder.AMBULANCE,)
        within = timedelta(0)
    elif urgency == Urgency.EMERGENCY and no_hospital:
        # Their plan says no hospital admission: the right help comes to them, urgently.
        ladder = (community, Responder.URGENT_COMMUNITY_RESPONSE, Responder.AMBULANCE)
        within = policy.gp_urgent_within
        reasons = [*reasons, "Wishes no hospital admission: routed to "
                   f"{community.value.replace('_', ' ')}, not 999"]
    elif urgency == Urgency.EMERGENCY:
        ladder = (Responder.AMBULANCE,)
        within = timedelta(0)
    elif urgency == Urgency.URGENT:
        ladder = (Responder.URGENT_COMMUNITY_RESPONSE, community, Responder.COMMUNITY_MATRON)
        within = policy.urgent_response_within
        if wishes.hospital_admission == HospitalWish.DISCUSS:
            reasons = [*reasons, "Discuss before any hospital admission (their plan)"]
    elif urgency == Urgency.SAME_DAY:
        ladder = (community, Responder.COMMUNITY_MATRON)
        within = policy.same_day_within
    else:
        ladder = (Responder.CARE_HOME_NURSE,)
        within = None
    return Route(urgency=urgency, ladder=ladder, respond_within=within,
                 repeat_obs_in=policy.repeat_obs[urgency], reasons=tuple(reasons))


# ---------------------------------------------------------------- a PCN's own ladder

_MINUTE_FIELDS = {
    "urgent_response_minutes": "urgent_response_within",
    "gp_urgent_minutes": "gp_urgent_within",
    "same_day_minutes": "same_day_within",
    "acknowledge_minutes": "acknowledge_within",
}
_REPEAT_FIELDS = {
    "repeat_obs_emergency_minutes": Urgency.EMERGENCY,
    "repeat_obs_urgent_minutes": Urgency.URGENT,
    "repeat_obs_same_day_minutes": Urgency.SAME_DAY,
}


def policy_with(overrides: dict[str, int | None], base: Policy = DEFAULT_POLICY) -> Policy:
    """The default ladder with a PCN's overrides (minutes and thresholds); unset keeps default.

    Raises ``ValueError`` naming the field when the thresholds would not make a ladder.
    """
    changes: dict[str, object] = {}
    for name in ("high_from", "medium_from", "rise_from_baseline", "low_without_baseline_from"):
        if overrides.get(name) is not None:
            changes[name] = overrides[name]
    for name, attribute in _MINUTE_FIELDS.items():
        if overrides.get(name) is not None:
            changes[attribute] = timedelta(minutes=int(overrides[name] or 0))
    repeat = dict(base.repeat_obs)
    for name, urgency in _REPEAT_FIELDS.items():
        if overrides.get(name) is not None:
            repeat[urgency] = timedelta(minutes=int(overrides[name] or 0))
    policy = Policy(**{**base.__dict__, **changes, "repeat_obs": repeat})
    if policy.medium_from >= policy.high_from:
        raise ValueError("medium_from: must be below the high-risk threshold "
                         f"(high_from, {policy.high_from})")
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
    for name, attribute in _MINUTE_FIELDS.items():
        values[name] = minutes(getattr(policy, attribute))
    for name, urgency in _REPEAT_FIELDS.items():
        values[name] = minutes(policy.repeat_obs.get(urgency))
    return values

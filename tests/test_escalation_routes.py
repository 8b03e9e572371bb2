"""The escalation policy: urgency from the score and concern, routes from the wishes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from care.deterioration.news2 import Consciousness
from care.deterioration.routes import (
    DEFAULT_POLICY,
    FLOORS,
    HospitalWish,
    Policy,
    PolicyError,
    Responder,
    Situation,
    Urgency,
    Wishes,
    clamped,
    emergency_signs,
    floor_problems,
    policy_values,
    policy_with,
    route,
    time_to_999,
)

WANTS_HOSPITAL = Wishes()
NO_HOSPITAL = Wishes(hospital_admission=HospitalWish.NO)


@pytest.mark.parametrize(
    ("situation", "urgency", "first"),
    [
        (Situation(news2_total=0), Urgency.ROUTINE, Responder.CARE_HOME_NURSE),
        (Situation(news2_total=0, carer_concerned=True), Urgency.SAME_DAY, Responder.GP),
        (Situation(news2_total=0, soft_signs=frozenset({"eating less"})), Urgency.SAME_DAY,
         Responder.GP),
        # A low score is judged against the resident's baseline (or, without one, from 3).
        (Situation(news2_total=2), Urgency.ROUTINE, Responder.CARE_HOME_NURSE),
        (Situation(news2_total=3), Urgency.SAME_DAY, Responder.GP),
        (Situation(news2_total=3, baseline_total=2), Urgency.ROUTINE, Responder.CARE_HOME_NURSE),
        (Situation(news2_total=4, baseline_total=2), Urgency.SAME_DAY, Responder.GP),
        (Situation(news2_total=2, baseline_total=0), Urgency.SAME_DAY, Responder.GP),
        (Situation(news2_total=1, baseline_total=0), Urgency.ROUTINE, Responder.CARE_HOME_NURSE),
        (Situation(news2_total=1, baseline_total=1, carer_concerned=True), Urgency.SAME_DAY,
         Responder.GP),
        (Situation(news2_total=3, single_parameter_3=True), Urgency.URGENT,
         Responder.URGENT_COMMUNITY_RESPONSE),
        (Situation(news2_total=5), Urgency.URGENT, Responder.URGENT_COMMUNITY_RESPONSE),
        (Situation(news2_total=6), Urgency.URGENT, Responder.URGENT_COMMUNITY_RESPONSE),
        (Situation(news2_total=7), Urgency.EMERGENCY, Responder.AMBULANCE),
        (Situation(news2_total=None, medical_emergency=True), Urgency.EMERGENCY,
         Responder.AMBULANCE),
        (Situation(news2_total=0, medical_emergency=True), Urgency.EMERGENCY,
         Responder.AMBULANCE),
        (Situation(news2_total=None), Urgency.ROUTINE, Responder.CARE_HOME_NURSE),
    ],
)
def test_default_ladder(situation: Situation, urgency: Urgency, first: Responder) -> None:
    chosen = route(situation, WANTS_HOSPITAL)
    assert chosen.urgency == urgency and chosen.ladder[0] == first


def test_a_score_of_7_follows_the_residents_wishes() -> None:
    for_them = route(Situation(news2_total=7), NO_HOSPITAL)
    assert not for_them.call_999
    assert for_them.ladder[0] == Responder.GP and for_them.respond_within == timedelta(hours=1)
    assert any("no hospital admission" in r for r in for_them.reasons)
    palliative = route(Situation(news2_total=8, end_of_life_care=True), NO_HOSPITAL)
    assert palliative.ladder[0] == Responder.PALLIATIVE_CARE
    assert route(Situation(news2_total=7), WANTS_HOSPITAL).call_999


def test_a_medical_emergency_is_always_999_whatever_the_wishes_or_the_score() -> None:
    for wishes in (WANTS_HOSPITAL, NO_HOSPITAL, Wishes(dnacpr=True)):
        chosen = route(Situation(news2_total=0, medical_emergency=True), wishes)
        assert chosen.call_999 and chosen.respond_within == timedelta(0)


def test_dnacpr_never_suppresses_escalation() -> None:
    for total in (0, 2, 5, 7):
        situation = Situation(news2_total=total, carer_concerned=True)
        assert route(situation, Wishes(dnacpr=True)) == route(situation, WANTS_HOSPITAL)


def test_urgent_response_clock_and_repeat_observations() -> None:
    urgent = route(Situation(news2_total=5), WANTS_HOSPITAL)
    assert urgent.respond_within == timedelta(hours=2)  # urgent community response standard
    assert urgent.repeat_obs_in == timedelta(hours=1)
    assert len(urgent.ladder) == 3  # who takes over, level by level, if unacknowledged


def test_partial_sets_say_so_and_policy_is_configurable() -> None:
    partial = route(Situation(news2_total=5, complete_set=False), WANTS_HOSPITAL)
    assert "partial set" in partial.reasons[0]
    strict = Policy(medium_from=4, urgent_response_within=timedelta(minutes=90))
    chosen = route(Situation(news2_total=4), WANTS_HOSPITAL, strict)
    assert chosen.urgency == Urgency.URGENT
    assert chosen.respond_within == timedelta(minutes=90)


# ---------------------------------------------------------------- issue 8: the safety floors

ALL_WISHES = [
    Wishes(hospital_admission=wish, preferred_contact=contact, dnacpr=dnacpr)
    for wish in HospitalWish
    for contact in (None, Responder.GP, Responder.PALLIATIVE_CARE,
                    Responder.URGENT_COMMUNITY_RESPONSE, Responder.COMMUNITY_MATRON)
    for dnacpr in (False, True)
]


@pytest.mark.parametrize("signs", [
    {"consciousness": Consciousness.PAIN},
    {"consciousness": Consciousness.UNRESPONSIVE},
    {"respiration_rate": 8},
    {"respiration_rate": 5},
    {"medical_emergency": True},
])
@pytest.mark.parametrize("total", [None, 0, 3, 4, 6, 9])
def test_emergency_signs_are_999_whatever_the_score_or_the_plan(
    signs: dict[str, object], total: int | None,
) -> None:
    """H-04: P, U, respiration rate of 8 or less and the emergency box are 999 at once."""
    for end_of_life in (False, True):
        situation = Situation(news2_total=total, end_of_life_care=end_of_life,
                              **signs)  # type: ignore[arg-type]
        for wishes in ALL_WISHES:
            chosen = route(situation, wishes)
            assert chosen.urgency == Urgency.EMERGENCY and chosen.call_999, (signs, wishes)
            assert chosen.ladder == (Responder.AMBULANCE,)
            assert chosen.respond_within == timedelta(0)
            assert "call 999 now" in chosen.reasons[0]


def test_voice_and_a_rate_of_9_are_not_emergency_signs_on_their_own() -> None:
    voice = route(Situation(news2_total=3, single_parameter_3=True,
                            consciousness=Consciousness.VOICE), WANTS_HOSPITAL)
    assert voice.urgency == Urgency.URGENT and not voice.call_999
    nine = route(Situation(news2_total=1, respiration_rate=9), WANTS_HOSPITAL)
    assert not nine.call_999
    assert emergency_signs(Situation(respiration_rate=9, consciousness=Consciousness.ALERT)) == []


def test_the_one_exception_is_a_dying_resident_whose_respect_plan_prioritises_comfort() -> None:
    """Until the end-of-life record exists nothing sets ``dying_comfort_plan`` (H-04)."""
    chosen = route(Situation(news2_total=9, consciousness=Consciousness.UNRESPONSIVE,
                             dying_comfort_plan=True), NO_HOSPITAL)
    assert not chosen.call_999 and chosen.ladder[0] == Responder.PALLIATIVE_CARE
    assert chosen.ladder[-1] == Responder.AMBULANCE
    assert Situation().dying_comfort_plan is False


@pytest.mark.parametrize(("total", "every"), [
    (1, timedelta(hours=4)), (2, timedelta(hours=4)), (4, timedelta(hours=4)), (0, None)])
def test_routine_scores_still_have_a_minimum_monitoring_frequency(
    total: int, every: timedelta | None,
) -> None:
    """H-02: NEWS2 1-4 repeats within 4 hours by default (RCP: at least 4-6 hourly); 0 only
    when the PCN asks; the words never say 12 hours for 1-4."""
    chosen = route(Situation(news2_total=total, baseline_total=total), WANTS_HOSPITAL)
    assert chosen.urgency == Urgency.ROUTINE and chosen.repeat_obs_in == every
    assert not any("12 hours" in r for r in chosen.reasons)
    six = policy_with({"repeat_obs_low_minutes": 360, "repeat_obs_zero_minutes": 720})
    chosen = route(Situation(news2_total=total, baseline_total=total), WANTS_HOSPITAL, six)
    assert chosen.repeat_obs_in == (timedelta(hours=6) if total else timedelta(hours=12))


@pytest.mark.parametrize("situation", [
    Situation(news2_total=None, complete_set=False, soft_signs=frozenset({"eating less"}),
              missing=("respiration_rate", "spo2", "pulse")),
    Situation(news2_total=None, complete_set=False, carer_concerned=True),
    Situation(news2_total=0, complete_set=False, missing=("pulse",)),
    Situation(news2_total=5, complete_set=False, missing=("temperature",)),
])
def test_without_a_full_set_staff_take_one_now(situation: Situation) -> None:
    """H-03 and H-09: soft signs, concern or a partial set ask for a full set within 15
    minutes, naming what is missing."""
    chosen = route(situation, WANTS_HOSPITAL)
    assert chosen.full_set_in == timedelta(minutes=15)
    assert any(r.startswith("Take a full set of observations now") for r in chosen.reasons)
    for name in situation.missing:
        assert name.replace("_", " ") in chosen.reasons[-1]


def test_a_full_set_or_a_999_call_needs_no_full_set_step() -> None:
    assert route(Situation(news2_total=2), WANTS_HOSPITAL).full_set_in is None
    emergency = Situation(news2_total=None, complete_set=False, medical_emergency=True)
    assert route(emergency, WANTS_HOSPITAL).full_set_in is None


def test_a_partial_set_never_reads_as_routine() -> None:
    """H-09: a lone temperature scoring 0 is not 'no change from routine care'."""
    chosen = route(Situation(news2_total=0, complete_set=False,
                             missing=("respiration_rate", "pulse")), WANTS_HOSPITAL)
    assert "partial set" in chosen.reasons[0] and "not enough to say" in chosen.reasons[0]
    assert not any("routine care" in r for r in chosen.reasons)


def test_every_emergency_ladder_ends_in_999_within_30_minutes() -> None:
    """H-08 and H-01: 999 is never removed for an emergency; with no-admission wishes the
    unacknowledged ladder reaches it within 30 minutes, for every ladder a PCN may set."""
    for ack in range(1, 16):
        for urgent_ack in (ack, 30):
            policy = policy_with({"acknowledge_emergency_minutes": ack,
                                  "acknowledge_urgent_minutes": urgent_ack})
            for end_of_life in (False, True):
                for wishes in ALL_WISHES:
                    chosen = route(Situation(news2_total=7, end_of_life_care=end_of_life),
                                   wishes, policy)
                    assert chosen.urgency == Urgency.EMERGENCY
                    assert chosen.ladder[-1] == Responder.AMBULANCE
                    reach = time_to_999(chosen)
                    assert reach is not None and reach <= timedelta(minutes=30), (ack, wishes)
    assert time_to_999(route(Situation(news2_total=7), NO_HOSPITAL)) == timedelta(minutes=20)


def test_acknowledgement_windows_are_shorter_for_more_urgent_routes() -> None:
    windows = [route(situation, WANTS_HOSPITAL).acknowledge_within for situation in (
        Situation(news2_total=7), Situation(news2_total=5), Situation(news2_total=3))]
    assert windows == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=30)]
    with pytest.raises(PolicyError) as crossed:
        policy_with({"acknowledge_emergency_minutes": 15, "acknowledge_urgent_minutes": 10})
    assert crossed.value.errors[0][0] == "acknowledge_emergency_minutes"
    with pytest.raises(PolicyError):
        policy_with({"acknowledge_urgent_minutes": 30, "acknowledge_same_day_minutes": 25})


@pytest.mark.parametrize("name", list(FLOORS))
def test_each_floor_holds_at_its_bounds(name: str) -> None:
    """H-01: exactly the bounds are accepted, one beyond is refused with the reason."""
    floor = FLOORS[name]
    for ok in (floor.low, floor.high):
        values = {name: ok}
        if name == "medium_from":
            values["high_from"] = 7
        if name == "high_from":
            values["medium_from"] = min(5, ok - 1) if ok > 1 else None  # type: ignore[assignment]
        if name.startswith("acknowledge_"):
            values = {n: ok for n in ("acknowledge_emergency_minutes",
                                      "acknowledge_urgent_minutes",
                                      "acknowledge_same_day_minutes")
                      if FLOORS[n].high >= ok}
        try:
            policy_with({k: v for k, v in values.items() if v is not None})
        except PolicyError as exc:
            # high_from 1 cannot have a medium band below it: that is the only exception.
            assert name == "high_from" and ok == 1, exc.errors
    for bad in (floor.low - 1, floor.high + 1):
        with pytest.raises(PolicyError) as refused:
            policy_with({name: bad})
        field, reason = refused.value.errors[0]
        assert field == name and floor.why in reason and "never less" in reason


def test_defaults_are_within_every_floor() -> None:
    values = policy_values(DEFAULT_POLICY)
    assert floor_problems({k: v for k, v in values.items() if v is not None}) == []
    assert policy_with({}) == DEFAULT_POLICY
    assert set(values) == set(FLOORS)


def test_ladders_saved_before_the_floors_are_brought_within_them() -> None:
    old = {"high_from": 20, "medium_from": 12, "urgent_response_minutes": 1440,
           "acknowledge_minutes": 45, "repeat_obs_same_day_minutes": 720}
    fixed = clamped(old)
    assert fixed["high_from"] == 7 and fixed["medium_from"] == 5
    assert fixed["urgent_response_minutes"] == 120
    assert (fixed["acknowledge_emergency_minutes"], fixed["acknowledge_urgent_minutes"],
            fixed["acknowledge_same_day_minutes"]) == (15, 30, 45)
    assert fixed["repeat_obs_same_day_minutes"] == 240
    assert floor_problems(fixed) == []
    policy_with(fixed)

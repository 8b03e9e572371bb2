"""The escalation policy: urgency from the score and concern, routes from the wishes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from care.deterioration.routes import (
    HospitalWish,
    Policy,
    Responder,
    Situation,
    Urgency,
    Wishes,
    route,
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

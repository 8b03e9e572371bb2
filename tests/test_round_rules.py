"""The home round's pure rules: who is on the agenda and why, and when rounds happen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from care.residents.models import DementiaStatus
from care.rounds.rules import (
    DEFAULT_POLICY,
    Nomination,
    Reason,
    ResidentFacts,
    build_agenda,
    iso_week,
    next_round,
    preparation_opens,
    reasons_for_review,
    round_start,
    smr_due,
)

TODAY = date(2026, 11, 26)  # a Thursday
SETTLED = ResidentFacts(  # long-stay, planned, reviewed recently, SMR recent: nothing to do
    stay_started_on=date(2025, 1, 10), assessment_done=True, plan_done=True,
    plan_review_on=date(2027, 2, 1), last_smr_on=date(2026, 6, 1),
    last_reviewed_on=date(2026, 11, 5), dementia_status=DementiaStatus.DIAGNOSED,
)


def with_(**changes: object) -> ResidentFacts:
    from dataclasses import replace

    return replace(SETTLED, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (SETTLED, []),
        (with_(stay_started_on=date(2026, 11, 24), assessment_done=False, plan_done=False,
               last_smr_on=None), [Reason.NOT_ASSESSED, Reason.SMR_DUE]),
        (with_(plan_done=False), [Reason.NO_CARE_PLAN]),
        (with_(last_hospital_return_on=date(2026, 11, 12)), [Reason.HOSPITAL_RETURN,
                                                             Reason.SMR_DUE]),
        (with_(last_hospital_return_on=date(2026, 11, 11), last_smr_on=date(2026, 11, 20)), []),
        (with_(deterioration_events=2), [Reason.DETERIORATION]),
        (with_(falls=1), [Reason.FALLS, Reason.SMR_DUE]),
        (with_(plan_review_on=date(2026, 12, 3)), [Reason.PLAN_REVIEW_DUE]),
        (with_(plan_review_on=date(2026, 12, 4)), []),
        (with_(overdue_steps=1), [Reason.OVERDUE_STEPS]),
        (with_(last_smr_on=date(2025, 11, 26)), [Reason.SMR_DUE]),
        (with_(last_smr_on=None), []),  # long stay, none on record: the pharmacist's queue
        (with_(last_reviewed_on=date(2026, 10, 1)), [Reason.NOT_REVIEWED]),
        (with_(last_reviewed_on=date(2026, 10, 2)), []),
        (with_(last_reviewed_on=None), [Reason.NOT_REVIEWED]),  # here since January 2025
        (with_(last_reviewed_on=None, stay_started_on=date(2026, 10, 2), last_smr_on=None),
         []),  # planned, here under 8 weeks: not yet due a review
        (with_(dementia_status=DementiaStatus.POSSIBLE_UNDIAGNOSED), [Reason.POSSIBLE_DEMENTIA]),
        (with_(dementia_status=DementiaStatus.POSSIBLE_UNDIAGNOSED, dementia_offer_made=True),
         []),
        (with_(nominations=(Nomination("eating less"), Nomination("son worried", True))),
         [Reason.NOMINATED, Reason.NOMINATED]),
        (with_(mdt_additions=("matron wants to see",)), [Reason.MDT_ADDED]),
        (with_(end_of_life=True), [Reason.END_OF_LIFE]),
    ],
)
def test_reasons_for_review(facts: ResidentFacts, expected: list[Reason]) -> None:
    assert [i.reason for i in reasons_for_review(facts, TODAY)] == expected


def test_each_reason_says_why_in_words_and_scores_by_policy() -> None:
    found = reasons_for_review(with_(nominations=(Nomination("son worried", True),),
                                     falls=2), TODAY)
    texts = {i.reason: i.text for i in found}
    assert texts[Reason.FALLS] == "2 falls in the last 14 days"
    assert texts[Reason.NOMINATED] == "Family (through staff): son worried"
    assert all(i.score == DEFAULT_POLICY.weights[i.reason] for i in found)


def test_agenda_orders_by_score_and_never_crowds_out_end_of_life() -> None:
    agenda = build_agenda({
        "settled": SETTLED,
        "falls": with_(falls=1, deterioration_events=1),
        "review": with_(plan_review_on=date(2026, 11, 27)),
        "eol": with_(end_of_life=True, plan_review_on=date(2026, 11, 30)),
        "removed": with_(falls=3),
    }, TODAY, removed=frozenset({"removed"}))
    assert [e.resident_key for e in agenda] == ["eol", "falls", "review"]
    assert agenda[0].end_of_life and agenda[1].score > agenda[2].score


def test_smr_prioritisation() -> None:
    assert smr_due(with_(last_smr_on=None), TODAY)
    assert not smr_due(SETTLED, TODAY)
    assert smr_due(with_(stay_started_on=date(2026, 11, 1)), TODAY)  # re-admitted since
    assert smr_due(with_(medicines_count=12, last_smr_on=date(2026, 5, 1)), TODAY)
    assert not smr_due(with_(medicines_count=12, last_smr_on=date(2026, 7, 1)), TODAY)
    assert smr_due(with_(smr_next_review_on=date(2026, 11, 26)), TODAY)  # the date set at SMR
    assert not smr_due(with_(smr_next_review_on=date(2026, 11, 27)), TODAY)


def test_round_schedule_follows_the_homes_day_and_time_in_london() -> None:
    tuesday_10 = round_start(TODAY, 1, time(10))
    assert tuesday_10 == datetime(2026, 11, 24, 10, tzinfo=tuesday_10.tzinfo)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert next_round(now, 1, time(10)).date() == date(2026, 12, 1)
    assert next_round(now, 3, time(13)).date() == date(2026, 11, 26)  # later today
    assert preparation_opens(next_round(now, 1, time(10))) == (
        next_round(now, 1, time(10)) - timedelta(days=2))
    summer = round_start(date(2026, 7, 1), 2, time(10))
    assert summer.utcoffset() == timedelta(hours=1)  # BST
    assert iso_week(tuesday_10) == "2026-W48"

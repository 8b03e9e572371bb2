"""Pure rules: deadlines, the pathway, NHS numbers, settings. Tables of cases, no database."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from care.assessments.kinds import AssessmentStep
from care.demo import synthetic_nhs_number
from care.journeys import pathway as pathways
from care.journeys.deadlines import add_working_days, deadline_after, is_working_day
from care.journeys.models import StepStatus
from care.residents.kinds import Stage
from care.residents.rules import (
    ascii_identifier,
    date_of_birth_problem,
    format_nhs_number,
    nhs_number_problem,
    nhs_number_range_problem,
    normalise_nhs_number,
    normalise_ods_code,
    ods_code_problem,
    past_date_problem,
)
from care.settings import Settings

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("admitted", "rule", "due_day"),
    [
        (date(2026, 11, 2), "working-days", date(2026, 11, 11)),  # Mon -> Wed next week
        (date(2026, 11, 6), "working-days", date(2026, 11, 17)),  # Fri: weekend skipped
        (date(2026, 11, 7), "working-days", date(2026, 11, 17)),  # Sat admission
        (date(2026, 12, 21), "working-days", date(2027, 1, 4)),  # Christmas, Boxing Day (sub), NY
        (date(2026, 3, 30), "working-days", date(2026, 4, 10)),  # Good Friday + Easter Monday
        (date(2026, 5, 1), "working-days", date(2026, 5, 13)),  # Early May bank holiday
        (date(2026, 11, 2), "calendar-days", date(2026, 11, 9)),
        (date(2026, 12, 28), "calendar-days", date(2027, 1, 4)),
    ],
)
def test_deadline_table(admitted: date, rule: str, due_day: date) -> None:
    deadline = deadline_after(admitted, rule=rule, days=7)
    assert deadline.due_at == datetime.combine(due_day, time(23, 59, 59), tzinfo=LONDON)
    assert deadline.rule.endswith("/v1") and str(7) in deadline.rule


def test_deadline_rule_names_record_which_rule_produced_the_date() -> None:
    assert deadline_after(date(2026, 1, 5), rule="working-days", days=7).rule == (
        "7-working-days-england/v1"
    )
    assert deadline_after(date(2026, 1, 5), rule="calendar-days", days=7).rule == (
        "7-calendar-days/v1"
    )
    with pytest.raises(ValueError):
        deadline_after(date(2026, 1, 5), rule="fortnightly", days=7)


def test_working_days() -> None:
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day substitute
    assert not is_working_day(date(2026, 11, 7))
    assert is_working_day(date(2026, 11, 9))
    assert add_working_days(date(2026, 11, 2), 0) == date(2026, 11, 2)


C, R, X = StepStatus.COMPLETED, StepStatus.READY, StepStatus.CANCELLED
A, P = AssessmentStep.HOLISTIC_ASSESSMENT, AssessmentStep.PCSP


@pytest.mark.parametrize(
    ("in_home", "steps", "opens", "stage"),
    [
        (True, {}, (A,), Stage.ASSESSMENT),
        (True, {A: R}, (), Stage.ASSESSMENT),
        (True, {A: StepStatus.CLAIMED}, (), Stage.ASSESSMENT),
        (True, {A: C}, (P,), Stage.CARE_PLANNING),
        (True, {A: C, P: R}, (), Stage.CARE_PLANNING),
        (True, {A: C, P: C}, (), Stage.UNDER_MDT_CARE),
        (True, {A: X}, (), Stage.ASSESSMENT),  # cancelled in this episode: nothing reopens
        (False, {}, (), Stage.IN_HOSPITAL),
    ],
)
def test_pathway_decisions(
    in_home: bool, steps: dict[str, StepStatus], opens: tuple[str, ...], stage: Stage
) -> None:
    ehch = pathways.get("ehch", 1)
    start = Stage.IN_HOSPITAL if not in_home else Stage.ASSESSMENT
    decision = pathways.decide(ehch, in_home, start, steps)
    assert decision.open_kinds == opens
    assert decision.stage == stage


NOT_ISSUED = ("cannot have been issued to a person: NHS numbers start with 3, 4, 6 or 7 "
              "(999 for test patients), Scottish CHI numbers with the day and month of birth")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("9995509016", None),
        ("999 550 9016", None),
        ("999-550-9016", None),
        ("999\u2013550\u20139016", None),  # en dashes
        ("\u0669\u0669\u0669\u0665\u0665\u0660\u0669\u0660\u0661\u0666", None),  # Arabic-Indic
        ("\uff19\uff19\uff19\uff15\uff15\uff10\uff19\uff10\uff11\uff16", None),  # fullwidth
        ("\u06f9\u06f9\u06f9\u06f5\u06f5\u06f0\u06f9\u06f0\u06f1\u06f6", None),  # Persian
        ("9995509017", "fails the Modulus 11 check digit"),
        ("9434765918", "fails the Modulus 11 check digit"),
        ("999550901", "must be 10 digits"),
        ("99955090160", "must be 10 digits"),
        ("99955090l6", "must be 10 digits"),
        ("", "must be 10 digits"),
        # Valid by Modulus 11, but never issued (issue 8: 0000000000 was admitted).
        ("0000000000", NOT_ISSUED),
        ("0001234560", NOT_ISSUED),
        ("5000000005", NOT_ISSUED),  # 5xx: not to be issued
        ("8000000008", NOT_ISSUED),  # Republic of Ireland IHI
        ("9434765919", NOT_ISSUED),  # the public checksum example: 94x is not issued
    ],
)
def test_nhs_number_checks(raw: str, problem: str | None) -> None:
    assert nhs_number_problem(raw) == problem


@pytest.mark.parametrize(
    ("digits", "issued"),
    [
        ("3000000000", True), ("3999999999", True),  # England's newer range; NI H&C 320-399
        ("4000000000", True), ("4999999999", True),
        ("6000000000", True), ("7999999999", True),
        ("9990000000", True), ("9999999999", True),  # test patients
        ("0101000000", True), ("2902000000", True), ("1512990000", True),  # CHI: DDMM...
        ("0000000000", False), ("0099999999", False),  # 00: no day of the month
        ("0013000000", False), ("1513000000", False),  # month 13
        ("3113000000", True),  # 31/13 is no date, but 3xx is England's
        ("5000000000", False), ("5999999999", False),
        ("8000000000", False), ("8999999999", False),
        ("9000000000", False), ("9989999999", False),
    ],
)
def test_nhs_number_issued_ranges(digits: str, issued: bool) -> None:
    assert (nhs_number_range_problem(digits) is None) is issued


def test_identifiers_are_stored_in_one_ascii_form() -> None:
    arabic = "\u0669\u0669\u0669\u0665\u0665\u0660\u0669\u0660\u0661\u0666"
    fullwidth = "\uff19\uff19\uff19 \uff15\uff15\uff10\uff0d\uff19\uff10\uff11\uff16"
    assert normalise_nhs_number(arabic) == normalise_nhs_number(fullwidth) == "9995509016"
    assert normalise_nhs_number("999\u00a0550\u30009016") == "9995509016"  # no-break spaces
    assert ascii_identifier("\u0968\u0969") == "23"  # Devanagari
    assert normalise_ods_code(" \uff59\uff11\uff11\uff11\uff11\uff11 ") == "Y11111"
    assert normalise_ods_code("y\u0668\u0661\u0660\u0660\u0661") == "Y81001"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("A81001", None), ("Y11111", None), ("RXX", None), ("W12345", None),
        ("Y1", "must be 3 to 10 letters and digits, e.g. A81001"),
        ("Y1-111", "must be 3 to 10 letters and digits, e.g. A81001"),
        ("Y 11111", "must be 3 to 10 letters and digits, e.g. A81001"),
        ("Y\u00df111", "must be 3 to 10 letters and digits, e.g. A81001"),  # not ASCII
        ("A" * 11, "must be 3 to 10 letters and digits, e.g. A81001"),
    ],
)
def test_ods_codes(code: str, problem: str | None) -> None:
    assert ods_code_problem(code) == problem


TODAY = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("born", "problem"),
    [
        (date(1940, 5, 17), None),
        (date(1901, 11, 2), None),  # 125 today
        (TODAY, None),
        (date(1901, 11, 1), "gives an age over 125 years; please re-check the year"),
        (date(1800, 1, 1), "gives an age over 125 years; please re-check the year"),
        (date(1, 1, 1), "gives an age over 125 years; please re-check the year"),
        (date(2026, 11, 3), "must not be in the future"),
        (date(9999, 12, 31), "must not be in the future"),
    ],
)
def test_date_of_birth(born: date, problem: str | None) -> None:
    assert date_of_birth_problem(born, TODAY) == problem


def test_dates_of_events_are_neither_future_nor_before_anyone_living_was_born() -> None:
    assert past_date_problem(TODAY, TODAY) is None
    assert past_date_problem(date(2020, 1, 1), TODAY) is None
    assert past_date_problem(date(2026, 11, 3), TODAY) == "must not be in the future"
    assert past_date_problem(date(1, 1, 1), TODAY) == (
        "is more than 125 years ago; please re-check the year")
    # 29 February 2028: 125 years earlier has no 29 February.
    assert past_date_problem(date(1903, 2, 28), date(2028, 2, 29)) is None
    assert past_date_problem(date(1903, 2, 27), date(2028, 2, 29)) is not None


def test_synthetic_numbers_are_valid_and_in_the_test_range() -> None:
    import random

    rng = random.Random(1)
    for _ in range(200):
        number = synthetic_nhs_number(rng)
        assert number.startswith("999") and nhs_number_problem(number) is None
    assert format_nhs_number("9990000018") == "999 000 0018"


def test_production_refuses_to_start_without_a_real_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(mode="production", secret_key="")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(mode="production", secret_key="changeme" * 8)
    assert Settings(mode="production", secret_key="x" * 40).secret_key == "x" * 40
    demo = Settings(mode="demo", secret_key="")
    assert demo.generated_secret and len(demo.secret_key) >= 32


def test_production_cookies_are_secure_unless_explicitly_not() -> None:
    assert Settings(mode="production", secret_key="x" * 40).cookie_secure
    assert not Settings(mode="production", secret_key="x" * 40, cookie_secure=False).cookie_secure
    assert not Settings(mode="demo").cookie_secure

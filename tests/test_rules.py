"""Pure rules: deadlines, the pathway, NHS numbers, settings. Tables of cases, no database."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from care.demo import synthetic_nhs_number
from care.journeys.models import Stage, StepKind, StepStatus
from care.journeys.rules import add_working_days, deadline_after, decide, is_working_day
from care.residents.rules import format_nhs_number, nhs_number_problem
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
A, P = StepKind.HOLISTIC_ASSESSMENT, StepKind.PCSP


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
    in_home: bool, steps: dict[StepKind, StepStatus], opens: tuple[StepKind, ...], stage: Stage
) -> None:
    decision = decide(in_home, Stage.IN_HOSPITAL if not in_home else Stage.ASSESSMENT, steps)
    assert decision.open_kinds == opens
    assert decision.stage == stage


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("9434765919", None),
        ("943 476 5919", None),
        ("943-476-5919", None),
        ("9434765918", "fails the Modulus 11 check digit"),
        ("943476591", "must be 10 digits"),
        ("94347659190", "must be 10 digits"),
        ("94347659l9", "must be 10 digits"),
        ("", "must be 10 digits"),
    ],
)
def test_nhs_number_modulus_11(raw: str, problem: str | None) -> None:
    assert nhs_number_problem(raw) == problem


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

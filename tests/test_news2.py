"""NEWS2, pure: every band edge of RCP Chart 1 on both SpO2 scales, partial sets, risk bands."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from care.deterioration.news2 import (
    SCALE_1,
    SCALE_2,
    SNOMED_NEWS2_TOTAL,
    Consciousness,
    ImplausibleObservations,
    Observations,
    Parameter,
    RiskBand,
    implausible,
    risk_band,
    rounded_temperature,
    score,
)

# A complete set scoring 0 on scale 1; each case below changes one value.
NORMAL = Observations(
    respiration_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic_bp=130,
    pulse=72,
    consciousness=Consciousness.ALERT,
    temperature=37.0,
)
P = Parameter


def test_normal_set_scores_zero_low_and_complete() -> None:
    result = score(NORMAL)
    assert (result.total, result.risk, result.complete) == (0, RiskBand.LOW, True)
    assert result.missing == ()
    assert [s.parameter for s in result.sub_scores] == list(Parameter)
    assert not result.single_parameter_3
    assert result.label == "NEWS2 0 (low risk)"


# ---------------------------------------------------------------- one parameter at a time

RESPIRATION = [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (1, 3)]
RESPIRATION += [(60, 3)]  # the plausible extremes
SPO2_SCALE_1 = [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0), (50, 3)]
SYSTOLIC = [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (40, 3)]
PULSE = [
    (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3),
    (1, 3), (250, 3),
]  # fmt: skip
TEMPERATURE = [
    (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2),
    (25.0, 3), (45.0, 2),
    # Decimals between rows: rounded to 0.1 °C half up before banding.
    (35.04, 3), (35.05, 1), (36.04, 1), (36.05, 0), (38.04, 0), (38.05, 1), (39.04, 1),
    (39.05, 2), (37, 0), (Decimal("36.05"), 0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "parameter", "points"),
    [("respiration_rate", v, P.RESPIRATION_RATE, p) for v, p in RESPIRATION]
    + [("spo2", v, P.SPO2, p) for v, p in SPO2_SCALE_1]
    + [("systolic_bp", v, P.SYSTOLIC_BP, p) for v, p in SYSTOLIC]
    + [("pulse", v, P.PULSE, p) for v, p in PULSE]
    + [("temperature", v, P.TEMPERATURE, p) for v, p in TEMPERATURE],
)
def test_band_edges_scale_1(field: str, value: Any, parameter: Parameter, points: int) -> None:
    result = score(replace(NORMAL, **{field: value}))
    assert result.points(parameter) == points
    assert result.total == points  # every other parameter scores 0
    assert result.single_parameter_3 is (points == 3)
    assert result.complete


# Scale 2: (SpO2, on_oxygen) -> SpO2 points; the oxygen row adds its own 2 separately.
SPO2_SCALE_2 = [
    (83, False, 3), (84, False, 2), (85, False, 2), (86, False, 1), (87, False, 1),
    (88, False, 0), (92, False, 0), (93, False, 0), (96, False, 0), (97, False, 0),
    (100, False, 0), (50, False, 3),
    (83, True, 3), (84, True, 2), (85, True, 2), (86, True, 1), (87, True, 1), (88, True, 0),
    (92, True, 0), (93, True, 1), (94, True, 1), (95, True, 2), (96, True, 2), (97, True, 3),
    (100, True, 3),
]  # fmt: skip


@pytest.mark.parametrize(("spo2", "on_oxygen", "points"), SPO2_SCALE_2)
def test_spo2_scale_2_edges_on_air_and_oxygen(spo2: int, on_oxygen: bool, points: int) -> None:
    result = score(replace(NORMAL, spo2=spo2, on_oxygen=on_oxygen), SCALE_2)
    assert result.points(P.SPO2) == points
    assert result.points(P.AIR_OR_OXYGEN) == (2 if on_oxygen else 0)
    assert result.total == points + (2 if on_oxygen else 0)
    assert result.single_parameter_3 is (points == 3)
    assert result.scale == SCALE_2


@pytest.mark.parametrize(
    ("spo2", "points"), [(91, 3), (93, 2), (95, 1), (96, 0), (100, 0)]
)  # scale 1 ignores oxygen for the SpO2 row; oxygen is scored on its own row
def test_spo2_scale_1_on_oxygen_scores_the_oxygen_row_separately(spo2: int, points: int) -> None:
    result = score(replace(NORMAL, spo2=spo2, on_oxygen=True))
    assert (result.points(P.SPO2), result.points(P.AIR_OR_OXYGEN)) == (points, 2)
    assert result.total == points + 2


@pytest.mark.parametrize(("on_oxygen", "points"), [(False, 0), (True, 2)])
def test_air_or_oxygen_row_never_a_single_parameter_3(on_oxygen: bool, points: int) -> None:
    result = score(replace(NORMAL, on_oxygen=on_oxygen))
    assert result.points(P.AIR_OR_OXYGEN) == points
    assert result.total == points
    assert not result.single_parameter_3
    assert result.risk == RiskBand.LOW


@pytest.mark.parametrize(
    ("level", "points"),
    [
        (Consciousness.ALERT, 0),
        (Consciousness.NEW_CONFUSION, 3),
        (Consciousness.VOICE, 3),
        (Consciousness.PAIN, 3),
        (Consciousness.UNRESPONSIVE, 3),
        ("new_confusion", 3),  # the stored string form scores the same
    ],
)
def test_consciousness_acvpu(level: Consciousness, points: int) -> None:
    result = score(replace(NORMAL, consciousness=level))
    assert result.points(P.CONSCIOUSNESS) == points
    assert result.single_parameter_3 is (points == 3)
    assert result.risk == (RiskBand.LOW_MEDIUM if points == 3 else RiskBand.LOW)


# ---------------------------------------------------------------- partial sets


@pytest.mark.parametrize(
    ("obs", "scale", "missing", "total"),
    [
        (Observations(), SCALE_1, tuple(Parameter), 0),
        (Observations(pulse=72), SCALE_1, tuple(p for p in Parameter if p != P.PULSE), 0),
        (Observations(pulse=35), SCALE_1, tuple(p for p in Parameter if p != P.PULSE), 3),
        (replace(NORMAL, temperature=None), SCALE_1, (P.TEMPERATURE,), 0),
        (replace(NORMAL, consciousness=None), SCALE_1, (P.CONSCIOUSNESS,), 0),
        (replace(NORMAL, on_oxygen=None), SCALE_1, (P.AIR_OR_OXYGEN,), 0),
        (replace(NORMAL, respiration_rate=None, systolic_bp=None), SCALE_1,
         (P.RESPIRATION_RATE, P.SYSTOLIC_BP), 0),
        # Scale 1 scores SpO2 without knowing air or oxygen; only that row is missing.
        (replace(NORMAL, spo2=93, on_oxygen=None), SCALE_1, (P.AIR_OR_OXYGEN,), 2),
        # Scale 2, SpO2 >= 93 with air/oxygen unknown: SpO2 cannot be scored, never guessed.
        (replace(NORMAL, spo2=95, on_oxygen=None), SCALE_2, (P.SPO2, P.AIR_OR_OXYGEN), 0),
        (replace(NORMAL, spo2=93, on_oxygen=None), SCALE_2, (P.SPO2, P.AIR_OR_OXYGEN), 0),
        # Scale 2 below 93 scores the same on air or oxygen, so it can be scored.
        (replace(NORMAL, spo2=85, on_oxygen=None), SCALE_2, (P.AIR_OR_OXYGEN,), 2),
        (replace(NORMAL, spo2=92, on_oxygen=None), SCALE_2, (P.AIR_OR_OXYGEN,), 0),
        (Observations(consciousness=Consciousness.VOICE, temperature=39.5), SCALE_1,
         (P.RESPIRATION_RATE, P.SPO2, P.AIR_OR_OXYGEN, P.SYSTOLIC_BP, P.PULSE), 5),
    ],
)  # fmt: skip
def test_partial_sets_list_what_is_missing_and_never_score_it(
    obs: Observations, scale: Any, missing: tuple[Parameter, ...], total: int
) -> None:
    result = score(obs, scale)
    assert result.missing == missing
    assert not result.complete
    assert result.total == total
    for parameter in missing:
        assert result.points(parameter) is None
    assert len(result.sub_scores) + len(result.missing) == len(Parameter)


def test_partial_label_says_so() -> None:
    result = score(Observations(pulse=35, temperature=37.0))
    assert result.label.startswith("NEWS2 3 from a partial set, at least low-medium risk")
    assert "respiration rate" in result.label and "pulse" not in result.label.split("missing")[1]
    empty = score(Observations())
    assert empty.label == "NEWS2 not scored: no observations recorded"
    assert empty.risk is None and not empty.complete  # never "low risk" for nothing


def test_scale_2_unknown_oxygen_is_noted() -> None:
    result = score(replace(NORMAL, spo2=95, on_oxygen=None), SCALE_2)
    assert result.notes and "air or oxygen" in result.notes[0]


# ---------------------------------------------------------------- aggregates and risk bands


@pytest.mark.parametrize(
    ("changes", "scale", "total", "single_3", "risk"),
    [
        ({}, SCALE_1, 0, False, RiskBand.LOW),
        ({"pulse": 95}, SCALE_1, 1, False, RiskBand.LOW),
        ({"respiration_rate": 22, "pulse": 95, "on_oxygen": True}, SCALE_1, 5, False,
         RiskBand.MEDIUM),
        ({"respiration_rate": 22, "systolic_bp": 105, "pulse": 95}, SCALE_1, 4, False,
         RiskBand.LOW),
        ({"pulse": 35}, SCALE_1, 3, True, RiskBand.LOW_MEDIUM),
        ({"consciousness": Consciousness.NEW_CONFUSION, "pulse": 95}, SCALE_1, 4, True,
         RiskBand.LOW_MEDIUM),
        ({"respiration_rate": 22, "systolic_bp": 95, "pulse": 95}, SCALE_1, 5, False,
         RiskBand.MEDIUM),
        ({"temperature": 35.0, "respiration_rate": 22}, SCALE_1, 5, True, RiskBand.MEDIUM),
        ({"respiration_rate": 22, "systolic_bp": 95, "pulse": 115}, SCALE_1, 6, False,
         RiskBand.MEDIUM),
        ({"respiration_rate": 26, "systolic_bp": 95, "pulse": 115}, SCALE_1, 7, True,
         RiskBand.HIGH),
        ({"respiration_rate": 22, "systolic_bp": 95, "pulse": 115, "temperature": 38.5},
         SCALE_1, 7, False, RiskBand.HIGH),
        ({"spo2": 97, "on_oxygen": True}, SCALE_2, 5, True, RiskBand.MEDIUM),
        ({"spo2": 90, "on_oxygen": True}, SCALE_2, 2, False, RiskBand.LOW),
        ({"spo2": 90, "on_oxygen": False}, SCALE_1, 3, True, RiskBand.LOW_MEDIUM),
        # All worst, on oxygen: the maximum, 20.
        ({"respiration_rate": 30, "spo2": 85, "on_oxygen": True, "systolic_bp": 85,
          "pulse": 140, "consciousness": Consciousness.UNRESPONSIVE, "temperature": 34.0},
         SCALE_1, 20, True, RiskBand.HIGH),
        ({"respiration_rate": 30, "spo2": 99, "on_oxygen": True, "systolic_bp": 230,
          "pulse": 140, "consciousness": Consciousness.PAIN, "temperature": 34.0},
         SCALE_2, 20, True, RiskBand.HIGH),
    ],
)  # fmt: skip
def test_aggregates_and_risk_bands(
    changes: dict[str, Any], scale: Any, total: int, single_3: bool, risk: RiskBand
) -> None:
    result = score(replace(NORMAL, **changes), scale)
    assert (result.total, result.single_parameter_3, result.risk) == (total, single_3, risk)
    assert result.total == sum(s.points for s in result.sub_scores)


@pytest.mark.parametrize(
    ("total", "single_3", "risk"),
    [
        (0, False, RiskBand.LOW), (4, False, RiskBand.LOW), (3, True, RiskBand.LOW_MEDIUM),
        (4, True, RiskBand.LOW_MEDIUM), (5, False, RiskBand.MEDIUM), (6, True, RiskBand.MEDIUM),
        (7, False, RiskBand.HIGH), (20, True, RiskBand.HIGH),
    ],
)  # fmt: skip
def test_risk_band_thresholds(total: int, single_3: bool, risk: RiskBand) -> None:
    assert risk_band(total, single_3) == risk


# ---------------------------------------------------------------- implausible values refused

IMPLAUSIBLE = [
    ("spo2", 101, "above 100"), ("spo2", 49, "below 50"), ("spo2", 0, "below 50"),
    ("pulse", 0, "999"), ("pulse", -5, "999"), ("pulse", 251, "above 250"),
    ("respiration_rate", 0, "999"), ("respiration_rate", 61, "above 60"),
    ("systolic_bp", 39, "below 40"), ("systolic_bp", 301, "above 300"),
    ("temperature", 24.9, "below 25.0"), ("temperature", 45.1, "above 45.0"),
    ("temperature", 98.6, "°F"), ("temperature", float("nan"), "number"),
    ("temperature", True, "number"), ("temperature", "37.2", "number"),
    ("pulse", 72.5, "whole number"), ("spo2", 96.0, "whole number"),
    ("respiration_rate", True, "whole number"), ("systolic_bp", "120", "whole number"),
    ("consciousness", "drowsy", "one of"), ("on_oxygen", "yes", "air"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "says"), IMPLAUSIBLE)
def test_implausible_values_are_refused_with_a_reason(field: str, value: Any, says: str) -> None:
    obs = replace(NORMAL, **{field: value})
    problems = implausible(obs)
    assert [f for f, _ in problems] == [field]
    assert says in problems[0][1]
    with pytest.raises(ImplausibleObservations) as refused:
        score(obs)
    assert refused.value.problems == problems


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spo2", 50), ("spo2", 100), ("pulse", 1), ("pulse", 250), ("respiration_rate", 1),
        ("respiration_rate", 60), ("systolic_bp", 40), ("systolic_bp", 300),
        ("temperature", 25.0), ("temperature", 45.0), ("temperature", 24.95),
        ("temperature", 45.04),
    ],
)  # fmt: skip
def test_plausible_extremes_are_accepted(field: str, value: Any) -> None:
    assert implausible(replace(NORMAL, **{field: value})) == []


def test_every_problem_is_reported_at_once_in_chart_order() -> None:
    obs = Observations(respiration_rate=0, spo2=101, pulse=300, temperature=50.0)
    assert [f for f, _ in implausible(obs)] == ["respiration_rate", "spo2", "pulse", "temperature"]


# ---------------------------------------------------------------- rounding and codes


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [(36.05, "36.1"), (36.04, "36.0"), (35.05, "35.1"), (37, "37.0"), (Decimal("38.95"), "39.0")],
)
def test_temperature_rounds_half_up_to_one_decimal(raw: Any, rounded: str) -> None:
    assert rounded_temperature(raw) == Decimal(rounded)


def test_scored_temperature_is_the_rounded_value() -> None:
    result = score(replace(NORMAL, temperature=38.05))
    temperature = next(s for s in result.sub_scores if s.parameter == P.TEMPERATURE)
    assert (temperature.value, temperature.points) == (38.1, 1)


def test_snomed_code_for_the_total() -> None:
    assert SNOMED_NEWS2_TOTAL == "1104051000000101"

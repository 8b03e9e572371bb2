"""NEWS2 scoring, pure: observations in, sub-scores, total and clinical risk band out.

Source: Royal College of Physicians, *National Early Warning Score (NEWS) 2*, December 2017,
Chart 1 (scoring) and Chart 3/4 (thresholds and risk); DOMAIN.md "NEWS2";
clinical-research.md §2.

Judgement calls, in one place:

- **Missing is not normal.** A parameter that was not recorded is listed in ``missing`` and
  adds nothing to the total; the result says ``complete=False``. The risk band of a partial set
  is a floor: the full set could only score the same or higher.
- **Oxygen unknown on scale 2.** On scale 2 an SpO2 of 93% or more scores 0 on air but 1-3 on
  oxygen, so with ``on_oxygen`` unrecorded it cannot be scored; SpO2 is then listed as missing
  (with a note), never guessed as "on air".
- **Temperature** is rounded to one decimal place, half up (36.05 -> 36.1), before banding and
  before the plausibility check. Half-up rounding agrees with reading Chart 1's bands as the
  half-open intervals ``<=35.0``, ``(35.0, 36.0]``, ``(36.0, 38.0]``, ``(38.0, 39.0]``, ``>39.0``
  at every x.x5 point.
- **Integer vitals** (respiration rate, SpO2, systolic BP, pulse) must be whole numbers;
  ``72.5`` or ``True`` is refused rather than silently truncated.
- **Implausible values are refused, never scored** (see ``PLAUSIBLE``). The bounds catch typing
  slips and wrong units, and are deliberately wide at the low end: a genuinely dangerous low
  value must be recordable (it scores 3 anyway). Zero pulse or respiration is an arrest: call
  999, do not score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final, TypeGuard

# ---------------------------------------------------------------- codes (SNOMED CT UK edition)

#: Royal College of Physicians NEWS2 total score (DOMAIN.md; clinical-research.md §2.3).
SNOMED_NEWS2_TOTAL: Final = "1104051000000101"


class Consciousness(StrEnum):
    """ACVPU. Long-standing confusion (e.g. known dementia) is ALERT unless new or worse (RCP)."""

    ALERT = "alert"
    NEW_CONFUSION = "new_confusion"
    VOICE = "voice"
    PAIN = "pain"
    UNRESPONSIVE = "unresponsive"


class SpO2Scale(StrEnum):
    """Scale 2 only for hypercapnic respiratory failure with a prescribed 88-92% target (RCP)."""

    SCALE_1 = "scale_1"
    SCALE_2 = "scale_2"


SCALE_1: Final = SpO2Scale.SCALE_1
SCALE_2: Final = SpO2Scale.SCALE_2


class RiskBand(StrEnum):
    """Clinical risk, RCP NEWS2 Chart 3 (low, low-medium, medium, high)."""

    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"


class Parameter(StrEnum):
    """The seven rows of NEWS2 Chart 1, in chart order."""

    RESPIRATION_RATE = "respiration_rate"
    SPO2 = "spo2"
    AIR_OR_OXYGEN = "air_or_oxygen"
    SYSTOLIC_BP = "systolic_bp"
    PULSE = "pulse"
    CONSCIOUSNESS = "consciousness"
    TEMPERATURE = "temperature"


#: Sub-score SCTIDs (clinical-research.md §2.3); SpO2 has one per scale.
SNOMED_SUB_SCORE: Final[dict[Parameter, str]] = {
    Parameter.RESPIRATION_RATE: "1104301000000104",
    Parameter.AIR_OR_OXYGEN: "1104331000000105",
    Parameter.SYSTOLIC_BP: "1104341000000101",
    Parameter.PULSE: "1104351000000103",
    Parameter.CONSCIOUSNESS: "1104361000000100",
    Parameter.TEMPERATURE: "1104371000000107",
}
SNOMED_SPO2_SUB_SCORE: Final[dict[SpO2Scale, str]] = {
    SpO2Scale.SCALE_1: "1104311000000102",
    SpO2Scale.SCALE_2: "1104321000000108",
}


# ---------------------------------------------------------------- observations


@dataclass(frozen=True)
class Observations:
    """One set of observations; any subset may be recorded (None = not taken)."""

    respiration_rate: int | None = None  # breaths /min
    spo2: int | None = None  # %
    on_oxygen: bool | None = None  # None = not recorded (not "air")
    systolic_bp: int | None = None  # mmHg
    pulse: int | None = None  # beats /min
    consciousness: Consciousness | None = None
    temperature: float | None = None  # °C, scored at one decimal place


#: Accepted ranges, inclusive, for each numeric field (after rounding temperature to 0.1 °C).
PLAUSIBLE: Final[dict[str, tuple[Decimal, Decimal, str]]] = {
    "respiration_rate": (Decimal(1), Decimal(60), "breaths/min"),
    "spo2": (Decimal(50), Decimal(100), "%"),
    "systolic_bp": (Decimal(40), Decimal(300), "mmHg"),
    "pulse": (Decimal(1), Decimal(250), "beats/min"),
    "temperature": (Decimal("25.0"), Decimal("45.0"), "°C"),
}
_ARREST: Final = {
    "respiration_rate": "no breathing is a medical emergency: call 999 now, do not score",
    "pulse": "no pulse is a medical emergency: call 999 now, do not score",
}
_TENTH: Final = Decimal("0.1")
_ROUNDABLE: Final = 1000


def rounded_temperature(value: float | Decimal) -> Decimal:
    """Temperature to one decimal place, half up (36.05 -> 36.1); NEWS2 Chart 1 bands are 0.1 °C."""
    return Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(value)


def _out_of_range(field: str, value: Decimal) -> str | None:
    low, high, unit = PLAUSIBLE[field]
    if value < low:
        if value <= 0 and field in _ARREST:
            return f"{value} {unit} is not a reading; {_ARREST[field]}"
        return f"{value} {unit} is below {low}, not a plausible reading; please re-check"
    if value > high:
        hint = ""
        if field == "temperature" and Decimal(77) <= value <= Decimal(113):
            hint = " (was it measured in °F? record °C)"
        return f"{value} {unit} is above {high}, not a plausible reading{hint}; please re-check"
    return None


def implausible(obs: Observations) -> list[tuple[str, str]]:
    """Each refused field with the reason, in chart order; empty when every value is plausible.

    Bounds (``PLAUSIBLE``) are this product's choice, wide enough to record real extremes:
    respiration 1-60 /min, SpO2 50-100 %, systolic 40-300 mmHg, pulse 1-250 /min, temperature
    25.0-45.0 °C. Vitals other than temperature must be whole numbers.
    """
    problems: list[tuple[str, str]] = []
    for field in ("respiration_rate", "spo2"):
        _check_integer(field, getattr(obs, field), problems)
    if obs.on_oxygen is not None and not isinstance(obs.on_oxygen, bool):
        problems.append(("on_oxygen", "must be air (false) or oxygen (true)"))
    for field in ("systolic_bp", "pulse"):
        _check_integer(field, getattr(obs, field), problems)
    if obs.consciousness is not None and obs.consciousness not in set(Consciousness):
        problems.append(
            ("consciousness", "must be one of: " + ", ".join(c.value for c in Consciousness))
        )
    if obs.temperature is not None:
        if not _is_number(obs.temperature):
            problems.append(("temperature", "must be a number in °C, e.g. 37.2"))
        else:
            reason = _temperature_out_of_range(obs.temperature)
            if reason:
                problems.append(("temperature", reason))
    return problems


def _temperature_out_of_range(value: float | Decimal) -> str | None:
    # Far from any body temperature the value is refused as typed, not rounded: rounding 1e300
    # to 0.1 needs more digits than the decimal context holds (InvalidOperation, once a 500).
    if not -_ROUNDABLE < value < _ROUNDABLE:
        low, high, unit = PLAUSIBLE["temperature"]
        side, bound = ("below", low) if value < 0 else ("above", high)
        return f"{value:g} {unit} is {side} {bound}, not a plausible reading; please re-check"
    return _out_of_range("temperature", rounded_temperature(value))


def _check_integer(field: str, value: object, problems: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if not _is_whole(value):
        problems.append((field, f"must be a whole number of {PLAUSIBLE[field][2]}"))
        return
    reason = _out_of_range(field, Decimal(value))
    if reason:
        problems.append((field, reason))


class ImplausibleObservations(ValueError):
    """Raised by ``score`` when any value is implausible; ``problems`` as from ``implausible``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))


# ---------------------------------------------------------------- Chart 1 as tables

# Each band is (highest value inclusive, points); None closes the table. Values come from
# RCP NEWS2 Chart 1 and are read upwards, so the first band whose top is >= the value wins.
_Band = tuple[int | Decimal | None, int]

RESPIRATION_BANDS: Final[tuple[_Band, ...]] = ((8, 3), (11, 1), (20, 0), (24, 2), (None, 3))
SPO2_SCALE_1_BANDS: Final[tuple[_Band, ...]] = ((91, 3), (93, 2), (95, 1), (None, 0))
# Scale 2 below 93 (the same on air or oxygen); from 93 up, see the two tables after it.
SPO2_SCALE_2_BANDS: Final[tuple[_Band, ...]] = ((83, 3), (85, 2), (87, 1), (92, 0))
SPO2_SCALE_2_ON_AIR_BANDS: Final[tuple[_Band, ...]] = ((None, 0),)
SPO2_SCALE_2_ON_OXYGEN_BANDS: Final[tuple[_Band, ...]] = ((94, 1), (96, 2), (None, 3))
SYSTOLIC_BANDS: Final[tuple[_Band, ...]] = ((90, 3), (100, 2), (110, 1), (219, 0), (None, 3))
PULSE_BANDS: Final[tuple[_Band, ...]] = (
    (40, 3),
    (50, 1),
    (90, 0),
    (110, 1),
    (130, 2),
    (None, 3),
)
TEMPERATURE_BANDS: Final[tuple[_Band, ...]] = (
    (Decimal("35.0"), 3),
    (Decimal("36.0"), 1),
    (Decimal("38.0"), 0),
    (Decimal("39.0"), 1),
    (None, 2),
)
OXYGEN_POINTS: Final = 2  # "Air or oxygen?" row: oxygen 2, air 0, never a single-parameter 3
CONSCIOUSNESS_POINTS: Final[dict[Consciousness, int]] = {
    Consciousness.ALERT: 0,
    Consciousness.NEW_CONFUSION: 3,
    Consciousness.VOICE: 3,
    Consciousness.PAIN: 3,
    Consciousness.UNRESPONSIVE: 3,
}


def _band(value: int | Decimal, bands: tuple[_Band, ...]) -> int | None:
    for top, points in bands:
        if top is None or value <= top:
            return points
    return None


def spo2_points(spo2: int, scale: SpO2Scale, on_oxygen: bool | None) -> int | None:
    """SpO2 row of NEWS2 Chart 1 on the given scale; ``None`` when scale 2 needs air/oxygen."""
    if scale == SpO2Scale.SCALE_1:
        return _band(spo2, SPO2_SCALE_1_BANDS)
    below_93 = _band(spo2, SPO2_SCALE_2_BANDS)
    if below_93 is not None:
        return below_93
    if on_oxygen is None:
        return None
    return _band(spo2, SPO2_SCALE_2_ON_OXYGEN_BANDS if on_oxygen else SPO2_SCALE_2_ON_AIR_BANDS)


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class SubScore:
    parameter: Parameter
    value: int | float | bool | str  # the value scored (temperature after rounding)
    points: int


@dataclass(frozen=True)
class News2Result:
    """A NEWS2 score; when ``complete`` is false it covers only the parameters present."""

    scale: SpO2Scale
    sub_scores: tuple[SubScore, ...]  # in chart order, present parameters only
    missing: tuple[Parameter, ...]  # in chart order; never scored as normal
    complete: bool  # all seven parameters scored
    total: int
    single_parameter_3: bool
    # None when nothing was scored: an empty set must never read as "low risk".
    risk: RiskBand | None
    notes: tuple[str, ...] = ()

    def points(self, parameter: Parameter) -> int | None:
        """The sub-score for one parameter, or ``None`` when it was not scored."""
        for sub in self.sub_scores:
            if sub.parameter == parameter:
                return sub.points
        return None

    @property
    def label(self) -> str:
        """Plain words for a screen: the total, the band, and whether the set was partial."""
        if self.risk is None:
            return "NEWS2 not scored: no observations recorded"
        band = self.risk.value.replace("_", "-")
        if self.complete:
            return f"NEWS2 {self.total} ({band} risk)"
        missing = ", ".join(p.value.replace("_", " ") for p in self.missing)
        return f"NEWS2 {self.total} from a partial set, at least {band} risk (missing: {missing})"


def risk_band(total: int, single_parameter_3: bool) -> RiskBand:
    """RCP NEWS2 Chart 3: >=7 high; 5-6 medium; a 3 in one parameter low-medium; else low."""
    if total >= 7:
        return RiskBand.HIGH
    if total >= 5:
        return RiskBand.MEDIUM
    if single_parameter_3:
        return RiskBand.LOW_MEDIUM
    return RiskBand.LOW


def score(obs: Observations, scale: SpO2Scale = SCALE_1) -> News2Result:
    """NEWS2 exactly to RCP Chart 1 and Chart 3; missing parameters listed, never scored as 0.

    Raises ``ImplausibleObservations`` rather than score a refused value.
    """
    problems = implausible(obs)
    if problems:
        raise ImplausibleObservations(problems)
    scored: list[SubScore] = []
    missing: list[Parameter] = []
    notes: list[str] = []

    def add(parameter: Parameter, value: int | float | bool | str, points: int | None) -> None:
        if points is None:
            missing.append(parameter)
        else:
            scored.append(SubScore(parameter, value, points))

    if obs.respiration_rate is None:
        missing.append(Parameter.RESPIRATION_RATE)
    else:
        rate = obs.respiration_rate
        add(Parameter.RESPIRATION_RATE, rate, _band(rate, RESPIRATION_BANDS))
    if obs.spo2 is None:
        missing.append(Parameter.SPO2)
    else:
        points = spo2_points(obs.spo2, scale, obs.on_oxygen)
        if points is None:
            notes.append(
                f"SpO2 {obs.spo2}% on scale 2 cannot be scored without air or oxygen recorded"
            )
        add(Parameter.SPO2, obs.spo2, points)
    if obs.on_oxygen is None:
        missing.append(Parameter.AIR_OR_OXYGEN)
    else:
        add(Parameter.AIR_OR_OXYGEN, obs.on_oxygen, OXYGEN_POINTS if obs.on_oxygen else 0)
    if obs.systolic_bp is None:
        missing.append(Parameter.SYSTOLIC_BP)
    else:
        add(Parameter.SYSTOLIC_BP, obs.systolic_bp, _band(obs.systolic_bp, SYSTOLIC_BANDS))
    if obs.pulse is None:
        missing.append(Parameter.PULSE)
    else:
        add(Parameter.PULSE, obs.pulse, _band(obs.pulse, PULSE_BANDS))
    if obs.consciousness is None:
        missing.append(Parameter.CONSCIOUSNESS)
    else:
        level = Consciousness(obs.consciousness)
        add(Parameter.CONSCIOUSNESS, level.value, CONSCIOUSNESS_POINTS[level])
    if obs.temperature is None:
        missing.append(Parameter.TEMPERATURE)
    else:
        temperature = rounded_temperature(obs.temperature)
        add(Parameter.TEMPERATURE, float(temperature), _band(temperature, TEMPERATURE_BANDS))

    total = sum(sub.points for sub in scored)
    single_3 = any(sub.points == 3 for sub in scored)
    return News2Result(
        scale=scale,
        sub_scores=tuple(scored),
        missing=tuple(missing),
        complete=not missing,
        total=total,
        single_parameter_3=single_3,
        risk=risk_band(total, single_3) if scored else None,
        notes=tuple(notes),
    )


__all__ = [
    "SCALE_1",
    "SCALE_2",
    "SNOMED_NEWS2_TOTAL",
    "Consciousness",
    "ImplausibleObservations",
    "News2Result",
    "Observations",
    "Parameter",
    "RiskBand",
    "SpO2Scale",
    "SubScore",
    "implausible",
    "risk_band",
    "rounded_temperature",
    "score",
    "spo2_points",
]

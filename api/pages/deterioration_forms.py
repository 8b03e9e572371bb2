"""The deterioration forms <-> domain inputs: the observations staff record from a phone, the
responder's decision, and the clinicians' SpO2 scale, NEWS2 baseline and the PCN's escalation
ladder, with the domain's errors back on their inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.pages.formkit import FieldErrors, message_for, put, simple_errors, text
from care.deterioration.models import ResponseOutcome
from care.deterioration.news2 import SpO2Scale
from care.deterioration.routes import DEFAULT_POLICY, FLOORS, POLICY_FIELDS, Floor, policy_values
from care.deterioration.schemas import SOFT_SIGN_LABELS, EscalationPolicyIn


@dataclass(frozen=True)
class VitalField:
    """A number typed on the observation form, in NEWS2 chart order."""

    name: str
    label: str
    suffix: str
    hint: str
    words: str  # in an error message: "Enter the pulse as a whole number"
    decimal: bool = False


VITALS: tuple[VitalField, ...] = (
    VitalField("respiration_rate", "Breathing rate", "breaths a minute",
               "Count the breaths for a full minute", "the breathing rate"),
    VitalField("spo2", "Oxygen level (SpO2)", "%", "From the finger probe", "the oxygen level"),
    VitalField("systolic_bp", "Blood pressure: the top number", "mmHg",
               "The systolic pressure, for example 128 from 128/80",
               "the top blood pressure number"),
    VitalField("pulse", "Pulse", "beats a minute", "Count for a full minute if irregular",
               "the pulse"),
    VitalField("temperature", "Temperature", "°C", "For example, 37.2", "the temperature",
               decimal=True),
)
OXYGEN_ITEMS: list[dict[str, str]] = [
    {"value": "air", "text": "Breathing room air"},
    {"value": "oxygen", "text": "On oxygen"},
]
CONSCIOUSNESS_ITEMS: list[dict[str, Any]] = [
    {"value": "alert", "text": "Alert: awake, as usual for them"},
    {"value": "new_confusion", "text": "New confusion, or more confused than usual"},
    {"value": "voice", "text": "Only responds when you speak to them"},
    {"value": "pain", "text": "Only responds to pain",
     "hint": {"text": "A medical emergency: call 999 now"}},
    {"value": "unresponsive", "text": "Does not respond at all",
     "hint": {"text": "A medical emergency: call 999 now"}},
]
CONSCIOUSNESS_WORDS = {
    "alert": "Alert", "new_confusion": "New confusion", "voice": "Voice", "pain": "Pain",
    "unresponsive": "Unresponsive",
}
OBSERVATION_LABELS: dict[str, str] = {
    **{v.name: v.words for v in VITALS},
    "on_oxygen": "whether they are on air or oxygen",
    "consciousness": "how alert they are",
    "soft_signs": "the signs noticed",
    "soft_signs_note": "what else you noticed",
    "taken_at": "the time the observations were taken",
}
SIGN_PREFIX = "sign-"
SOFT_SIGN_FIELDS = [(SIGN_PREFIX + sign.value, label) for sign, label in SOFT_SIGN_LABELS.items()]
TAKEN_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


def parse_observations(
    form: Mapping[str, str], now: datetime, tz: str
) -> tuple[dict[str, Any], FieldErrors]:
    """The observation form as ``ObservationsIn`` input: a blank box is a value not taken.
    Soft signs come as one checkbox each (``sign-<value>``), so none is lost to the form's
    one-value-per-name reading."""
    data: dict[str, Any] = {}
    problems = FieldErrors()
    for vital in VITALS:
        put(data, vital.name, text(form, vital.name).replace(",", ".") if vital.decimal
             else text(form, vital.name))
    oxygen = text(form, "on_oxygen")
    if oxygen in ("air", "oxygen"):
        data["on_oxygen"] = oxygen == "oxygen"
    put(data, "consciousness", text(form, "consciousness"))
    signs = sorted(key.removeprefix(SIGN_PREFIX) for key, value in form.items()
                   if key.startswith(SIGN_PREFIX) and value == "yes")
    if signs:
        data["soft_signs"] = signs
    put(data, "soft_signs_note", text(form, "soft_signs_note"))
    data["carer_concerned"] = text(form, "carer_concerned") == "yes"
    data["medical_emergency"] = text(form, "medical_emergency") == "yes"
    taken = text(form, "taken_at")
    if taken:
        found = TAKEN_TIME.match(taken)
        if found is None:
            problems.add("taken_at", "Enter the time as hours and minutes, for example 14:30")
        else:
            data["taken_at"] = _taken_at(int(found.group(1)), int(found.group(2)), now, tz)
    return data, problems


def _taken_at(hour: int, minute: int, now: datetime, tz: str) -> str:
    """A clock time today; a time later than now is last night's (recorded after midnight)."""
    local = now.astimezone(ZoneInfo(tz))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at > local + timedelta(minutes=5):
        at -= timedelta(days=1)
    return at.isoformat()


def observation_errors(errors: list[dict[str, str]], found: FieldErrors | None = None
                       ) -> FieldErrors:
    """Errors onto the observation form's inputs, in the order of the form."""
    found = found or FieldErrors()
    order = ["medical_emergency", *(v.name for v in VITALS), "on_oxygen", "consciousness",
             "soft_signs", "soft_signs_note", "taken_at"]

    def head_of(error: dict[str, str]) -> str:
        parts = [p for p in (error.get("field") or "observations").split(".")
                 if p != "outcome" and not p.isdigit()]
        return parts[0] if parts else "observations"

    for error in sorted(errors, key=lambda e: order.index(head_of(e))
                        if head_of(e) in order else len(order)):
        head, reason = head_of(error), error.get("reason", "")
        if head in ("observations", "body"):
            found.add("respiration_rate", "Enter at least one observation, or tick a sign you "
                                          "noticed, or say you are worried")
            continue
        low = reason.lower()
        label = OBSERVATION_LABELS.get(head, head.replace("_", " "))
        vital = next((v for v in VITALS if v.name == head), None)
        if vital is not None and ("valid integer" in low or "valid number" in low):
            example = "for example 37.2" if vital.decimal else "a whole number"
            found.add(head, f"Enter {label} as {example}")
        elif vital is not None:
            # The domain's own words: what is wrong with the reading, and what to do.
            found.add(head, f"{label.removeprefix('the ').capitalize()}: {reason}")
        else:
            found.add(head, message_for(head, reason, OBSERVATION_LABELS))
    return found


OUTCOME_ITEMS: list[dict[str, str]] = [
    {"value": o.value, "text": o.label} for o in ResponseOutcome
]
DECISION_LABELS = {"decision": "your decision and plan", "outcome": "what happened",
                   "hospital_name": "the hospital", "recommendation": "your recommendation",
                   "reason": "the reason", "scale": "the SpO2 scale",
                   "observation_id": "the set of observations to use as the baseline"}


def parse_response_decision(form: Mapping[str, str]) -> dict[str, Any]:
    """The responder's decision; the hospital only travels with an admission."""
    data: dict[str, Any] = {"decision": text(form, "decision")}
    put(data, "outcome", text(form, "outcome"))
    if data.get("outcome") == ResponseOutcome.ADMITTED.value:
        put(data, "hospital_name", text(form, "hospital_name"))
    return data


def response_decision_errors(errors: list[dict[str, str]]) -> FieldErrors:
    """The decision form's errors, in its order: what happened, the hospital, the decision."""
    found = FieldErrors()
    order = ["outcome", "hospital_name", "decision"]

    def head_of(error: dict[str, str]) -> str:
        parts = [p for p in (error.get("field") or "decision").split(".") if p != "outcome"]
        # "outcome.outcome" (the step's form) and "outcome" (the schema) are the same radios.
        return parts[0] if parts else "outcome"

    for error in sorted(errors, key=lambda e: order.index(head_of(e))
                        if head_of(e) in order else len(order)):
        head = head_of(error)
        if head == "outcome":
            found.add("outcome", "Select what happened")
        else:
            found.add(head, message_for(head, error.get("reason", ""), DECISION_LABELS))
    return found


# ---------------------------------------------------------------- the clinicians' settings

SCALE_ITEMS = [
    {"value": SpO2Scale.SCALE_1.value, "text": "Scale 1 (most people)"},
    {"value": SpO2Scale.SCALE_2.value,
     "text": "Scale 2: hypercapnic respiratory failure with a prescribed 88-92% target"},
]
SCALE_WORDS = {SpO2Scale.SCALE_1: "Scale 1", SpO2Scale.SCALE_2: "Scale 2 (target 88-92%)"}

#: The form's fields in the order people read a ladder: name, label (the schema's title, one
#: place), unit, and the floor people may set it within.
LADDER_FIELDS: tuple[tuple[str, str, str, Floor], ...] = tuple(
    (name, EscalationPolicyIn.model_fields[name].title or name,
     "score" if name.endswith("_from") else "points" if name == "rise_from_baseline"
     else "minutes", FLOORS[name])
    for name in POLICY_FIELDS)
LADDER_LABELS = {**{name: label.lower() for name, label, _, _ in LADDER_FIELDS},
                 "reason": "why the ladder is changing"}


def parse_ladder(form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """What was typed (to show again), and the ``EscalationPolicyIn`` input. Only what differs
    from the default is stored, so a later change of default reaches every PCN that never
    chose otherwise."""
    values = {name: form.get(name, "").strip() for name, _, _, _ in LADDER_FIELDS}
    values["reason"] = form.get("reason", "").strip()
    defaults = policy_values(DEFAULT_POLICY)
    data: dict[str, Any] = {k: v for k, v in values.items() if v != "" and k != "reason"
                            and v != str(defaults.get(k))}
    data["reason"] = values["reason"]
    return values, data


def ladder_errors(errors: list[dict[str, str]]) -> FieldErrors:
    return simple_errors(errors, LADDER_LABELS)


def clinician_errors(errors: list[dict[str, str]], prefix: str = "") -> FieldErrors:
    """The errors of the SBARD recommendation, the SpO2 scale or the baseline form (``prefix``
    tells the chart page's two forms apart)."""
    return simple_errors(errors, DECISION_LABELS, prefix)

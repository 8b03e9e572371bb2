"""The deterioration domain's step types, and what it reports that opens them."""

from __future__ import annotations

from care.deterioration import effects
from care.deterioration.kinds import ESCALATED, OBSERVED, WENT_TO_HOSPITAL, DeteriorationStep
from care.deterioration.schemas import AeReviewOutcome, DecisionIn, ObservationsIn
from care.directory.access import CLINICAL_ROLES, CLINICIANS
from care.journeys.pathway import Trigger
from care.journeys.registry import StepType

# Urgent steps say who by profession; a 999 step is for whoever is in the home.
STEP_TYPES = (
    StepType(DeteriorationStep.URGENT_RESPONSE, "Urgent response", "deterioration", DecisionIn,
             CLINICAL_ROLES, 1,
             "by the escalation route: respond within 2 hours at most (national standard), "
             "sooner as the NEWS2 band and the PCN's ladder say", effects.record_outcome),
    StepType(DeteriorationStep.REPEAT_OBSERVATIONS, "Repeat observations", "deterioration",
             ObservationsIn, CLINICAL_ROLES, 1,
             "at the RCP NEWS2 monitoring interval for the score (a full set at once when "
             "the set was partial)", effects.record_outcome),
    StepType(DeteriorationStep.AE_REVIEW, "Review of an A&E attendance", "deterioration",
             AeReviewOutcome, CLINICIANS, 2, "within 7 days of the attendance",
             effects.record_outcome),
)


# Safety floors (hazard log H-26): no pathway version may leave these out.
TRIGGERS = (
    Trigger(ESCALATED, "A NEWS2 score or soft signs call for an urgent response, or the "
            "ladder raises one", may_open=frozenset({DeteriorationStep.URGENT_RESPONSE}),
            must_open=frozenset({DeteriorationStep.URGENT_RESPONSE})),
    Trigger(OBSERVED, "Observations are recorded and the score calls for a repeat or a full "
            "set", may_open=frozenset({DeteriorationStep.REPEAT_OBSERVATIONS}),
            must_open=frozenset({DeteriorationStep.REPEAT_OBSERVATIONS})),
    Trigger(WENT_TO_HOSPITAL, "An escalation ends with an A&E attendance or an admission",
            may_open=frozenset({DeteriorationStep.AE_REVIEW}),
            must_open=frozenset({DeteriorationStep.AE_REVIEW})),
)

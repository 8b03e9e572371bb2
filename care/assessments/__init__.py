"""The clinical records a journey's steps produce: holistic assessment and PCSP.

Other domains use what is exported here (checked by .importlinter), never the modules inside.
"""

from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan
from care.assessments.rules import (
    coded_contact,
    contact_words,
    free_text_contact,
    named_clinician_id,
)
from care.assessments.schemas import HospitalAdmissionWish, PreferredContact
from care.assessments.service import current_plan, latest_assessment, latest_plan_for_update

__all__ = [
    "AssessmentStep",
    "CarePlan",
    "HospitalAdmissionWish",
    "PreferredContact",
    "coded_contact",
    "contact_words",
    "current_plan",
    "free_text_contact",
    "latest_assessment",
    "latest_plan_for_update",
    "named_clinician_id",
]

"""The journey's stages as people name them: the EHCH pathway's stages (declared in
care/pathways/ehch-v1.toml) and the states the residents domain sets while the resident is not
in the home. Domain code and tests use these names; the engine stores plain strings."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    ASSESSMENT = "assessment"
    CARE_PLANNING = "care_planning"
    UNDER_MDT_CARE = "under_mdt_care"
    IN_HOSPITAL = "in_hospital"
    DISCHARGED = "discharged"
    DECEASED = "deceased"


# The states a journey is in while the resident is away: registered with their labels in
# care/composition.py, so the timeline and the pages name them.
AWAY_STATES = {
    Stage.IN_HOSPITAL: "In hospital",
    Stage.DISCHARGED: "Discharged",
    Stage.DECEASED: "Died",
}

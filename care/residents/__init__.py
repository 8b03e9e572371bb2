"""Residents and their residence episodes (admissions, hospital stays, discharge, death).

Other domains use what is exported here (checked by .importlinter), never the modules inside.
"""

from care.residents.models import (
    DementiaStatus,
    Episode,
    EpisodeStart,
    Resident,
    ResidentStatus,
    Setting,
)

__all__ = ["DementiaStatus", "Episode", "EpisodeStart", "Resident", "ResidentStatus", "Setting"]

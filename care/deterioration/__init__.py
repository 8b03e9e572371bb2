"""Deterioration: observations, NEWS2 scoring (pure), soft signs, SBARD and escalation.

Other domains use what is exported here (checked by .importlinter), never the modules inside.
"""

from care.deterioration.kinds import DETERIORATION
from care.deterioration.models import Deterioration, DeteriorationStatus

__all__ = ["DETERIORATION", "Deterioration", "DeteriorationStatus"]

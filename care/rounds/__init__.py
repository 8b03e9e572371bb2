"""The weekly MDT home round: when it happens, who is on its agenda and why.

Other domains use what is exported here (checked by .importlinter), never the modules inside.
"""

from care.rounds.models import ResidentEvent, ResidentEventKind

__all__ = ["ResidentEvent", "ResidentEventKind"]

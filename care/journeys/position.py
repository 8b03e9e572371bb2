"""Where one resident is on the pathway version their journey follows (the pathway page's
highlight): access-checked like the resident's own record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from care.directory.access import Actor
from care.journeys import pathway as pathways
from care.journeys.drawing import Highlight, highlight_for
from care.journeys.models import Journey
from care.journeys.service import journey_for_resident
from care.residents.models import Resident


@dataclass(frozen=True)
class Position:
    resident: Resident
    journey: Journey
    # The version the journey follows, which need not be the current one (a journey moves to
    # a new version only by an explicit migration).
    pathway: pathways.Pathway
    highlight: Highlight


def position_of(session: Session, actor: Actor, resident_id: uuid.UUID) -> Position:
    """The resident's stage and steps marked on their journey's pathway version. A resident
    of a home the actor does not serve is not found (404), as everywhere."""
    view = journey_for_resident(session, actor, resident_id)
    journey = view.journey
    pathway = pathways.get(journey.pathway, journey.pathway_version)
    return Position(view.resident, journey, pathway,
                    highlight_for(pathway, journey.stage, view.steps, journey.current_episode_id))

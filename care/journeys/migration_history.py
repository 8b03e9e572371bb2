"""What the people who migrate journeys read about migrations: how many running journeys follow
each pathway version, the migrations recorded, and what one migration did to each journey.

Reads only (the moving is ``migration``). A migration is a clinical-governance record of the
PCN, so its who, when and why are shown to the PCN's clinical lead and admins; the journeys it
moved are named only where the reader serves the resident's home, as everywhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.directory.access import Actor
from care.directory.models import User
from care.errors import NotFound
from care.journeys.migration import MIGRATED, MIGRATING_ROLES, JourneyChange
from care.journeys.models import Journey, JourneyEvent, JourneyStatus, PathwayMigration
from care.residents.models import Resident

HISTORY_LIMIT = 50


def _require(actor: Actor) -> None:
    actor.require_role(MIGRATING_ROLES, "see pathway migrations")


def active_by_version(session: Session, actor: Actor, name: str) -> dict[int, int]:
    """Active journeys in the homes the actor serves, counted by the version they follow."""
    _require(actor)
    rows = session.execute(
        select(Journey.pathway_version, func.count())
        .where(Journey.pathway == name, Journey.status == JourneyStatus.ACTIVE,
               Journey.home_id.in_(actor.home_ids))
        .group_by(Journey.pathway_version))
    return {version: count for version, count in rows.tuples()}


def residents_named(session: Session, actor: Actor,
                    resident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Resident]:
    """The residents, with their home, of those ids in homes the actor serves."""
    wanted = set(resident_ids)
    if not wanted or not actor.home_ids:
        return {}
    return {r.id: r for r in session.scalars(select(Resident).where(
        Resident.id.in_(wanted), Resident.home_id.in_(actor.home_ids)))}


@dataclass(frozen=True)
class PastMigration:
    migration: PathwayMigration
    actor_name: str


def _visible(actor: Actor) -> Any:
    """Migrations made by people of the reader's PCN."""
    return PathwayMigration.actor_id.in_(
        select(User.id).where(User.pcn_id == actor.user.pcn_id))


def past_migrations(session: Session, actor: Actor, name: str,
                    limit: int = HISTORY_LIMIT) -> list[PastMigration]:
    """The latest migrations of the pathway in the actor's PCN, newest first."""
    _require(actor)
    rows = session.execute(
        select(PathwayMigration, User.display_name)
        .join(User, User.id == PathwayMigration.actor_id)
        .where(PathwayMigration.pathway == name, _visible(actor))
        .order_by(PathwayMigration.at.desc(), PathwayMigration.id)
        .limit(limit))
    return [PastMigration(m, who) for m, who in rows.tuples()]


@dataclass(frozen=True)
class JourneyOutcome:
    """One journey of a recorded migration, as its reader may see it."""

    journey_id: uuid.UUID
    resident: Resident
    change: JourneyChange | None = None
    error: str | None = None


@dataclass(frozen=True)
class RecordedMigration:
    migration: PathwayMigration
    actor_name: str
    # From each journey's timeline (the event the move wrote), in homes the reader serves.
    moved: list[JourneyOutcome] = field(default_factory=list)
    failed: list[JourneyOutcome] = field(default_factory=list)
    # Named only when the migration listed its journeys: the row keeps no per-journey record
    # of a journey that was already on the version, since nothing happened to it.
    unchanged: list[JourneyOutcome] = field(default_factory=list)
    # Journeys in homes the reader does not serve: counted, never named.
    elsewhere: int = 0

    @property
    def finished(self) -> bool:
        """Whether the run wrote its results (it stopped part-way otherwise)."""
        return "moved" in self.migration.results

    @property
    def moved_count(self) -> int:
        return int(self.migration.results.get("moved", len(self.moved)))

    @property
    def unchanged_count(self) -> int:
        return int(self.migration.results.get("unchanged", 0))

    @property
    def failed_count(self) -> int:
        return len(self.migration.results.get("failed", []))

    @property
    def journeys(self) -> int:
        return int(self.migration.results.get("journeys", 0))


def _change(journey: Journey, data: dict[str, Any]) -> JourneyChange:
    return JourneyChange(
        journey_id=journey.id, resident_id=journey.resident_id, home_id=journey.home_id,
        from_version=int(data.get("from_version", 0)), to_version=int(data.get("to_version", 0)),
        stage_from=str(data.get("stage_from", "")), stage_to=str(data.get("stage_to", "")),
        opens=tuple(data.get("opens", ())), skips=tuple(data.get("skips", ())),
        closes=tuple(data.get("closes", ())), note=str(data.get("note", "")))


def recorded(session: Session, actor: Actor, migration_id: uuid.UUID) -> RecordedMigration:
    """One migration: who, when, why, and what happened to each journey the reader may see."""
    _require(actor)
    row = session.execute(
        select(PathwayMigration, User.display_name)
        .join(User, User.id == PathwayMigration.actor_id)
        .where(PathwayMigration.id == migration_id, _visible(actor))).tuples().first()
    if row is None:
        raise NotFound("pathway migration not found")
    migration, who = row
    moved_rows = list(session.execute(
        select(JourneyEvent, Journey)
        .join(Journey, Journey.id == JourneyEvent.journey_id)
        .where(JourneyEvent.kind == MIGRATED,
               JourneyEvent.data.contains({"migration_id": str(migration.id)}))
        .order_by(JourneyEvent.id)).tuples())
    failures = {uuid.UUID(f["journey_id"]): str(f.get("error") or "unknown error")
                for f in migration.results.get("failed", [])}
    moved_ids = {journey.id for _, journey in moved_rows}
    # Until the run writes its results, a listed journey not moved may simply not be reached.
    listed = ([uuid.UUID(j) for j in (migration.scope or {}).get("journey_ids") or []]
              if "moved" in migration.results else [])
    unchanged_ids = [j for j in listed if j not in moved_ids and j not in failures]
    journeys = {j.id: j for j in session.scalars(select(Journey).where(
        Journey.id.in_(set(failures) | set(unchanged_ids))))}
    journeys.update({journey.id: journey for _, journey in moved_rows})
    residents = residents_named(session, actor, (j.resident_id for j in journeys.values()))

    def seen(journey_id: uuid.UUID) -> Resident | None:
        journey = journeys.get(journey_id)
        return residents.get(journey.resident_id) if journey else None

    moved, failed, unchanged, elsewhere = [], [], [], 0
    for event, journey in moved_rows:
        resident = seen(journey.id)
        if resident is None:
            elsewhere += 1
        else:
            moved.append(JourneyOutcome(journey.id, resident, _change(journey, event.data)))
    for journey_id, error in failures.items():
        resident = seen(journey_id)
        if resident is None:
            elsewhere += 1
        else:
            failed.append(JourneyOutcome(journey_id, resident, error=error))
    for journey_id in unchanged_ids:
        resident = seen(journey_id)
        if resident is None:
            elsewhere += 1
        else:
            unchanged.append(JourneyOutcome(journey_id, resident))
    return RecordedMigration(migration, who, moved, failed, unchanged, elsewhere)

"""Moving running journeys to another pathway version, as the best BPM engines migrate
process instances: never implicitly, always with a dry run first, recorded and idempotent.

For each journey, in its current care-home episode:
- steps the new version places *before* a step the journey has already completed are
  recorded as skipped (the journey has passed that point: nothing opens late);
- open steps the new version no longer has are cancelled with the reason;
- then the new version's ``decide`` opens whatever is due now, exactly as the runner would.
The dry run and the apply share one function, so the preview is what happens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.service import record as audit
from care.directory.access import Actor
from care.directory.models import User
from care.errors import InvalidInput, NotFound
from care.journeys import batches
from care.journeys import pathway as pathways
from care.journeys import service as journeys
from care.journeys.ledger import DEFAULT_PATHWAY, NewStep, add_event, open_step
from care.journeys.models import (
    OPEN_STATUSES,
    Journey,
    JourneyStatus,
    PathwayMigration,
    Step,
    StepStatus,
)
from care.journeys.registry import step_type
from care.residents.models import Episode, Setting
from care.settings import Settings
from care.types import Role

# Changing the pathway running journeys follow is a clinical-governance act as well as an
# operational one: the clinical lead or an admin.
MIGRATING_ROLES = frozenset({Role.ADMIN, Role.CLINICAL_LEAD})
MAX_JOURNEYS_PER_MIGRATION = 50_000
# The timeline event a move writes on each journey (read back by migration_history).
MIGRATED = "pathway.migrated"


@dataclass(frozen=True)
class JourneyChange:
    """What moving one journey to ``to_version`` does (or did)."""

    journey_id: uuid.UUID
    resident_id: uuid.UUID
    home_id: uuid.UUID
    from_version: int
    to_version: int
    stage_from: str
    stage_to: str
    opens: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    note: str = ""

    @property
    def changes_anything(self) -> bool:
        return (self.from_version != self.to_version or bool(self.opens or self.skips
                or self.closes) or self.stage_from != self.stage_to)

    def as_dict(self) -> dict[str, Any]:
        return {"journey_id": str(self.journey_id), "from_version": self.from_version,
                "to_version": self.to_version, "stage_from": self.stage_from,
                "stage_to": self.stage_to, "opens": list(self.opens), "skips": list(self.skips),
                "closes": list(self.closes), "note": self.note}


@dataclass
class Scope:
    """Which journeys a migration covers: one home, a list of journeys, or all served."""

    home_id: uuid.UUID | None = None
    journey_ids: list[uuid.UUID] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"home_id": str(self.home_id) if self.home_id else None,
                "journey_ids": [str(j) for j in self.journey_ids]}


def target_version(name: str, version: int) -> pathways.Pathway:
    try:
        return pathways.get(name, version)
    except pathways.PathwayError:
        raise InvalidInput(f"pathway {name} has no version {version}", field="version") from None


def journeys_in_scope(session: Session, actor: Actor, scope: Scope) -> list[uuid.UUID]:
    """Active journeys of homes the actor serves, limited as asked; unknown ids refused."""
    if scope.home_id is not None and not actor.serves(scope.home_id):
        raise NotFound("care home not found")
    query = select(Journey.id).where(Journey.status == JourneyStatus.ACTIVE,
                                     Journey.home_id.in_(actor.home_ids))
    if scope.home_id is not None:
        query = query.where(Journey.home_id == scope.home_id)
    if scope.journey_ids:
        wanted = set(scope.journey_ids)
        query = query.where(Journey.id.in_(wanted))
        found = set(session.scalars(query))
        if found != wanted:
            raise InvalidInput(f"{len(wanted - found)} of the journeys are not active journeys "
                               "in homes you serve", field="journey_ids")
        return sorted(found)
    return list(session.scalars(query.order_by(Journey.id).limit(MAX_JOURNEYS_PER_MIGRATION)))


def _plan(session: Session, journey: Journey, target: pathways.Pathway) -> JourneyChange:
    def change(stage_to: str, **what: Any) -> JourneyChange:
        return JourneyChange(
            journey_id=journey.id, resident_id=journey.resident_id, home_id=journey.home_id,
            from_version=journey.pathway_version, to_version=target.version,
            stage_from=journey.stage, stage_to=stage_to, **what)

    if journey.pathway == target.name and journey.pathway_version == target.version:
        return change(journey.stage, note=f"already on version {target.version}")
    episode = (session.get(Episode, journey.current_episode_id)
               if journey.current_episode_id else None)
    if (journey.status != JourneyStatus.ACTIVE or episode is None
            or episode.setting != Setting.CARE_HOME or episode.ended_on is not None):
        return change(journey.stage,
                      note="not in the home now: the new version applies on return")
    steps = journeys.episode_steps(session, episode.id)
    skips = pathways.passed_over(target, steps)
    kept = set(target.sequence_kinds)
    closes = tuple(k for k, status in steps.items()
                   if status in OPEN_STATUSES and k not in kept
                   and k in _sequence_kinds_known())
    after = {k: s for k, s in steps.items() if k not in closes}
    after.update({k: StepStatus.SKIPPED for k in skips})
    decision = pathways.decide(target, True, journey.stage, after)
    return change(decision.stage, opens=decision.open_kinds, skips=skips, closes=closes)


def _sequence_kinds_known() -> set[str]:
    """Kinds any installed version places in its stages (reaction steps are never closed)."""
    return {k for p in pathways.versions(DEFAULT_PATHWAY) for k in p.sequence_kinds}


def dry_run(session: Session, actor: Actor, name: str, version: int, scope: Scope,
            ) -> list[JourneyChange]:
    actor.require_role(MIGRATING_ROLES, "migrate journeys to another pathway version")
    target = target_version(name, version)
    changes = []
    for journey_id in journeys_in_scope(session, actor, scope):
        journey = session.get(Journey, journey_id)
        assert journey is not None
        changes.append(_plan(session, journey, target))
    return changes


def migrate_journey(
    session: Session, user: User, journey_id: uuid.UUID, target: pathways.Pathway,
    migration: PathwayMigration, now: datetime, settings: Settings,
) -> JourneyChange:
    """Apply the plan to one journey under its row lock; a second run changes nothing."""
    journey = journeys.lock_journey(session, journey_id)
    change = _plan(session, journey, target)
    if not change.changes_anything:
        return change
    episode_id = journey.current_episode_id
    for kind in change.skips:
        open_step(session, NewStep(
            dedupe_key=f"{episode_id}:{kind}", kind=kind, title=step_type(kind).title,
            home_id=journey.home_id, due_at=now, deadline_rule="skipped-by-migration/v1",
            deadline_base=now, journey_id=journey.id, resident_id=journey.resident_id,
            episode_id=episode_id, status=StepStatus.SKIPPED,
            instructions=f"the journey had passed this point when pathway {target.name} "
                         f"version {target.version} was applied"), now)
    reason = f"not in pathway {target.name} version {target.version}"
    for step in session.scalars(select(Step).where(
            Step.episode_id == episode_id, Step.kind.in_(change.closes),
            Step.status.in_(OPEN_STATUSES)).with_for_update()):
        step.status = StepStatus.CANCELLED
        step.cancelled_reason = reason
        add_event(session, journey.id, "step.cancelled", f"{step.title} cancelled: {reason}",
                  now, step_id=step.id, actor=user)
    journey.pathway = target.name
    journey.pathway_version = target.version
    add_event(session, journey.id, MIGRATED,
              f"Moved to pathway version {target.version} by {user.display_name}: "
              f"{migration.reason}", now, actor=user,
              data={"migration_id": str(migration.id), **change.as_dict()})
    if journey.status == JourneyStatus.ACTIVE:
        # The same decide() the runner applies: opens what the plan said and sets the stage.
        journeys.apply_pathway(session, journey, now=now, settings=settings)
    return change


def start(session: Session, actor: Actor, name: str, version: int, scope: Scope, reason: str,
          now: datetime) -> tuple[PathwayMigration, list[uuid.UUID]]:
    """Record who migrates which journeys, when and why; returns the journeys to move."""
    actor.require_role(MIGRATING_ROLES, "migrate journeys to another pathway version")
    target = target_version(name, version)
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput("say why the journeys are moving (at least 5 characters)",
                           field="reason")
    ids = journeys_in_scope(session, actor, scope)
    migration = PathwayMigration(pathway=target.name, to_version=target.version, reason=reason,
                                 scope=scope.as_dict(), actor_id=actor.id, at=now,
                                 results={"journeys": len(ids), "done": 0})
    session.add(migration)
    session.flush()
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="pathway.migrate",
          entity="pathway_migration", entity_id=migration.id,
          after={"pathway": target.name, "to_version": target.version, "reason": reason,
                 "scope": scope.as_dict(), "journeys": len(ids)})
    return migration, ids


def run(sessions: sessionmaker[Session], user_id: uuid.UUID, migration_id: uuid.UUID,
        journey_ids: list[uuid.UUID], now: datetime, settings: Settings,
        ) -> list[batches.ItemResult]:
    """Move each journey in its own transaction, then record the outcome on the migration."""
    def move(session: Session, journey_id: uuid.UUID) -> dict[str, Any]:
        user = session.get(User, user_id)
        migration = session.get(PathwayMigration, migration_id)
        assert user is not None and migration is not None
        target = pathways.get(migration.pathway, migration.to_version)
        return migrate_journey(session, user, journey_id, target, migration, now,
                               settings).as_dict()

    results = batches.for_each_journey(sessions, journey_ids, move)
    with sessions() as session, session.begin():
        migration = session.get(PathwayMigration, migration_id)
        assert migration is not None
        migration.results = {
            "journeys": len(journey_ids),
            "moved": sum(1 for r in results if r.ok and _moved(r.detail)),
            "unchanged": sum(1 for r in results if r.ok and not _moved(r.detail)),
            "failed": [{"journey_id": str(r.journey_id), "error": r.error}
                       for r in results if not r.ok],
        }
    return results


def _moved(detail: dict[str, Any]) -> bool:
    return bool(detail.get("from_version") != detail.get("to_version"))

"""Moving running journeys to another pathway version: a dry run first, then the apply."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ApiActor, ContextDep, NowDep, SessionDep
from api.journey_schemas import ItemOut, JourneyChangeOut, MigrationIn, MigrationOut
from api.schemas import problem_responses
from care.journeys import migration
from care.journeys.ledger import DEFAULT_PATHWAY

router = APIRouter(tags=["pathway"], responses=problem_responses(401, 403, 404, 422))


@router.post("/pathway/migrations", response_model=MigrationOut)
def migrate(body: MigrationIn, actor: ApiActor, session: SessionDep, ctx: ContextDep,
            now: NowDep) -> MigrationOut:
    """Move running journeys to another version (clinical lead or admin). With `dry_run`
    (the default) nothing is written: the answer lists, per journey, what would open, be
    skipped (already passed) or close. Without it, each journey moves in its own transaction;
    the migration is recorded with who, when and why. Moving again changes nothing."""
    scope = migration.Scope(home_id=body.home_id, journey_ids=body.journey_ids)
    if body.dry_run:
        changes = migration.dry_run(session, actor, DEFAULT_PATHWAY, body.version, scope)
        return MigrationOut(id=None, pathway=DEFAULT_PATHWAY, to_version=body.version,
                            dry_run=True, at=now, reason=body.reason,
                            changes=[JourneyChangeOut(**c.as_dict()) for c in changes])
    record, journey_ids = migration.start(session, actor, DEFAULT_PATHWAY, body.version, scope,
                                          body.reason, now)
    session.commit()
    results = migration.run(ctx.sessions, actor.id, record.id, journey_ids, now, ctx.settings)
    return MigrationOut(
        id=record.id, pathway=record.pathway, to_version=record.to_version, dry_run=False,
        at=now, reason=record.reason,
        changes=[JourneyChangeOut(**r.detail) for r in results if r.ok],
        failed=[ItemOut(journey_id=r.journey_id, ok=False, detail={}, error=r.error)
                for r in results if not r.ok])

"""Moving running journeys to another pathway version (issue 9.4), for the clinical lead and
admins: the versions installed and how many journeys follow each, a form, a dry run that lists
per journey what would open, be skipped or close (nothing written), the apply (recorded with
who, when and why; each journey in its own transaction) and the record of each migration.

The same domain calls as ``POST /api/v1/pathway/migrations``: the preview *is* the dry run the
apply repeats under each journey's lock, so what is shown is what happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from starlette.responses import Response

from api.deps import ContextDep, NowDep, SessionDep
from api.pages.formkit import FieldErrors, form_values
from api.pages.migrations_forms import (
    ALL,
    HOME,
    LISTED,
    MigrationChoice,
    domain_errors,
    read,
    scope_words,
)
from api.pages.web import (
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    page_router,
    redirect,
    render,
)
from care.audit.service import record_seen
from care.directory.service import homes_for
from care.errors import InvalidInput, NotFound
from care.journeys import migration, migration_history
from care.journeys import pathway as pathways
from care.journeys.ledger import DEFAULT_PATHWAY
from care.journeys.migration import JourneyChange
from care.journeys.registry import UnknownStepKind, step_type
from care.residents.models import Resident

router = page_router()

ACTION = "move journeys to another pathway version"


def _title(kind: str) -> str:
    try:
        return step_type(kind).title
    except UnknownStepKind:  # a step of a trial long gone: its kind is still worth showing
        return kind.replace("_", " ").capitalize()


def _stage(value: str, target: pathways.Pathway | None) -> str:
    if target is not None and any(stage.id == value for stage in target.stages):
        return target.stage_label(value)
    return pathways.stage_label(value)


def _lower_first(words: str) -> str:
    """'Holistic assessment' as 'holistic assessment', but 'MDT …' as written."""
    first = words.split(" ", 1)[0]
    return words if len(first) > 1 and not first[1:].islower() else words[:1].lower() + words[1:]


def _row(change: JourneyChange, resident: Resident | None,
         target: pathways.Pathway | None) -> dict[str, Any]:
    """One journey's change in the words of the preview and the record."""
    before, after = _stage(change.stage_from, target), _stage(change.stage_to, target)
    return {
        "change": change,
        "resident": resident,
        "moves": change.from_version != change.to_version,
        "stage": (f"Stays at {_lower_first(before)}" if before == after
                  else f"From {_lower_first(before)} to {_lower_first(after)}"),
        "opens": [_title(k) for k in change.opens],
        "skips": [_title(k) for k in change.skips],
        "closes": [_title(k) for k in change.closes],
        "note": change.note[:1].upper() + change.note[1:],
    }


def _in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By home, then by resident's name, as the other lists of residents."""
    def key(row: dict[str, Any]) -> tuple[str, str, str, str]:
        r: Resident | None = row["resident"]
        if r is None:
            return ("~", "", "", str(row["change"].journey_id))
        return (r.home.name, r.family_name, r.given_name, str(r.id))
    return sorted(rows, key=key)


def _totals(changes: Iterable[JourneyChange]) -> dict[str, int]:
    changes = list(changes)
    return {
        "journeys": len(changes),
        "move": sum(c.from_version != c.to_version for c in changes),
        "already": sum(c.from_version == c.to_version for c in changes),
        "opens": sum(len(c.opens) for c in changes),
        "skips": sum(len(c.skips) for c in changes),
        "closes": sum(len(c.closes) for c in changes),
    }


def _home_names(session: SessionDep, page: PageSession) -> dict[uuid.UUID, str]:
    return {home.id: home.name for home in homes_for(session, page.actor.home_ids)}


def _installed() -> set[int]:
    return {p.version for p in pathways.versions(DEFAULT_PATHWAY)}


def _who(page: PageSession, actor_id: uuid.UUID, name: str) -> str:
    return "you" if actor_id == page.actor.id else name


# ---------------------------------------------------------------- the versions and the form


@router.get("/pathway/migrations")
def migrations(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return _migrations_page(request, page, session, now)


def _migrations_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: FieldErrors | None = None, values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The versions installed, the form to move journeys (with ``errors``, as sent), and the
    migrations recorded."""
    page.actor.require_role(migration.MIGRATING_ROLES, ACTION)
    installed = pathways.versions(DEFAULT_PATHWAY)
    current = pathways.current(DEFAULT_PATHWAY)
    following = migration_history.active_by_version(session, page.actor, DEFAULT_PATHWAY)
    homes = homes_for(session, page.actor.home_ids)
    names = {home.id: home.name for home in homes}
    history = [{
        "past": past,
        "scope": scope_words(past.migration.scope, names,
                             _who(page, past.migration.actor_id, past.actor_name)),
        "results": past.migration.results,
    } for past in migration_history.past_migrations(session, page.actor, DEFAULT_PATHWAY)]
    return render(request, "pages/migrations.html", page, {
        "installed": installed,
        "current": current,
        "following": following,
        # Journeys on a version no longer installed: a migration is how they leave it.
        "stranded": {v: n for v, n in following.items()
                     if v not in {p.version for p in installed}},
        "active": sum(following.values()),
        "homes": homes,
        "history": history,
        "errors": errors or FieldErrors(),
        "values": values or {},
        "scopes": {"all": ALL, "home": HOME, "listed": LISTED},
    }, now=now, settings=page.settings, status_code=status_code)


# ---------------------------------------------------------------- the dry run


@router.post("/pathway/migrations/preview")
def preview(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep, now: NowDep
) -> Response:
    """What the migration would do to each journey; nothing about a journey is written."""
    page.actor.require_role(migration.MIGRATING_ROLES, ACTION)
    choice, errors = read(form, page.actor, _installed())
    if choice is None:
        return _migrations_page(request, page, session, now, errors=errors,
                                values=form_values(form), status_code=422)
    try:
        changes = migration.dry_run(session, page.actor, DEFAULT_PATHWAY, choice.version,
                                    choice.scope)
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _migrations_page(request, page, session, now, errors=domain_errors(exc),
                                values=form_values(form), status_code=422)
    target = pathways.get(DEFAULT_PATHWAY, choice.version)
    residents = migration_history.residents_named(session, page.actor,
                                                  (c.resident_id for c in changes))
    rows = _in_order([_row(c, residents.get(c.resident_id), target) for c in changes])
    # A list naming residents is audited, as opening one is (invariant 8).
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="pathway.migration_preview", resident_ids=set(residents))
    session.commit()
    return _preview_page(request, page, session, now, choice, target, rows, changes)


def _preview_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep,
    choice: MigrationChoice, target: pathways.Pathway, rows: list[dict[str, Any]],
    changes: list[JourneyChange],
) -> Response:
    return render(request, "pages/migration_preview.html", page, {
        "choice": choice,
        "target": target,
        "current": pathways.current(DEFAULT_PATHWAY),
        "rows": rows,
        "totals": _totals(changes),
        "scope": scope_words(choice.scope.as_dict(), _home_names(session, page), "you"),
        "carried": choice.carried(),
    }, now=now, settings=page.settings)


# ---------------------------------------------------------------- the apply


@router.post("/pathway/migrations")
def apply(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep,
    ctx: ContextDep, now: NowDep,
) -> Response:
    """Record the migration (who, when, why), then move each journey in its own transaction:
    one journey's failure is recorded and the others carry on. Applying it again moves
    nothing: each journey is already on the version."""
    page.actor.require_role(migration.MIGRATING_ROLES, ACTION)
    choice, errors = read(form, page.actor, _installed())
    if choice is None:
        return _migrations_page(request, page, session, now, errors=errors,
                                values=form_values(form), status_code=422)
    try:
        record, journey_ids = migration.start(session, page.actor, DEFAULT_PATHWAY,
                                              choice.version, choice.scope, choice.reason, now)
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _migrations_page(request, page, session, now, errors=domain_errors(exc),
                                values=form_values(form), status_code=422)
    # The record first, committed: if the moving stops part-way, who asked and why remain,
    # and applying it again finishes the journeys not yet moved.
    session.commit()
    results = migration.run(ctx.sessions, page.actor.id, record.id, journey_ids, now,
                            ctx.settings)
    moved = sum(1 for r in results if r.ok and r.detail.get("from_version") != choice.version)
    failed = sum(1 for r in results if not r.ok)
    response = redirect(f"/pathway/migrations/{record.id}")
    message = (f"Version {choice.version} applied: {moved} journey{'s' if moved != 1 else ''} "
               f"moved, {len(results) - moved - failed} already on version {choice.version}")
    message += f", {failed} could not be moved." if failed else "."
    flash(response, message, page.settings, now, kind="important" if failed else "success")
    return response


# ---------------------------------------------------------------- one migration recorded


@router.get("/pathway/migrations/{migration_id}")
def recorded(
    migration_id: uuid.UUID, request: Request, page: PageSessionDep, session: SessionDep,
    now: NowDep,
) -> Response:
    """Who moved which journeys, when and why, and what happened to each of them."""
    page.actor.require_role(migration.MIGRATING_ROLES, ACTION)
    found = migration_history.recorded(session, page.actor, migration_id)
    try:
        target: pathways.Pathway | None = pathways.get(found.migration.pathway,
                                                       found.migration.to_version)
    except pathways.PathwayError:
        target = None  # a version since uninstalled: the record still stands
    moved = _in_order([_row(o.change, o.resident, target) for o in found.moved if o.change])
    named: set[uuid.UUID | None] = {
        o.resident.id for o in (*found.moved, *found.failed, *found.unchanged)}
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="pathway.migration.view", resident_ids=named)
    session.commit()
    return render(request, "pages/migration.html", page, {
        "found": found,
        "m": found.migration,
        "who": found.actor_name,
        "scope": scope_words(found.migration.scope, _home_names(session, page),
                             _who(page, found.migration.actor_id, found.actor_name)),
        "moved": moved,
        "totals": _totals(o.change for o in found.moved if o.change),
    }, now=now, settings=page.settings)

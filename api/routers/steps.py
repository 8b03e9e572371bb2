"""Human steps: the work queue, and claim / release / assign / complete."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.orm import Session

from api import idempotent
from api.deps import ApiActor, NowDep, SessionDep, SettingsDep
from api.schemas import (
    AssignIn,
    CompleteIn,
    CompletionOut,
    Page,
    StepDetailOut,
    StepOut,
    journey_ref,
    names_for,
    problem_responses,
    step_detail_out,
    step_out,
    step_people,
)
from care.audit.service import record as audit
from care.audit.service import record_seen
from care.errors import InvalidInput
from care.journeys import idempotency
from care.journeys import service as journeys
from care.journeys.models import Journey, Step
from care.journeys.registry import is_registered, step_type
from care.paging import MAX_PAGE, MAX_PAGE_SIZE
from care.residents.models import Resident
from care.types import IsoDateTime

router = APIRouter(tags=["steps"], responses=problem_responses(401, 404, 422))

StatusFilter = Literal["open", "ready", "claimed", "completed", "cancelled", "failed"]
SortOrder = Literal["due_at", "-due_at", "priority", "-priority"]


def _step_body(session: Session, step: Step, now: datetime) -> StepOut:
    # Home-level steps (preparing a round) are for nobody in particular.
    resident = session.get(Resident, step.resident_id) if step.resident_id else None
    return step_out(step, now, names_for(session, step_people([step])), resident)


@router.get("/steps", response_model=Page[StepOut])
def list_steps(
    actor: ApiActor, session: SessionDep, now: NowDep,
    status: StatusFilter | None = None,
    kind: Annotated[str | None, Query(
        description="A step kind, e.g. holistic_assessment (GET /api/v1/pathway lists them)",
        max_length=40)] = None,
    home_id: uuid.UUID | None = None,
    assignee: Literal["me", "unassigned"] | None = None,
    overdue: bool | None = None,
    due_before: Annotated[IsoDateTime | None, Query(
        description="Steps due before this instant: ISO 8601 with a time zone, "
                    "e.g. 2026-11-10T17:00:00Z")] = None,
    resident_id: uuid.UUID | None = None,
    sort: SortOrder = "due_at",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[StepOut]:
    """Steps in the homes you serve; `status=open` means ready or claimed."""
    if kind is not None and not is_registered(kind):
        raise InvalidInput("is not a step kind this service knows", field="kind")
    filters = journeys.StepFilters(
        status=status, kind=kind, home_id=home_id, assignee=assignee, overdue=overdue,
        due_before=due_before, resident_id=resident_id, sort=sort, page=page,
        page_size=page_size,
    )
    found = journeys.list_steps(session, actor, filters, now)
    names = names_for(session, step_people(s for s, _ in found.items))
    body = Page[StepOut](
        items=[step_out(s, now, names, r) for s, r in found.items], total=found.total,
        page=found.page, page_size=found.page_size,
    )
    record_seen(session, at=now, actor=actor.user, channel=actor.channel, action="step.list",
                resident_ids={s.resident_id for s, _ in found.items})
    session.commit()
    return body


@router.get("/steps/{step_id}", response_model=StepDetailOut)
def get_step(
    step_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> StepDetailOut:
    """One step with its outcome (when completed) and the JSON Schema of its outcome form."""
    step = journeys.get_step(session, actor, step_id)
    body = step_detail_out(
        step, now, names_for(session, step_people([step])),
        session.get(Resident, step.resident_id), step_type(step.kind).outcome_schema(),
    )
    audit(session, at=now, actor=actor.user, action="step.view", entity="step",
          entity_id=step.id, resident_id=step.resident_id)
    session.commit()
    return body


@router.post("/steps/{step_id}/claim", response_model=StepOut,
             responses=problem_responses(403, 409))
def claim(step_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep) -> StepOut:
    """Take a ready step. The first claim wins; anyone else gets 409."""
    step = journeys.claim_step(session, actor, step_id, now)
    body = _step_body(session, step, now)
    session.commit()
    return body


@router.post("/steps/{step_id}/release", response_model=StepOut,
             responses=problem_responses(403, 409))
def release(step_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep) -> StepOut:
    """Give a taken step back to the home's queue."""
    step = journeys.release_step(session, actor, step_id, now)
    body = _step_body(session, step, now)
    session.commit()
    return body


@router.post("/steps/{step_id}/assign", response_model=StepOut,
             responses=problem_responses(400, 403, 409))
def assign(
    step_id: uuid.UUID, data: AssignIn, actor: ApiActor, session: SessionDep, now: NowDep
) -> StepOut:
    """Give an open step to a named member of the home's MDT (coordinator or clinical lead)."""
    step = journeys.assign_step(session, actor, step_id, data.assignee_id, now)
    body = _step_body(session, step, now)
    session.commit()
    return body


@router.post("/steps/{step_id}/complete", response_model=CompletionOut,
             responses=problem_responses(400, 403, 409))
def complete(
    step_id: uuid.UUID, data: CompleteIn, request: Request, response: Response,
    actor: ApiActor, session: SessionDep, now: NowDep, settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(
        max_length=idempotency.MAX_KEY_LENGTH,
        description="Makes retries safe: a repeat with the same key and body returns the "
        "first result; the same key with a different request is refused with 409.",
    )] = None,
) -> CompletionOut:
    """Record the step's outcome, validated against its form (422 with field errors, nothing
    stored). The next step of the pathway is open in the response. Completing an already
    completed step is 409 (unless it is an `Idempotency-Key` repeat)."""
    call, earlier = idempotent.replay(session, actor.id, idempotency_key, request, response,
                                      data.model_dump(mode="json"))
    if earlier is not None:
        return CompletionOut.model_validate(earlier)
    step = journeys.complete_step(session, actor, step_id, data.outcome, now, settings)
    # Home-level steps (preparing a round) have no journey, so nothing follows them here.
    journey = session.get(Journey, step.journey_id) if step.journey_id else None
    open_steps = journeys.steps_of(session, step.journey_id, open_only=True)
    resident = session.get(Resident, step.resident_id) if step.resident_id else None
    names = names_for(session, step_people([step, *open_steps]))
    body = CompletionOut(
        step=step_out(step, now, names, resident),
        journey=journey_ref(journey) if journey is not None else None,
        open_steps=[step_out(s, now, names, resident) for s in open_steps],
    )
    idempotent.remember(session, actor.id, call, 200, body.model_dump(mode="json"), now)
    session.commit()
    return body

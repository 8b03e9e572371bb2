"""The JSON shapes of the public API (/api/v1), and how domain objects map onto them.

Inputs for admissions and residence changes live in ``care/residents/schemas.py``; step
outcomes are validated by the step kind's own form (declared in ``care/<domain>/steps.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from care.deterioration.kinds import DETERIORATION
from care.directory.models import CareHome, User
from care.journeys.models import (
    Journey,
    JourneyEvent,
    JourneyStatus,
    Notification,
    Step,
    StepStatus,
)
from care.residents.models import DementiaStatus, Resident, ResidentStatus
from care.residents.rules import format_nhs_number
from care.rounds.kinds import HOME_ROUND
from care.types import Profession, Role

T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(_Out, Generic[T]):
    """One page of a filtered list."""

    items: list[T]
    total: int = Field(description="How many items match the filters, over all pages")
    page: int
    page_size: int


class ProblemError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` names each field at fault and why."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] | None = None


#: What each problem status means, in the OpenAPI (api/openapi.py adds them where they apply).
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be read (not UTF-8, or not the declared media type)",
    401: "Not signed in, or the token is invalid or has expired",
    403: "Your role may not do this",
    404: "Not found, or not in a home you serve",
    409: "Clashes with the current state",
    422: "Invalid input: `errors` names each field and the reason",
    429: "Too many attempts; see Retry-After",
    500: "Something went wrong on our side; nothing was changed",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries declaring that these statuses answer with problem details."""
    return {
        status: {
            "model": Problem,
            "description": PROBLEM_DESCRIPTIONS.get(status, "Error"),
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }


# ---------------------------------------------------------------- auth


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


# ---------------------------------------------------------------- people and homes


class PersonRef(BaseModel):
    id: uuid.UUID
    display_name: str


class HomeOut(_Out):
    id: uuid.UUID
    name: str
    home_type: str
    beds: int
    cqc_location_id: str
    ods_code: str
    address: str
    postcode: str
    round_weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    # Wall-clock time in the home (no UTC offset): JSON Schema's "time" format is RFC 3339
    # full-time, which requires an offset, so the documented format is partial-time.
    round_time: time = Field(description="Local time of the weekly round, HH:MM:SS",
                             json_schema_extra={"format": "partial-time",
                                                "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d+)?$"})
    clinical_lead_id: uuid.UUID | None
    pcn_id: uuid.UUID


class MemberOut(_Out):
    id: uuid.UUID
    display_name: str
    role: Role
    profession: Profession


def names_for(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Display names of the users behind these ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows.tuples()}


def person_ref(user_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> PersonRef | None:
    if user_id is None:
        return None
    return PersonRef(id=user_id, display_name=names.get(user_id, "unknown user"))


# ---------------------------------------------------------------- residents


class ResidentRef(BaseModel):
    id: uuid.UUID
    name: str
    nhs_number: str = Field(description="Formatted 3-3-4")


class ResidentOut(BaseModel):
    id: uuid.UUID
    nhs_number: str = Field(description="Formatted 3-3-4, e.g. 999 123 4560")
    given_name: str
    family_name: str
    date_of_birth: date
    home_id: uuid.UUID
    home_name: str
    room: str | None
    gp_practice_ods: str
    gp_practice_name: str
    gp_in_aligned_pcn: bool
    representative_name: str | None
    representative_relationship: str | None
    representative_phone: str | None
    dementia_status: DementiaStatus
    status: ResidentStatus
    journey_id: uuid.UUID | None
    stage: str | None = Field(description="The journey's stage (GET /api/v1/pathway names them)")


def resident_ref(resident: Resident) -> ResidentRef:
    return ResidentRef(id=resident.id, name=resident.display_name,
                       nhs_number=format_nhs_number(resident.nhs_number))


def resident_out(resident: Resident, journey: Journey | None) -> ResidentOut:
    return ResidentOut(
        id=resident.id,
        nhs_number=format_nhs_number(resident.nhs_number),
        given_name=resident.given_name,
        family_name=resident.family_name,
        date_of_birth=resident.date_of_birth,
        home_id=resident.home_id,
        home_name=resident.home.name,
        room=resident.room,
        gp_practice_ods=resident.gp_practice_ods,
        gp_practice_name=resident.gp_practice_name,
        gp_in_aligned_pcn=resident.gp_in_aligned_pcn,
        representative_name=resident.representative_name,
        representative_relationship=resident.representative_relationship,
        representative_phone=resident.representative_phone,
        dementia_status=resident.dementia_status,
        status=resident.status,
        journey_id=journey.id if journey else None,
        stage=journey.stage if journey else None,
    )


# ---------------------------------------------------------------- steps


class StepOut(BaseModel):
    id: uuid.UUID
    journey_id: uuid.UUID | None = Field(description="None for home-level steps (a round)")
    resident: ResidentRef | None = None
    home_id: uuid.UUID
    home_round_id: uuid.UUID | None = None
    deterioration_id: uuid.UUID | None = Field(
        default=None, description="The escalation an urgent or repeat-observations step serves")
    candidate_profession: str | None = Field(
        default=None, description="Only this profession may take the step")
    instructions: str | None = None
    kind: str = Field(description="The step kind, declared by its domain (GET /api/v1/pathway)")
    title: str
    status: StepStatus
    priority: int = Field(description="1 = urgent ... 3 = routine")
    candidate_group: str
    assignee: PersonRef | None
    due_at: datetime
    deadline_rule: str = Field(description="The deadline rule's name and version")
    deadline_base: datetime
    overdue: bool = Field(description="Open and past its due time")
    overdue_since: datetime | None = Field(description="When the deadline sweep escalated it")
    opened_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: PersonRef | None
    cancelled_reason: str | None
    version: int


class StepDetailOut(StepOut):
    outcome: dict[str, Any] | None
    outcome_schema: dict[str, Any] = Field(description="JSON Schema of the outcome form")


def step_out(
    step: Step, now: datetime, names: Mapping[uuid.UUID, str],
    resident: Resident | None = None,
) -> StepOut:
    return StepOut(**_step_fields(step, now, names, resident))


def step_detail_out(
    step: Step, now: datetime, names: Mapping[uuid.UUID, str], resident: Resident | None,
    outcome_schema: dict[str, Any],
) -> StepDetailOut:
    return StepDetailOut(**_step_fields(step, now, names, resident), outcome=step.outcome,
                         outcome_schema=outcome_schema)


def _step_fields(
    step: Step, now: datetime, names: Mapping[uuid.UUID, str], resident: Resident | None
) -> dict[str, Any]:
    return {
        "id": step.id,
        "journey_id": step.journey_id,
        "resident": resident_ref(resident) if resident is not None else None,
        "home_id": step.home_id,
        "home_round_id": step.context_of(HOME_ROUND),
        "deterioration_id": step.context_of(DETERIORATION),
        "candidate_profession": step.candidate_profession,
        "instructions": step.instructions,
        "kind": step.kind,
        "title": step.title,
        "status": step.status,
        "priority": step.priority,
        "candidate_group": step.candidate_group,
        "assignee": person_ref(step.assignee_id, names),
        "due_at": step.due_at,
        "deadline_rule": step.deadline_rule,
        "deadline_base": step.deadline_base,
        "overdue": step.is_open and step.due_at < now,
        "overdue_since": step.overdue_since,
        "opened_at": step.opened_at,
        "claimed_at": step.claimed_at,
        "completed_at": step.completed_at,
        "completed_by": person_ref(step.completed_by_id, names),
        "cancelled_reason": step.cancelled_reason,
        "version": step.version,
    }


def step_people(steps: Iterable[Step]) -> set[uuid.UUID | None]:
    return {i for s in steps for i in (s.assignee_id, s.completed_by_id)}


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID = Field(description="A member serving the resident's home")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: dict[str, Any] = Field(
        description="The step's outcome; must match the step's `outcome_schema`"
    )


class JourneyRef(BaseModel):
    id: uuid.UUID
    stage: str = Field(description="The journey's stage (GET /api/v1/pathway names them)")
    status: JourneyStatus


class CompletionOut(BaseModel):
    """The completed step and what is open on the journey now (the next step, at once)."""

    step: StepOut
    journey: JourneyRef | None = Field(description="None for a home-level step (a round)")
    open_steps: list[StepOut]


# ---------------------------------------------------------------- journeys


class AdmissionOut(BaseModel):
    resident: ResidentOut
    journey: JourneyRef
    steps: list[StepOut] = Field(description="The steps the admission opened")


class EventOut(BaseModel):
    id: int
    at: datetime
    kind: str
    summary: str
    step_id: uuid.UUID | None
    actor: PersonRef | None
    data: dict[str, Any]


class JourneyOut(BaseModel):
    id: uuid.UUID
    resident: ResidentRef
    home_id: uuid.UUID
    stage: str = Field(description="The journey's stage (GET /api/v1/pathway names them)")
    status: JourneyStatus
    pathway: str = Field(description="The pathway the journey follows")
    pathway_version: int = Field(
        description="Its version: changed only by a migration (POST /api/v1/pathway/migrations)")
    started_at: datetime
    finished_at: datetime | None
    last_advanced_at: datetime | None
    steps: list[StepOut]
    timeline: list[EventOut] = Field(description="Journey events, oldest first")


def journey_ref(journey: Journey) -> JourneyRef:
    return JourneyRef(id=journey.id, stage=journey.stage, status=journey.status)


def journey_out(
    journey: Journey, resident: Resident, steps: list[Step], events: list[JourneyEvent],
    now: datetime, names: Mapping[uuid.UUID, str],
) -> JourneyOut:
    return JourneyOut(
        id=journey.id,
        resident=resident_ref(resident),
        home_id=journey.home_id,
        stage=journey.stage,
        status=journey.status,
        pathway=journey.pathway,
        pathway_version=journey.pathway_version,
        started_at=journey.started_at,
        finished_at=journey.finished_at,
        last_advanced_at=journey.last_advanced_at,
        steps=[step_out(s, now, names) for s in steps],
        timeline=[
            EventOut(id=e.id, at=e.at, kind=e.kind, summary=e.summary, step_id=e.step_id,
                     actor=person_ref(e.actor_id, names), data=e.data)
            for e in events
        ],
    )


class StalledJourneyOut(BaseModel):
    journey_id: uuid.UUID
    resident: ResidentRef
    home_id: uuid.UUID
    stage: str = Field(description="The journey's stage (GET /api/v1/pathway names them)")
    status: JourneyStatus
    last_advanced_at: datetime | None
    reasons: list[str] = Field(description="What should have happened and has not")


class RerunOut(BaseModel):
    journey_id: uuid.UUID
    outbox_id: int = Field(description="The advance request the journey runner will pick up")
    status: Literal["accepted"] = "accepted"


# ---------------------------------------------------------------- notifications


class NotificationOut(_Out):
    id: uuid.UUID
    kind: str
    message: str
    step_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut] = Field(description="Newest first")


def notification_out(note: Notification) -> NotificationOut:
    return NotificationOut.model_validate(note)


def home_out(home: CareHome) -> HomeOut:
    return HomeOut.model_validate(home, from_attributes=True)

"""Residents: admission, look-up, residence changes, and the journey as people see it."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from api.deps import ApiActor, NowDep, SessionDep, SettingsDep
from api.schemas import (
    AdmissionOut,
    JourneyOut,
    Page,
    ResidentOut,
    journey_out,
    journey_ref,
    names_for,
    problem_responses,
    resident_out,
    step_out,
    step_people,
)
from care.audit.service import record as audit
from care.journeys import service as journeys
from care.journeys.models import Journey
from care.paging import MAX_PAGE, MAX_PAGE_SIZE
from care.residents import service as residents
from care.residents.models import Resident
from care.residents.schemas import (
    AdmissionIn,
    DeathIn,
    DischargeIn,
    HospitalStayIn,
    ReadmissionIn,
)
from care.types import NO_NUL

router = APIRouter(tags=["residents"], responses=problem_responses(401, 404, 422))

ResidentStatusFilter = Literal["active", "resident", "in_hospital", "discharged", "deceased"]


def _journey_of(session: Session, resident: Resident) -> Journey | None:
    return journeys.journey_of(session, resident.id)


@router.post("/residents", status_code=201, response_model=AdmissionOut,
             responses=problem_responses(400, 403))
def admit(
    data: AdmissionIn, response: Response, actor: ApiActor, session: SessionDep, now: NowDep,
    settings: SettingsDep,
) -> AdmissionOut:
    """Admit a resident to a home you serve; their journey starts and the assessment opens."""
    resident, journey = residents.admit(session, actor, data, now, settings)
    steps = journeys.steps_of(session, journey.id)
    names = names_for(session, step_people(steps))
    body = AdmissionOut(
        resident=resident_out(resident, journey),
        journey=journey_ref(journey),
        steps=[step_out(s, now, names, resident) for s in steps],
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/residents/{resident.id}"
    return body


@router.get("/residents", response_model=Page[ResidentOut])
def list_residents(
    actor: ApiActor, session: SessionDep, now: NowDep,
    home_id: uuid.UUID | None = None,
    status: ResidentStatusFilter | None = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL,
                                   description="Name or NHS number")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Page[ResidentOut]:
    """Residents of the homes you serve (who was shown is audited)."""
    found = residents.list_residents(session, actor, home_id=home_id, status=status, search=q,
                                     page=page, page_size=page_size)
    body = Page[ResidentOut](
        items=[resident_out(r, j) for r, j in found.items], total=found.total,
        page=found.page, page_size=found.page_size,
    )
    audit(session, at=now, actor=actor.user, action="resident.list", entity="resident",
          after={"resident_ids": [str(r.id) for r in body.items]})
    session.commit()
    return body


@router.get("/residents/{resident_id}", response_model=ResidentOut)
def get_resident(
    resident_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> ResidentOut:
    """One resident (the view is audited)."""
    resident = residents.get_resident(session, actor, resident_id)
    body = resident_out(resident, _journey_of(session, resident))
    audit(session, at=now, actor=actor.user, action="resident.view", entity="resident",
          entity_id=resident.id, resident_id=resident.id)
    session.commit()
    return body


@router.get("/residents/{resident_id}/journey", response_model=JourneyOut)
def get_journey(
    resident_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> JourneyOut:
    """The resident's journey: stage, steps with deadlines, and the timeline of events."""
    view = journeys.journey_for_resident(session, actor, resident_id)
    names = names_for(session, step_people(view.steps) | {e.actor_id for e in view.events})
    body = journey_out(view.journey, view.resident, view.steps, view.events, now, names)
    audit(session, at=now, actor=actor.user, action="journey.view", entity="journey",
          entity_id=view.journey.id, resident_id=view.resident.id)
    session.commit()
    return body


def _changed(session: Session, resident: Resident) -> ResidentOut:
    body = resident_out(resident, _journey_of(session, resident))
    session.commit()
    return body


@router.post("/residents/{resident_id}/readmissions", response_model=ResidentOut,
             responses=problem_responses(400, 403, 409))
def readmit(
    resident_id: uuid.UUID, data: ReadmissionIn, actor: ApiActor, session: SessionDep,
    now: NowDep, settings: SettingsDep,
) -> ResidentOut:
    """Back in the home after hospital (or a discharge): both deadlines restart."""
    resident = residents.record_readmission(session, actor, resident_id, data, now, settings)
    return _changed(session, resident)


@router.post("/residents/{resident_id}/hospital-stays", response_model=ResidentOut,
             responses=problem_responses(400, 403, 409))
def hospital_stay(
    resident_id: uuid.UUID, data: HospitalStayIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> ResidentOut:
    """The resident went into hospital: open steps are cancelled until they return."""
    resident = residents.record_hospital_stay(session, actor, resident_id, data, now)
    return _changed(session, resident)


@router.post("/residents/{resident_id}/discharge", response_model=ResidentOut,
             responses=problem_responses(400, 403, 409))
def discharge(
    resident_id: uuid.UUID, data: DischargeIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> ResidentOut:
    """The resident left the home: open steps are cancelled with the reason."""
    resident = residents.record_discharge(session, actor, resident_id, data, now)
    return _changed(session, resident)


@router.post("/residents/{resident_id}/death", response_model=ResidentOut,
             responses=problem_responses(400, 403, 409))
def death(
    resident_id: uuid.UUID, data: DeathIn, actor: ApiActor, session: SessionDep, now: NowDep,
) -> ResidentOut:
    """The resident died: open steps are cancelled and the journey ends."""
    resident = residents.record_death(session, actor, resident_id, data, now)
    return _changed(session, resident)


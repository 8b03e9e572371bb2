"""Admissions and residence changes. Each call changes the resident, their episodes and their
journey in the caller's transaction, with the audit entry and the advance signal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.audit.service import record as audit
from care.clock import local_date
from care.directory.access import ADMITTING_ROLES, Actor
from care.directory.models import CareHome
from care.errors import Conflict, InvalidInput, NotFound
from care.journeys import outbox
from care.journeys import service as journeys
from care.journeys.events import publish
from care.journeys.ledger import add_event, pathway_of
from care.journeys.models import Journey, JourneyStatus
from care.paging import page_offset
from care.residents.events import ResidentLeftHome
from care.residents.kinds import Stage
from care.residents.models import (
    Episode,
    EpisodeEnd,
    EpisodeStart,
    Resident,
    ResidentStatus,
    Setting,
)
from care.residents.rules import (
    date_of_birth_problem,
    nhs_number_problem,
    normalise_nhs_number,
    past_date_problem,
)
from care.residents.schemas import AdmissionIn, DeathIn, DischargeIn, HospitalStayIn, ReadmissionIn
from care.settings import Settings

ACTIVE = (ResidentStatus.RESIDENT, ResidentStatus.IN_HOSPITAL)


def _happened(day: date, today: date, field: str) -> None:
    """The date of something that has happened: not in the future, not implausibly long ago."""
    problem = past_date_problem(day, today)
    if problem:
        raise InvalidInput(problem, field=field)


def admit(
    session: Session, actor: Actor, data: AdmissionIn, now: datetime, settings: Settings
) -> tuple[Resident, Journey]:
    """Admit a resident to a home the user serves and start their journey."""
    actor.require_role(ADMITTING_ROLES, "admit residents")
    problem = nhs_number_problem(data.nhs_number)
    if problem:
        raise InvalidInput(problem, field="nhs_number")
    today = local_date(now)
    _happened(data.admitted_on, today, "admitted_on")
    problem = date_of_birth_problem(data.date_of_birth, today)
    if problem:
        raise InvalidInput(problem, field="date_of_birth")
    if data.date_of_birth > data.admitted_on:
        raise InvalidInput("must be before the admission date", field="date_of_birth")
    home = session.get(CareHome, data.home_id)
    if home is None or not actor.serves(home.id):
        raise InvalidInput("is not a home you serve", field="home_id")
    digits = normalise_nhs_number(data.nhs_number)
    # Serialise admissions of one NHS number so the duplicate check cannot race.
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext("admit:" + digits))))
    duplicate = session.scalar(
        select(func.count()).select_from(Resident).where(
            Resident.nhs_number == digits, Resident.status.in_(ACTIVE)
        )
    )
    if duplicate:
        raise InvalidInput("already has an active admission to a care home", field="nhs_number")
    resident = Resident(
        nhs_number=digits,
        given_name=data.given_name,
        family_name=data.family_name,
        date_of_birth=data.date_of_birth,
        home_id=home.id,
        room=data.room,
        gp_practice_ods=data.gp_practice_ods,
        gp_practice_name=data.gp_practice_name,
        gp_in_aligned_pcn=data.gp_practice_ods in (home.pcn.practice_ods_codes or []),
        representative_name=data.representative_name,
        representative_relationship=data.representative_relationship,
        representative_phone=data.representative_phone,
        dementia_status=data.dementia_status,
        status=ResidentStatus.RESIDENT,
        created_at=now,
    )
    session.add(resident)
    session.flush()
    episode = _start_episode(session, resident, Setting.CARE_HOME, EpisodeStart.ADMISSION,
                             data.admitted_on, now)
    journey = journeys.start_journey(session, resident, episode, now, actor.user, settings)
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="resident.admit", entity="resident",
          entity_id=resident.id, resident_id=resident.id,
          after={"home_id": str(home.id), "admitted_on": data.admitted_on.isoformat()})
    return resident, journey


def _start_episode(
    session: Session, resident: Resident, setting: Setting, reason: EpisodeStart, on: date,
    now: datetime, **extra: Any,
) -> Episode:
    episode = Episode(resident_id=resident.id, home_id=resident.home_id, setting=setting,
                      start_reason=reason, started_on=on, created_at=now, **extra)
    session.add(episode)
    session.flush()
    return episode


def get_resident(
    session: Session, actor: Actor, resident_id: uuid.UUID, *, lock: bool = False
) -> Resident:
    """The resident, if the user serves their home. ``lock`` serialises residence changes,
    so two people recording a discharge (or a hospital stay) at once cannot both apply."""
    query = select(Resident).where(Resident.id == resident_id)
    if lock:
        query = query.with_for_update(of=Resident)
    resident = session.scalar(query)
    if resident is None or not actor.serves(resident.home_id):
        raise NotFound("resident not found")
    return resident


def living_in(session: Session, home_ids: frozenset[uuid.UUID] | set[uuid.UUID],
              ) -> list[Resident]:
    """Residents living in these homes now (not in hospital, discharged or deceased)."""
    return list(session.scalars(
        select(Resident).where(Resident.home_id.in_(home_ids),
                               Resident.status == ResidentStatus.RESIDENT)
        .order_by(Resident.family_name, Resident.given_name)))


@dataclass
class ResidentPage:
    items: list[tuple[Resident, Journey | None]]
    total: int
    page: int
    page_size: int


def list_residents(
    session: Session, actor: Actor, *, home_id: uuid.UUID | None, status: str | None,
    search: str | None, page: int, page_size: int,
) -> ResidentPage:
    conditions: list[Any] = [Resident.home_id.in_(actor.home_ids)]
    if home_id:
        conditions.append(Resident.home_id == home_id)
    if status == "active":
        conditions.append(Resident.status.in_(ACTIVE))
    elif status:
        conditions.append(Resident.status == ResidentStatus(status))
    if search:
        if "\x00" in search:  # PostgreSQL text cannot hold it: refuse, not a 500
            raise InvalidInput("must not contain U+0000", field="q")
        term = f"%{search.strip()}%"
        digits = normalise_nhs_number(search)
        conditions.append(
            Resident.family_name.ilike(term) | Resident.given_name.ilike(term)
            | (Resident.nhs_number == digits)
        )
    total = session.scalar(select(func.count()).select_from(Resident).where(*conditions)) or 0
    rows = session.execute(
        select(Resident, Journey)
        .outerjoin(Journey, Journey.resident_id == Resident.id)
        .where(*conditions)
        .order_by(Resident.family_name, Resident.given_name, Resident.id)
        .offset(page_offset(page, page_size))
        .limit(page_size)
    ).tuples().all()
    return ResidentPage(list(rows), total, page, page_size)


def _episode_and_journey(session: Session, resident: Resident) -> tuple[Episode, Journey]:
    journey = session.scalar(
        select(Journey).where(Journey.resident_id == resident.id).with_for_update()
    )
    if journey is None or journey.current_episode_id is None:
        raise Conflict("resident has no journey")
    episode = session.get(Episode, journey.current_episode_id)
    assert episode is not None
    return episode, journey


def _end_episode(episode: Episode, on: date, reason: EpisodeEnd, field: str) -> None:
    if on < episode.started_on:
        raise InvalidInput(
            f"must not be before the current episode began ({episode.started_on.isoformat()})",
            field=field,
        )
    episode.ended_on = on
    episode.end_reason = reason


def _require_status(resident: Resident, allowed: tuple[ResidentStatus, ...], action: str) -> None:
    if resident.status not in allowed:
        status = resident.status.value.replace("_", " ")
        raise Conflict(f"cannot record {action}: the resident is {status}")


def record_hospital_stay(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: HospitalStayIn, now: datetime
) -> Resident:
    """The resident went into hospital: pause the journey; open steps restart on return."""
    actor.require_role(ADMITTING_ROLES, "record hospital stays")
    resident = get_resident(session, actor, resident_id, lock=True)
    _require_status(resident, (ResidentStatus.RESIDENT,), "a hospital admission")
    _happened(data.admitted_on, local_date(now), "admitted_on")
    episode, journey = _episode_and_journey(session, resident)
    _end_episode(episode, data.admitted_on, EpisodeEnd.HOSPITAL_ADMISSION, "admitted_on")
    hospital = _start_episode(session, resident, Setting.HOSPITAL, EpisodeStart.HOSPITAL_ADMISSION,
                              data.admitted_on, now, hospital_name=data.hospital_name,
                              note=data.note)
    journeys.cancel_open_steps(session, journey, "admitted to hospital; new steps open on return",
                               now, actor.user)
    publish(session, ResidentLeftHome(at=now, actor=actor, resident_id=resident.id,
                                      reason="admitted to hospital", to_hospital=True))
    _move(session, journey, hospital, Stage.IN_HOSPITAL, now, actor,
          "journey.hospital_admission", "Admitted to hospital")
    resident.status = ResidentStatus.IN_HOSPITAL
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="resident.hospital_stay", entity="resident",
          entity_id=resident.id, resident_id=resident.id,
          after={"admitted_on": data.admitted_on.isoformat()})
    return resident


def record_readmission(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: ReadmissionIn, now: datetime,
    settings: Settings,
) -> Resident:
    """Return to the home (from hospital, or after a discharge): both 7-day clocks restart."""
    actor.require_role(ADMITTING_ROLES, "record re-admissions")
    resident = get_resident(session, actor, resident_id, lock=True)
    _require_status(resident, (ResidentStatus.IN_HOSPITAL, ResidentStatus.DISCHARGED),
                    "a re-admission")
    _happened(data.readmitted_on, local_date(now), "readmitted_on")
    if resident.status == ResidentStatus.DISCHARGED:
        clash = session.scalar(select(func.count()).select_from(Resident).where(
            Resident.nhs_number == resident.nhs_number, Resident.status.in_(ACTIVE)))
        if clash:
            raise Conflict("this person already has an active admission to a care home")
    episode, journey = _episode_and_journey(session, resident)
    if episode.ended_on is None:
        _end_episode(episode, data.readmitted_on, EpisodeEnd.RETURNED, "readmitted_on")
    elif data.readmitted_on < episode.ended_on:
        raise InvalidInput("must not be before the resident left the home", field="readmitted_on")
    home_episode = _start_episode(session, resident, Setting.CARE_HOME, EpisodeStart.READMISSION,
                                  data.readmitted_on, now, note=data.note)
    journeys.cancel_open_steps(session, journey, "superseded by re-admission", now, actor.user)
    journey.status = JourneyStatus.ACTIVE
    journey.finished_at = None
    first_stage = pathway_of(session, journey.id).stages[0].id
    _move(session, journey, home_episode, first_stage, now, actor, "journey.readmitted",
          "Re-admitted to the home; assessment and care plan clocks restart")
    resident.status = ResidentStatus.RESIDENT
    journeys.apply_pathway(session, journey, now=now, settings=settings)
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="resident.readmit", entity="resident",
          entity_id=resident.id, resident_id=resident.id,
          after={"readmitted_on": data.readmitted_on.isoformat()})
    return resident


def record_discharge(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: DischargeIn, now: datetime
) -> Resident:
    """The resident left the home for good: open steps are cancelled with the reason."""
    return _leave(
        session, actor, resident_id, now, on=data.discharged_on, field="discharged_on",
        end=EpisodeEnd.DISCHARGE, stage=Stage.DISCHARGED, status=ResidentStatus.DISCHARGED,
        what="a discharge", reason="resident discharged from the home",
        event="journey.discharged",
        summary="Discharged from the home"
        + (f" to {data.destination}" if data.destination else ""),
        action="resident.discharge",
    )


def record_death(
    session: Session, actor: Actor, resident_id: uuid.UUID, data: DeathIn, now: datetime
) -> Resident:
    """The resident died: open steps are cancelled and the journey ends."""
    return _leave(
        session, actor, resident_id, now, on=data.died_on, field="died_on",
        end=EpisodeEnd.DEATH, stage=Stage.DECEASED, status=ResidentStatus.DECEASED,
        what="a death", reason="resident died", event="journey.died",
        summary="Died" + (f" ({data.place_of_death})" if data.place_of_death else ""),
        action="resident.death",
    )


def _leave(
    session: Session, actor: Actor, resident_id: uuid.UUID, now: datetime, *, on: date,
    field: str, end: EpisodeEnd, stage: str, status: ResidentStatus, what: str, reason: str,
    event: str, summary: str, action: str,
) -> Resident:
    """End the stay for good: close the episode, cancel open steps, end the journey."""
    actor.require_role(ADMITTING_ROLES, f"record {what}")
    resident = get_resident(session, actor, resident_id, lock=True)
    _require_status(resident, ACTIVE, what)
    _happened(on, local_date(now), field)
    episode, journey = _episode_and_journey(session, resident)
    if episode.ended_on is None:
        _end_episode(episode, on, end, field)
    journeys.cancel_open_steps(session, journey, reason, now, actor.user)
    publish(session, ResidentLeftHome(at=now, actor=actor, resident_id=resident.id,
                                      reason=reason, to_hospital=False))
    _finish(session, journey, stage, now, actor, event, summary)
    resident.status = status
    audit(session, at=now, actor=actor.user, channel=actor.channel, action=action,
          entity="resident", entity_id=resident.id, resident_id=resident.id,
          after={field: on.isoformat()})
    return resident


def _move(
    session: Session, journey: Journey, episode: Episode, stage: str, now: datetime,
    actor: Actor, kind: str, summary: str,
) -> None:
    journey.current_episode_id = episode.id
    journey.home_id = episode.home_id
    journey.stage = stage
    add_event(session, journey.id, kind, summary, now, actor=actor.user,
                       data={"episode_id": str(episode.id)})
    outbox.enqueue(session, journey.id, kind, now)


def _finish(
    session: Session, journey: Journey, stage: str, now: datetime, actor: Actor, kind: str,
    summary: str,
) -> None:
    journey.stage = stage
    journey.status = JourneyStatus.ENDED
    journey.finished_at = now
    add_event(session, journey.id, kind, summary, now, actor=actor.user)
    outbox.enqueue(session, journey.id, kind, now)

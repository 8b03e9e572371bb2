"""The JSON shapes of the weekly home round (/api/v1): rounds, agendas, nominations, the MDT
meeting and its decisions, and how the domain objects map onto them.

Inputs the domain validates (nominations, agenda changes, decisions, attendance) live in
``care/rounds/schemas.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import PersonRef, ResidentRef, StepOut, resident_ref
from care.residents.models import Resident
from care.rounds.models import (
    DONE_STATUSES,
    AgendaDecision,
    AgendaItem,
    HomeRound,
    ItemSource,
    Nomination,
    Response,
    RoundAttendance,
    RoundStatus,
)
from care.rounds.service import AgendaRow
from care.types import NO_NUL


class RoundOut(BaseModel):
    """One week's round of a home, as the rounds history lists it."""

    id: uuid.UUID
    home_id: uuid.UUID
    week: str = Field(description="ISO week of the round in local time, e.g. 2026-W46")
    scheduled_at: datetime
    status: RoundStatus
    counted: bool = Field(description="Held or checked in: the home had its round that week")
    agenda_size: int = Field(description="Residents on the agenda (removals not counted)")
    meeting_at: datetime | None = Field(description="When the MDT meeting was first recorded")
    completed_at: datetime | None
    completed_by: PersonRef | None
    notes: str | None


class ReasonOut(BaseModel):
    reason: str = Field(description="The rule (or person) that put the resident on the agenda")
    text: str
    score: int


class RemovalOut(BaseModel):
    at: datetime
    by: PersonRef | None
    reason: str | None


class DecisionOut(BaseModel):
    """The MDT's agreed response for one resident on the agenda."""

    id: uuid.UUID
    item_id: uuid.UUID
    response: Response
    clinician: PersonRef | None = Field(description="Who sees the resident (clinical input)")
    by_date: date | None
    referral_to: str | None = Field(description="The co-opted profession referred to")
    notes: str | None
    plan_change: str | None = Field(description="Agreed change to the care plan (a new PCSP "
                                                "version)")
    step_id: uuid.UUID | None = Field(description="The review or referral step it opened")
    decided_by: PersonRef | None
    decided_at: datetime


class AgendaItemOut(BaseModel):
    id: uuid.UUID
    resident: ResidentRef
    score: int = Field(description="Higher is more pressing")
    reasons: list[ReasonOut]
    source: ItemSource = Field(description="rules, a nomination, or added by the MDT")
    end_of_life: bool = Field(description="Under end-of-life care: flagged, never crowded out")
    removed: RemovalOut | None = Field(description="Taken off this week's agenda, and why")
    decision: DecisionOut | None


class AttendeeOut(BaseModel):
    user: PersonRef
    home_representative: bool = Field(description="The home's consistent representative")


class RoundDetailOut(RoundOut):
    """The round with its agenda (removed residents last) and the meeting's attendance."""

    home_name: str
    agenda: list[AgendaItemOut] = Field(
        description="End-of-life residents first, then by score; removed items last")
    attendance: list[AttendeeOut]


class DecisionCreatedOut(BaseModel):
    decision: DecisionOut
    step: StepOut | None = Field(description="The step the decision opened (none to maintain)")


class MeetingOut(BaseModel):
    round_id: uuid.UUID
    meeting_at: datetime | None
    attendance: list[AttendeeOut]


class NominationOut(BaseModel):
    id: uuid.UUID
    home_id: uuid.UUID
    resident: ResidentRef
    reason: str
    by_family: bool = Field(description="Raised by family, through staff")
    nominated_by: PersonRef | None
    created_at: datetime
    round_id: uuid.UUID | None = Field(description="The round whose agenda took it up, if any")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    notes: str | None = Field(default=None, max_length=4000, pattern=NO_NUL,
                              description="Notes on the round (or the check-in)")


# ---------------------------------------------------------------- mapping


def person_ref(user_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> PersonRef | None:
    if user_id is None:
        return None
    return PersonRef(id=user_id, display_name=names.get(user_id, "unknown user"))


def round_people(rnd: HomeRound, rows: Sequence[AgendaRow] = (),
                 attendees: Sequence[RoundAttendance] = ()) -> set[uuid.UUID | None]:
    """Every user a round's body names, for one look-up of display names."""
    ids: set[uuid.UUID | None] = {rnd.completed_by_id}
    ids |= {a.user_id for a in attendees}
    for row in rows:
        ids.add(row.item.removed_by_id)
        if row.decision is not None:
            ids |= {row.decision.clinician_id, row.decision.decided_by_id}
    return ids


def round_out(rnd: HomeRound, agenda_size: int, names: Mapping[uuid.UUID, str]) -> RoundOut:
    return RoundOut(**_round_fields(rnd, agenda_size, names))


def _round_fields(rnd: HomeRound, agenda_size: int, names: Mapping[uuid.UUID, str],
                  ) -> dict[str, Any]:
    return {
        "id": rnd.id, "home_id": rnd.home_id, "week": rnd.week,
        "scheduled_at": rnd.scheduled_at, "status": rnd.status,
        "counted": rnd.status in DONE_STATUSES, "agenda_size": agenda_size,
        "meeting_at": rnd.meeting_at, "completed_at": rnd.completed_at,
        "completed_by": person_ref(rnd.completed_by_id, names), "notes": rnd.notes,
    }


def decision_out(decision: AgendaDecision, names: Mapping[uuid.UUID, str]) -> DecisionOut:
    return DecisionOut(
        id=decision.id, item_id=decision.item_id, response=decision.response,
        clinician=person_ref(decision.clinician_id, names), by_date=decision.by_date,
        referral_to=decision.referral_to, notes=decision.notes,
        plan_change=decision.plan_change, step_id=decision.step_id,
        decided_by=person_ref(decision.decided_by_id, names), decided_at=decision.decided_at,
    )


def agenda_item_out(row: AgendaRow, names: Mapping[uuid.UUID, str]) -> AgendaItemOut:
    item: AgendaItem = row.item
    removed = (RemovalOut(at=item.removed_at, by=person_ref(item.removed_by_id, names),
                          reason=item.removed_reason)
               if item.removed_at is not None else None)
    return AgendaItemOut(
        id=item.id, resident=resident_ref(row.resident), score=item.score,
        reasons=[ReasonOut.model_validate(r) for r in item.reasons], source=item.source,
        end_of_life=item.end_of_life, removed=removed,
        decision=decision_out(row.decision, names) if row.decision is not None else None,
    )


def attendees_out(attendees: list[RoundAttendance], names: Mapping[uuid.UUID, str],
                  ) -> list[AttendeeOut]:
    return [AttendeeOut(user=PersonRef(id=a.user_id,
                                       display_name=names.get(a.user_id, "unknown user")),
                        home_representative=a.home_representative) for a in attendees]


def round_detail_out(
    rnd: HomeRound, home_name: str, rows: list[AgendaRow], attendees: list[RoundAttendance],
    names: Mapping[uuid.UUID, str],
) -> RoundDetailOut:
    return RoundDetailOut(
        **_round_fields(rnd, sum(1 for r in rows if r.item.removed_at is None), names),
        home_name=home_name,
        agenda=[agenda_item_out(r, names) for r in rows],
        attendance=attendees_out(attendees, names),
    )


def nomination_out(nomination: Nomination, resident: Resident,
                   names: Mapping[uuid.UUID, str]) -> NominationOut:
    return NominationOut(
        id=nomination.id, home_id=nomination.home_id, resident=resident_ref(resident),
        reason=nomination.reason, by_family=nomination.by_family,
        nominated_by=person_ref(nomination.nominated_by_id, names),
        created_at=nomination.created_at, round_id=nomination.round_id,
    )

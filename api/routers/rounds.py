"""The weekly home round: a home's rounds, the prioritised agenda, nominations, the MDT meeting
and its decisions, and closing the round (held, or a check-in)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from api.deps import ApiActor, NowDep, SessionDep, SettingsDep
from api.rounds_schemas import (
    AgendaItemOut,
    CloseIn,
    DecisionCreatedOut,
    MeetingOut,
    NominationOut,
    RoundDetailOut,
    RoundOut,
    agenda_item_out,
    attendees_out,
    decision_out,
    nomination_out,
    round_detail_out,
    round_out,
    round_people,
)
from api.schemas import names_for, problem_responses, step_out, step_people
from care.audit.service import record as audit
from care.directory.models import CareHome
from care.journeys.models import Step
from care.residents.models import Resident
from care.rounds import service as rounds
from care.rounds.models import HomeRound
from care.rounds.schemas import AddToAgendaIn, AgendaChangeIn, DecisionIn, MeetingIn, NominationIn

router = APIRouter(tags=["rounds"], responses=problem_responses(401, 404, 422))

WRITE_PROBLEMS = problem_responses(400, 403, 409)


def _detail(session: Session, rnd: HomeRound) -> RoundDetailOut:
    rows = rounds.agenda(session, rnd, include_removed=True)
    attendees = rounds.attendance(session, rnd)
    home = session.get(CareHome, rnd.home_id)
    assert home is not None
    names = names_for(session, round_people(rnd, rows, attendees))
    return round_detail_out(rnd, home.name, rows, attendees, names)


@router.get("/homes/{home_id}/rounds", response_model=list[RoundOut])
def list_rounds(
    home_id: uuid.UUID, actor: ApiActor, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=104, description="How many weeks back")] = 26,
) -> list[RoundOut]:
    """The home's rounds, newest first: status (held, check-in, missed...) and agenda size."""
    history = rounds.rounds_for_home(session, actor, home_id, limit=limit)
    names = names_for(session, (r.completed_by_id for r, _ in history))
    return [round_out(r, size, names) for r, size in history]


@router.post("/homes/{home_id}/rounds/prepare", response_model=RoundDetailOut,
             responses=problem_responses(403, 409))
def prepare(
    home_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep,
    settings: SettingsDep,
) -> RoundDetailOut:
    """Prepare the home's next round now (coordinator, clinical lead, admin) rather than wait
    for the schedule: the round, its 'prepare the round' step and the draft agenda. 409 until
    its preparation window opens (default two days before). Safe to repeat: it refreshes the
    draft agenda from the record."""
    rnd = rounds.prepare_round_now(session, actor, home_id, now, settings)
    body = _detail(session, rnd)
    session.commit()
    return body


@router.get("/rounds/{round_id}", response_model=RoundDetailOut)
def get_round(
    round_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> RoundDetailOut:
    """The round with its agenda (each resident with the reasons and score, removals and the
    MDT's decision) and who attended the meeting (the view is audited)."""
    rnd = rounds.get_round(session, actor, round_id)
    body = _detail(session, rnd)
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="round.view",
          entity="home_round", entity_id=rnd.id)
    session.commit()
    return body


@router.post("/rounds/{round_id}/agenda", status_code=201, response_model=AgendaItemOut,
             responses=WRITE_PROBLEMS)
def add_to_agenda(
    round_id: uuid.UUID, data: AddToAgendaIn, actor: ApiActor, session: SessionDep,
    now: NowDep,
) -> AgendaItemOut:
    """An MDT member adds a resident of the home to the agenda, with the reason."""
    item = rounds.add_to_agenda(session, actor, round_id, data, now)
    body = _item_body(session, item.round_id, item.id)
    session.commit()
    return body


@router.post("/rounds/{round_id}/agenda/{item_id}/remove", response_model=AgendaItemOut,
             responses=WRITE_PROBLEMS)
def remove_from_agenda(
    round_id: uuid.UUID, item_id: uuid.UUID, data: AgendaChangeIn, actor: ApiActor,
    session: SessionDep, now: NowDep,
) -> AgendaItemOut:
    """An MDT member takes a resident off this week's agenda, with the reason (409 once the
    MDT has agreed a response for them)."""
    item = rounds.get_agenda_item(session, actor, round_id, item_id)
    rounds.remove_from_agenda(session, actor, item.id, data.reason, now)
    body = _item_body(session, round_id, item.id)
    session.commit()
    return body


def _item_body(session: Session, round_id: uuid.UUID, item_id: uuid.UUID) -> AgendaItemOut:
    rnd = session.get(HomeRound, round_id)
    assert rnd is not None
    row = next(r for r in rounds.agenda(session, rnd, include_removed=True)
               if r.item.id == item_id)
    return agenda_item_out(row, names_for(session, round_people(rnd, [row])))


@router.post("/rounds/{round_id}/attendance", response_model=MeetingOut,
             responses=WRITE_PROBLEMS)
def record_attendance(
    round_id: uuid.UUID, data: MeetingIn, actor: ApiActor, session: SessionDep, now: NowDep,
) -> MeetingOut:
    """Who took part in the MDT meeting (members serving the home; the home's representative
    is marked). Adding people again changes nothing."""
    attendees = rounds.record_attendance(session, actor, round_id, data, now)
    rnd = session.get(HomeRound, round_id)
    assert rnd is not None
    body = MeetingOut(round_id=rnd.id, meeting_at=rnd.meeting_at,
                      attendance=attendees_out(attendees, names_for(
                          session, (a.user_id for a in attendees))))
    session.commit()
    return body


@router.post("/rounds/{round_id}/agenda/{item_id}/decision", status_code=201,
             response_model=DecisionCreatedOut, responses=WRITE_PROBLEMS)
def record_decision(
    round_id: uuid.UUID, item_id: uuid.UUID, data: DecisionIn, response: Response,
    actor: ApiActor, session: SessionDep, now: NowDep, settings: SettingsDep,
) -> DecisionCreatedOut:
    """The MDT's agreed response for one resident: `clinical_input` (a named clinician sees
    them by a date: a review step, already theirs), `referral` to a co-opted profession (a
    referral step only that profession may take), or `maintain` the plan. A `plan_change`
    makes a new care-plan version. One response per resident per round (409 after)."""
    item = rounds.get_agenda_item(session, actor, round_id, item_id)
    decision = rounds.record_decision(session, actor, item.id, data, now, settings)
    step = session.get(Step, decision.step_id) if decision.step_id else None
    names = names_for(session, {decision.clinician_id, decision.decided_by_id,
                                *step_people([step] if step else [])})
    body = DecisionCreatedOut(
        decision=decision_out(decision, names),
        step=step_out(step, now, names, session.get(Resident, step.resident_id))
        if step else None,
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/rounds/{round_id}"
    return body


@router.post("/rounds/{round_id}/close", response_model=RoundDetailOut,
             responses=WRITE_PROBLEMS)
def close_round(
    round_id: uuid.UUID, data: CloseIn, actor: ApiActor, session: SessionDep, now: NowDep,
) -> RoundDetailOut:
    """Record the round: `held` when residents were on the agenda (each must have an agreed
    response, or 422 names those without), a `check_in` when nobody was (it still counts)."""
    rnd = rounds.close_round(session, actor, round_id, now, data.notes)
    body = _detail(session, rnd)
    session.commit()
    return body


@router.post("/nominations", status_code=201, response_model=NominationOut,
             responses=WRITE_PROBLEMS)
def nominate(
    data: NominationIn, response: Response, actor: ApiActor, session: SessionDep, now: NowDep,
    settings: SettingsDep,
) -> NominationOut:
    """Care-home staff (or family, through staff) ask the MDT to see a resident, with the
    reason; `fall` also records a fall. It goes on the next round's agenda (at once if that
    round is being prepared)."""
    nomination = rounds.nominate(session, actor, data, now, settings)
    resident = session.get(Resident, nomination.resident_id)
    assert resident is not None
    body = nomination_out(nomination, resident, names_for(session, [nomination.nominated_by_id]))
    session.commit()
    response.headers["Location"] = f"/api/v1/homes/{nomination.home_id}/nominations"
    return body


@router.get("/homes/{home_id}/nominations", response_model=list[NominationOut])
def list_nominations(
    home_id: uuid.UUID, actor: ApiActor, session: SessionDep, now: NowDep
) -> list[NominationOut]:
    """The home's open nominations (not yet discussed at a round), oldest first (audited)."""
    found = rounds.open_nominations(session, actor, home_id)
    names = names_for(session, (n.nominated_by_id for n, _, _ in found))
    body = [nomination_out(n, r, names) for n, r, _ in found]
    audit(session, at=now, actor=actor.user, channel=actor.channel, action="nomination.list",
          entity="nomination", after={"nomination_ids": [str(n.id) for n in body]})
    session.commit()
    return body

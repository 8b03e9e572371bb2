"""Journey and step services. They take a session and never commit: the caller owns the
transaction, so a human action, its audit entry and the advance signal commit together."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from care.audit.service import record as audit
from care.clock import start_of_day
from care.directory.access import ADMIN_ROLES, ASSIGNING_ROLES, OVERSEEING_ROLES, Actor
from care.directory.models import HomeMembership, User
from care.errors import Conflict, Forbidden, InvalidInput, NotFound
from care.journeys import outbox
from care.journeys import pathway as pathways
from care.journeys.batches import ItemResult, for_each_journey
from care.journeys.deadlines import deadline_after
from care.journeys.ledger import DEFAULT_PATHWAY, NewStep, add_event, open_step, pathway_of
from care.journeys.models import (
    OPEN_STATUSES,
    Journey,
    JourneyEvent,
    JourneyStatus,
    OutboxMessage,
    Step,
    StepStatus,
)
from care.journeys.notifications import notify
from care.journeys.registry import step_type
from care.paging import page_offset
from care.residents.models import Episode, Resident, Setting
from care.settings import Settings
from care.types import Profession

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the pathway, applied


def start_journey(
    session: Session, resident: Resident, episode: Episode, now: datetime, actor: User,
    settings: Settings,
) -> Journey:
    """Create the resident's journey and open its first step at once (the fast path)."""
    pathway = pathways.current(DEFAULT_PATHWAY)
    journey = Journey(
        resident_id=resident.id,
        home_id=resident.home_id,
        stage=pathway.stages[0].id,
        status=JourneyStatus.ACTIVE,
        current_episode_id=episode.id,
        started_at=now,
        pathway=pathway.name,
        pathway_version=pathway.version,
    )
    session.add(journey)
    session.flush()
    add_event(session, journey.id, "journey.started", "Admitted to the home; journey started",
              now, actor=actor, data={"episode_id": str(episode.id),
                                      "pathway": f"{pathway.name} v{pathway.version}"})
    apply_pathway(session, journey, now=now, settings=settings)
    outbox.enqueue(session, journey.id, "admitted", now)
    return journey


def lock_journey(session: Session, journey_id: uuid.UUID) -> Journey:
    """Serialise changes to one journey (row lock) so concurrent advances cannot interleave."""
    journey = session.scalar(
        select(Journey).where(Journey.id == journey_id).with_for_update()
    )
    if journey is None:
        raise NotFound("journey not found")
    return journey


@dataclass(frozen=True)
class AdvanceResult:
    journey_id: uuid.UUID
    opened: tuple[str, ...]
    stage: str


def apply_pathway(
    session: Session, journey: Journey, *, now: datetime, settings: Settings
) -> AdvanceResult:
    """Open whatever the journey's pathway version says is due and set the stage.
    Idempotent (invariant 3): the fast path and the runner's flow both call this.

    A step kind opens at most once per care-home episode: the unique key
    ``(episode_id, kind)`` with ``ON CONFLICT DO NOTHING`` makes a second advance a no-op.
    """
    if journey.status != JourneyStatus.ACTIVE or journey.current_episode_id is None:
        return AdvanceResult(journey.id, (), journey.stage)
    episode, decision = plan_for(session, journey)
    opened: list[str] = []
    for kind in decision.open_kinds:
        if _open_step(session, journey, episode, kind, now, settings) is not None:
            opened.append(kind)
    stage = decision.stage
    if stage != journey.stage:
        add_event(session, journey.id, "stage.changed",
                  f"Stage: {pathways.stage_label(stage)}", now,
                  data={"from": journey.stage, "to": stage})
        journey.stage = stage
    journey.last_advanced_at = now
    return AdvanceResult(journey.id, tuple(opened), journey.stage)


def episode_steps(session: Session, episode_id: uuid.UUID) -> dict[str, StepStatus]:
    """Each step kind created for a care-home episode, with its status."""
    return dict(session.execute(
        select(Step.kind, Step.status).where(Step.episode_id == episode_id)
    ).tuples().all())


def plan_for(
    session: Session, journey: Journey, pathway: pathways.Pathway | None = None
) -> tuple[Episode, pathways.PathwayDecision]:
    """What the pathway (the journey's own version unless another is given) would do now."""
    assert journey.current_episode_id is not None
    episode = session.get(Episode, journey.current_episode_id)
    assert episode is not None
    in_home = episode.setting == Setting.CARE_HOME and episode.ended_on is None
    pathway = pathway or pathway_of(session, journey.id)
    return episode, pathways.decide(pathway, in_home, journey.stage,
                                    episode_steps(session, episode.id))


def _open_step(
    session: Session, journey: Journey, episode: Episode, kind: str, now: datetime,
    settings: Settings,
) -> uuid.UUID | None:
    deadline = deadline_after(
        episode.started_on, rule=settings.deadline_rule, days=settings.deadline_days,
        tz=settings.timezone,
    )
    return open_step(session, NewStep(
        dedupe_key=f"{episode.id}:{kind}",
        kind=kind,
        title=step_type(kind).title,
        home_id=episode.home_id,
        due_at=deadline.due_at,
        deadline_rule=deadline.rule,
        deadline_base=start_of_day(episode.started_on, settings.timezone),
        priority=step_type(kind).priority,
        journey_id=journey.id,
        resident_id=journey.resident_id,
        episode_id=episode.id,
    ), now)


def advance_journey(
    session: Session, journey_id: uuid.UUID, *, now: datetime, settings: Settings,
    flow_run_id: uuid.UUID | None = None,
) -> AdvanceResult:
    """What a journey runner does for an outbox message: lock, apply the pathway, record."""
    journey = lock_journey(session, journey_id)
    result = apply_pathway(session, journey, now=now, settings=settings)
    if flow_run_id is not None:
        journey.last_flow_run_id = flow_run_id
    return result


def cancel_open_steps(
    session: Session, journey: Journey, reason: str, now: datetime, actor: User | None
) -> int:
    """Close every open step with the reason (discharge, death, hospital stay)."""
    steps = session.scalars(
        select(Step).where(Step.journey_id == journey.id, Step.status.in_(OPEN_STATUSES))
        .with_for_update()
    ).all()
    for step in steps:
        step.status = StepStatus.CANCELLED
        step.cancelled_reason = reason
        add_event(session, journey.id, "step.cancelled", f"{step.title} cancelled: {reason}",
                  now, step_id=step.id, actor=actor)
    return len(steps)


# ---------------------------------------------------------------- reading steps


def get_step(session: Session, actor: Actor, step_id: uuid.UUID, *, lock: bool = False) -> Step:
    query = select(Step).where(Step.id == step_id)
    if lock:
        query = query.with_for_update()
    step = session.scalar(query)
    if step is None or not actor.serves(step.home_id):
        raise NotFound("step not found")
    return step


@dataclass(frozen=True)
class StepFilters:
    status: str | None = None
    kind: str | None = None
    home_id: uuid.UUID | None = None
    assignee: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    resident_id: uuid.UUID | None = None
    sort: str = "due_at"
    page: int = 1
    page_size: int = 50


SORTS = {
    "due_at": (Step.due_at.asc(), Step.id),
    "-due_at": (Step.due_at.desc(), Step.id),
    "priority": (Step.priority.asc(), Step.due_at.asc(), Step.id),
    "-priority": (Step.priority.desc(), Step.due_at.asc(), Step.id),
}
STATUS_FILTERS = {"open", *(s.value for s in StepStatus)}


@dataclass
class StepPage:
    items: list[tuple[Step, Resident | None]]
    total: int
    page: int
    page_size: int


def list_steps(session: Session, actor: Actor, filters: StepFilters, now: datetime) -> StepPage:
    """Steps in the homes the user serves, filtered, sorted and paginated."""
    conditions: list[Any] = [Step.home_id.in_(actor.home_ids)]
    if filters.status == "open":
        conditions.append(Step.status.in_(OPEN_STATUSES))
    elif filters.status:
        conditions.append(Step.status == StepStatus(filters.status))
    if filters.kind:
        conditions.append(Step.kind == filters.kind)
    if filters.home_id:
        conditions.append(Step.home_id == filters.home_id)
    if filters.resident_id:
        conditions.append(Step.resident_id == filters.resident_id)
    if filters.assignee == "me":
        conditions.append(Step.assignee_id == actor.id)
    elif filters.assignee == "unassigned":
        conditions.append(Step.assignee_id.is_(None))
    if filters.overdue is True:
        conditions.append(and_(Step.status.in_(OPEN_STATUSES), Step.due_at < now))
    elif filters.overdue is False:
        conditions.append(or_(Step.status.not_in(OPEN_STATUSES), Step.due_at >= now))
    if filters.due_before:
        conditions.append(Step.due_at < filters.due_before)
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(Step).where(where)) or 0
    rows = session.execute(
        select(Step, Resident)
        .outerjoin(Resident, Resident.id == Step.resident_id)
        .where(where)
        .order_by(*SORTS[filters.sort])
        .offset(page_offset(filters.page, filters.page_size))
        .limit(filters.page_size)
    ).tuples().all()
    return StepPage(items=list(rows), total=total, page=filters.page, page_size=filters.page_size)


# ---------------------------------------------------------------- acting on steps


def _snapshot(step: Step) -> dict[str, Any]:
    return {
        "status": step.status.value,
        "assignee_id": str(step.assignee_id) if step.assignee_id else None,
    }


def claim_step(session: Session, actor: Actor, step_id: uuid.UUID, now: datetime) -> Step:
    """First claim wins: a conditional UPDATE, so a racing second claim changes nothing (409)."""
    step = get_step(session, actor, step_id)
    require_performer(actor, step, "take this step")
    claimed = session.execute(
        update(Step)
        .where(Step.id == step_id, Step.status == StepStatus.READY)
        .values(
            status=StepStatus.CLAIMED, assignee_id=actor.id, claimed_at=now,
            version=Step.version + 1,
        )
        .returning(Step.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(step)
    if claimed is None:
        if step.status == StepStatus.CLAIMED and step.assignee_id == actor.id:
            return step
        raise Conflict(_not_claimable(session, step))
    add_event(session, step.journey_id, "step.claimed", f"{step.title} taken by "
              f"{actor.user.display_name}", now, step_id=step.id, actor=actor.user)
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="step.claim", entity="step",
          entity_id=step.id, resident_id=step.resident_id,
          before={"status": "ready", "assignee_id": None}, after=_snapshot(step))
    return step


def _not_claimable(session: Session, step: Step) -> str:
    if step.status == StepStatus.CLAIMED:
        holder = session.get(User, step.assignee_id) if step.assignee_id else None
        name = holder.display_name if holder else "someone else"
        return f"step is already taken by {name}"
    return f"step is {step.status.value} and cannot be taken"


def release_step(session: Session, actor: Actor, step_id: uuid.UUID, now: datetime) -> Step:
    """Give a claimed step back to the home's queue (its holder, or a coordinator/lead)."""
    step = get_step(session, actor, step_id, lock=True)
    if step.status != StepStatus.CLAIMED:
        raise Conflict(f"step is {step.status.value}, not taken; nothing to release")
    if step.assignee_id != actor.id:
        actor.require_role(ASSIGNING_ROLES, "release a step someone else holds")
    before = _snapshot(step)
    step.status = StepStatus.READY
    step.assignee_id = None
    step.claimed_at = None
    add_event(session, step.journey_id, "step.released", f"{step.title} returned to the queue",
              now, step_id=step.id, actor=actor.user)
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="step.release", entity="step",
          entity_id=step.id, resident_id=step.resident_id, before=before, after=_snapshot(step))
    return step


def assign_step(
    session: Session, actor: Actor, step_id: uuid.UUID, assignee_id: uuid.UUID, now: datetime
) -> Step:
    """A coordinator or clinical lead gives an open step to a named member of the home's MDT."""
    actor.require_role(ASSIGNING_ROLES, "assign steps")
    step = get_step(session, actor, step_id, lock=True)
    if not step.is_open:
        raise Conflict(f"step is {step.status.value}; only open steps can be assigned")
    assignee = session.get(User, assignee_id)
    serves = assignee is not None and session.scalar(
        select(func.count()).select_from(HomeMembership).where(
            HomeMembership.user_id == assignee_id, HomeMembership.home_id == step.home_id
        )
    )
    if assignee is None or not assignee.active or not serves:
        raise InvalidInput("is not an active member serving this resident's home",
                           field="assignee_id")
    if assignee.role not in step_type(step.kind).performer_roles:
        raise InvalidInput(f"a {assignee.role.value} cannot do this kind of step",
                           field="assignee_id")
    if step.candidate_profession and assignee.profession.value != step.candidate_profession:
        raise InvalidInput(
            f"this step is for {Profession(step.candidate_profession).label}",
            field="assignee_id")
    before = _snapshot(step)
    step.status = StepStatus.CLAIMED
    step.assignee_id = assignee.id
    step.claimed_at = now
    add_event(session, step.journey_id, "step.assigned",
              f"{step.title} assigned to {assignee.display_name}", now, step_id=step.id,
              actor=actor.user)
    resident = session.get(Resident, step.resident_id)
    if assignee.id != actor.id and resident is not None:
        notify(session, assignee.id, "assignment",
               f"{actor.user.display_name} assigned you: {step.title} for "
               f"{resident.short_name} "
               f"(due {step.due_at:%d %b %Y}).", now, step_id=step.id, resident_id=resident.id)
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="step.assign", entity="step",
          entity_id=step.id, resident_id=step.resident_id, before=before, after=_snapshot(step))
    return step


def validate_outcome(kind: str, outcome: Any) -> dict[str, Any]:
    """Validate against the step kind's form; field-by-field errors when it does not fit."""
    try:
        model = step_type(kind).outcome_model.model_validate(outcome)
    except ValidationError as exc:
        errors = [
            {
                "field": "outcome." + ".".join(str(p) for p in err["loc"]) if err["loc"]
                else "outcome",
                "reason": err["msg"],
            }
            for err in exc.errors()
        ]
        raise InvalidInput("the outcome does not match the step's form", field="outcome",
                           errors=errors) from exc
    return model.model_dump(mode="json")


def require_performer(actor: Actor, step: Step, action: str) -> None:
    """The step kind's roles, and its profession when it names one (a dietitian referral)."""
    actor.require_role(step_type(step.kind).performer_roles, action)
    wanted = step.candidate_profession
    if wanted and actor.user.profession.value != wanted:
        raise Forbidden(f"only {Profession(wanted).label} may {action}")


def complete_step(
    session: Session, actor: Actor, step_id: uuid.UUID, outcome: Any, now: datetime,
    settings: Settings,
) -> Step:
    """Record the outcome: step, clinical record, audit entry and advance signal, one transaction.

    The deterministic next step opens in the same transaction (so the person sees it at once);
    if that fast path fails, the completion still commits and the runner heals the journey.
    """
    step = get_step(session, actor, step_id)
    require_performer(actor, step, "complete this step")
    clean = validate_outcome(step.kind, outcome)
    journey = lock_journey(session, step.journey_id) if step.journey_id else None
    session.refresh(step, with_for_update=True)
    if step.status == StepStatus.COMPLETED:
        raise Conflict("step is already completed")
    if not step.is_open:
        raise Conflict(f"step is {step.status.value} and cannot be completed")
    if step.status == StepStatus.CLAIMED and step.assignee_id != actor.id:
        raise Conflict(_not_claimable(session, step))
    before = _snapshot(step)
    step.status = StepStatus.COMPLETED
    step.assignee_id = actor.id
    step.completed_by_id = actor.id
    step.completed_at = now
    step.outcome = clean
    on_complete = step_type(step.kind).on_complete
    if on_complete is not None:
        on_complete(session, step, clean, actor, now, settings)
    add_event(session, step.journey_id, "step.completed", f"{step.title} completed by "
              f"{actor.user.display_name}", now, step_id=step.id, actor=actor.user,
              data={"late": now > step.due_at})
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="step.complete", entity="step",
          entity_id=step.id, resident_id=step.resident_id, before=before,
          after={**_snapshot(step), "outcome": clean})
    if journey is None:
        return step
    outbox.enqueue(session, journey.id, "step_completed", now)
    session.flush()
    try:
        with session.begin_nested():
            fast_path_advance(session, journey, now=now, settings=settings)
    except Exception:  # the outbox message makes the runner finish the job
        log.exception("fast-path advance failed for journey %s; the runner will heal it",
                      journey.id)
    return step


def fast_path_advance(
    session: Session, journey: Journey, *, now: datetime, settings: Settings
) -> AdvanceResult:
    """Open the deterministic next step inside the completing transaction (a seam for tests)."""
    return apply_pathway(session, journey, now=now, settings=settings)


# ---------------------------------------------------------------- the journey as people see it


def journey_of(session: Session, resident_id: uuid.UUID) -> Journey | None:
    return session.scalar(select(Journey).where(Journey.resident_id == resident_id))


def steps_of(session: Session, journey_id: uuid.UUID | None, *, open_only: bool = False,
             ) -> list[Step]:
    """A journey's steps in the order they opened (none for a home-level step's 'journey')."""
    if journey_id is None:
        return []
    query = select(Step).where(Step.journey_id == journey_id)
    if open_only:
        query = query.where(Step.status.in_(OPEN_STATUSES))
    return list(session.scalars(query.order_by(Step.opened_at, Step.kind)))


@dataclass
class JourneyView:
    journey: Journey
    resident: Resident
    steps: list[Step]
    events: list[JourneyEvent]


def journey_for_resident(session: Session, actor: Actor, resident_id: uuid.UUID) -> JourneyView:
    resident = session.get(Resident, resident_id)
    if resident is None or not actor.serves(resident.home_id):
        raise NotFound("resident not found")
    journey = session.scalar(select(Journey).where(Journey.resident_id == resident_id))
    if journey is None:
        raise NotFound("resident has no journey")
    steps = session.scalars(
        select(Step).where(Step.journey_id == journey.id).order_by(Step.opened_at, Step.kind)
    ).all()
    events = session.scalars(
        select(JourneyEvent).where(JourneyEvent.journey_id == journey.id)
        .order_by(JourneyEvent.at, JourneyEvent.id)
    ).all()
    return JourneyView(journey, resident, list(steps), list(events))


# ---------------------------------------------------------------- stalled journeys and re-runs


@dataclass
class StalledJourney:
    journey: Journey
    resident: Resident
    reasons: list[str] = field(default_factory=list)


def _pathway_gaps(session: Session, home_ids: frozenset[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """Journeys where a step their pathway version requires was never opened: for each
    version installed, each step whose predecessor is done (or the first) but which is missing."""
    gaps: dict[uuid.UUID, str] = {}
    in_home = and_(
        Journey.status == JourneyStatus.ACTIVE,
        Episode.id == Journey.current_episode_id,
        Episode.setting == Setting.CARE_HOME,
        Episode.ended_on.is_(None),
    )
    for pathway in pathways.versions(DEFAULT_PATHWAY):
        sequence = pathway.sequence_kinds
        for index, kind in enumerate(sequence):
            missing = ~select(Step.id).where(
                Step.episode_id == Episode.id, Step.kind == kind).exists()
            conditions: list[Any] = [in_home, missing, Journey.pathway == pathway.name,
                                     Journey.pathway_version == pathway.version]
            before = sequence[index - 1] if index else None
            if before is not None:
                conditions.append(select(Step.id).where(
                    Step.episode_id == Episode.id, Step.kind == before,
                    Step.status.in_(pathways.DONE)).exists())
            if home_ids is not None:
                conditions.append(Journey.home_id.in_(home_ids))
            query = select(Journey.id).join(Episode, Episode.id == Journey.current_episode_id)
            for journey_id in session.scalars(query.where(*conditions)):
                what = f"{step_type(kind).title} never opened"
                if before is not None:
                    what += f" after {step_type(before).title.lower()} was completed"
                gaps.setdefault(journey_id, what)
    return gaps


def find_stalled(
    session: Session, now: datetime, settings: Settings,
    home_ids: frozenset[uuid.UUID] | None = None,
) -> list[StalledJourney]:
    """Journeys where something that should have happened has not.

    - a step the pathway requires never opened (e.g. a completed assessment with no PCSP);
    - a journey advance (Prefect flow run) failed and is retrying, or gave up;
    - an advance has waited longer than ``stalled_after_minutes`` (no runner draining).
    """
    reasons: dict[uuid.UUID, list[str]] = {}
    for journey_id, why in _pathway_gaps(session, home_ids).items():
        reasons.setdefault(journey_id, []).append(why)
    waiting_since = now - timedelta(minutes=settings.stalled_after_minutes)
    problem = select(OutboxMessage).where(
        OutboxMessage.processed_at.is_(None),
        or_(
            OutboxMessage.failed_at.is_not(None),
            OutboxMessage.last_error.is_not(None),
            OutboxMessage.created_at < waiting_since,
        ),
    )
    if home_ids is not None:
        problem = problem.join(Journey, Journey.id == OutboxMessage.journey_id).where(
            Journey.home_id.in_(home_ids)
        )
    for message in session.scalars(problem.order_by(OutboxMessage.id)):
        if message.failed_at is not None:
            why = f"journey advance failed {message.attempts} times and stopped retrying"
        elif message.last_error is not None:
            why = f"journey advance failed (attempt {message.attempts}); retrying"
        else:
            why = "journey advance has been waiting for a runner"
        if message.last_error:
            why += f": {message.last_error.splitlines()[0][:200]}"
        found = reasons.setdefault(message.journey_id, [])
        if why not in found:
            found.append(why)
    if not reasons:
        return []
    rows = session.execute(
        select(Journey, Resident)
        .join(Resident, Resident.id == Journey.resident_id)
        .where(Journey.id.in_(reasons))
        .order_by(Resident.family_name, Resident.given_name)
    ).tuples()
    return [StalledJourney(j, r, reasons[j.id]) for j, r in rows]


@dataclass(frozen=True)
class RerunPreview:
    """What re-running a journey would do now: the dry run an admin sees before it runs."""

    journey: Journey
    resident: Resident
    would_open: tuple[str, ...]
    stage_from: str
    stage_to: str
    waiting: list[str]


def rerun_preview(session: Session, actor: Actor, journey_id: uuid.UUID, now: datetime,
                  settings: Settings) -> RerunPreview:
    """The same decide() the runner applies, without writing: what would open, what stage."""
    actor.require_role(OVERSEEING_ROLES, "preview journey re-runs")
    journey = session.get(Journey, journey_id)
    if journey is None or not actor.serves(journey.home_id):
        raise NotFound("journey not found")
    resident = session.get(Resident, journey.resident_id)
    assert resident is not None
    would_open: tuple[str, ...] = ()
    stage_to = journey.stage
    if journey.status == JourneyStatus.ACTIVE and journey.current_episode_id is not None:
        # decide() only ever opens kinds the episode does not have yet.
        _, decision = plan_for(session, journey)
        would_open, stage_to = decision.open_kinds, decision.stage
    stalled = find_stalled(session, now, settings, home_ids=frozenset({journey.home_id}))
    waiting = next((s.reasons for s in stalled if s.journey.id == journey.id), [])
    return RerunPreview(journey, resident, would_open, journey.stage, stage_to, waiting)


RERUN_REASON_MAX = 500


def request_rerun(
    session: Session, actor: Actor | None, journey_id: uuid.UUID, now: datetime,
    *, reason: str = "rerun", why: str | None = None,
) -> OutboxMessage:
    """Run the journey again: safe by design, since advancing is idempotent (invariant 3).

    ``why`` is the admin's reason, kept on the timeline and in the audit log. Given-up
    messages are closed so the journey leaves the stalled list once the re-run lands.
    """
    journey = session.get(Journey, journey_id)
    if journey is None or (actor is not None and not actor.serves(journey.home_id)):
        raise NotFound("journey not found")
    if why is not None:
        why = " ".join(why.split())
        if not why or len(why) > RERUN_REASON_MAX:
            raise InvalidInput(f"give a reason of 1 to {RERUN_REASON_MAX} characters",
                               field="reason")
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.journey_id == journey_id,
            OutboxMessage.processed_at.is_(None),
            OutboxMessage.failed_at.is_not(None),
        )
        .values(processed_at=now)
    )
    message = outbox.enqueue(session, journey_id, reason, now)
    session.flush()
    user = actor.user if actor else None
    add_event(session, journey_id, "journey.rerun_requested",
              "Re-run requested" + (f" by {user.display_name}" if user else " by the sweep")
              + (f": {why}" if why else ""),
              now, actor=user, data={"outbox_id": message.id, "reason": why})
    if user is not None:
        audit(session, at=now, actor=user, channel=actor.channel if actor else "api",
              action="journey.rerun", entity="journey",
              entity_id=journey_id, resident_id=journey.resident_id,
              after={"reason": why} if why else None)
    return message


@dataclass(frozen=True)
class RerunProgress:
    """One re-run someone asked for, and how far the journey runner has got with it."""

    journey: Journey
    resident: Resident
    requested_at: datetime
    reason: str | None
    state: str  # "waiting", "retrying", "failed" or "done"
    error: str | None


def rerun_progress(session: Session, actor: Actor, since: datetime, *, limit: int = 500,
                   ) -> list[RerunProgress]:
    """The re-runs this person asked for since ``since``, each with its advance's state."""
    actor.require_role(ADMIN_ROLES, "follow journey re-runs")
    rows = session.execute(
        select(JourneyEvent, Journey, Resident)
        .join(Journey, Journey.id == JourneyEvent.journey_id)
        .join(Resident, Resident.id == Journey.resident_id)
        .where(JourneyEvent.kind == "journey.rerun_requested",
               JourneyEvent.actor_id == actor.id, JourneyEvent.at >= since,
               Journey.home_id.in_(actor.home_ids))
        .order_by(JourneyEvent.at.desc(), JourneyEvent.id.desc()).limit(limit)
    ).tuples().all()
    ids = [int(event.data["outbox_id"]) for event, _, _ in rows if "outbox_id" in event.data]
    messages = {m.id: m for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    found = []
    for event, journey, resident in rows:
        message = messages.get(int(event.data.get("outbox_id", -1)))
        if message is None or message.processed_at is not None:
            state, error = "done", None
        elif message.failed_at is not None:
            state, error = "failed", message.last_error
        elif message.last_error is not None:
            state, error = "retrying", message.last_error
        else:
            state, error = "waiting", None
        first_line = error.splitlines()[0][:200] if error else None
        found.append(RerunProgress(journey, resident, event.at, event.data.get("reason"),
                                   state, first_line))
    return found


MAX_BULK_RERUN = 500


def rerun_many(
    sessions: sessionmaker[Session], actor: Actor, journey_ids: list[uuid.UUID], why: str,
    now: datetime,
) -> list[ItemResult]:
    """Re-run a selection of journeys, each in its own transaction: one that cannot be re-run
    (gone, another home's) is reported and the rest carry on."""
    actor.require_role(ADMIN_ROLES, "re-run journeys")
    if not journey_ids or len(journey_ids) > MAX_BULK_RERUN:
        raise InvalidInput(f"choose between 1 and {MAX_BULK_RERUN} journeys",
                           field="journey_ids")
    if not " ".join(why.split()):
        raise InvalidInput("say why the journeys are being re-run", field="reason")

    def rerun(session: Session, journey_id: uuid.UUID) -> dict[str, Any]:
        message = request_rerun(session, actor, journey_id, now, why=why)
        return {"outbox_id": message.id}

    return for_each_journey(sessions, dict.fromkeys(journey_ids), rerun)


def heal_pathway_gaps(session: Session, now: datetime) -> int:
    """The sweep's repair: queue an advance for every journey with a pathway gap and no
    advance already pending. Returns how many were queued."""
    pending = select(OutboxMessage.journey_id).where(
        OutboxMessage.processed_at.is_(None), OutboxMessage.failed_at.is_(None)
    )
    waiting = set(session.scalars(pending))
    queued = 0
    for journey_id in _pathway_gaps(session, None):
        if journey_id not in waiting:
            request_rerun(session, None, journey_id, now, reason="sweep_heal")
            queued += 1
    return queued

"""The two low-level writes every journey and round goes through: open a step exactly once,
and append to a journey's timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from care.directory.models import User
from care.journeys import pathway as pathways
from care.journeys.models import Journey, JourneyEvent, Step, StepStatus
from care.journeys.registry import step_type


def add_event(
    session: Session,
    journey_id: uuid.UUID | None,
    kind: str,
    summary: str,
    now: datetime,
    *,
    step_id: uuid.UUID | None = None,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append to the journey's timeline (append-only). Home-level steps have no journey."""
    if journey_id is None:
        return
    session.add(
        JourneyEvent(
            journey_id=journey_id,
            at=now,
            kind=kind,
            summary=summary,
            step_id=step_id,
            actor_id=actor.id if actor else None,
            data=data or {},
        )
    )


def candidate_group(home_id: object, profession: str | None = None) -> str:
    """Who may take a step: the home's MDT, or one profession within it."""
    return f"home:{home_id}:{profession}" if profession else f"home:{home_id}:mdt"


@dataclass(frozen=True)
class NewStep:
    """Everything that defines a step when it opens."""

    dedupe_key: str
    kind: str
    title: str
    home_id: uuid.UUID
    due_at: datetime
    deadline_rule: str
    deadline_base: datetime
    priority: int = 3
    journey_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    episode_id: uuid.UUID | None = None
    # The domain record the step is part of (a round, an escalation), named by its domain.
    context_kind: str | None = None
    context_id: uuid.UUID | None = None
    candidate_profession: str | None = None
    assignee_id: uuid.UUID | None = None
    instructions: str | None = None
    # What the domain reported that opens this step (a reaction in the pathway definition);
    # None for the pathway's own sequence of stages.
    trigger: str | None = None
    status: StepStatus | None = None


DEFAULT_PATHWAY = "ehch"


def pathway_of(session: Session, journey_id: uuid.UUID | None) -> pathways.Pathway:
    """The pathway version a journey follows; home-level work follows the current one."""
    if journey_id is not None:
        journey = session.get(Journey, journey_id)
        if journey is not None:
            return pathways.get(journey.pathway, journey.pathway_version)
    return pathways.current(DEFAULT_PATHWAY)


def open_step(session: Session, new: NewStep, now: datetime) -> uuid.UUID | None:
    """Open the step unless one with the same natural key exists (then None): idempotent.

    A step opened with an assignee starts claimed by them (the MDT chose who does it). A step
    opened by a trigger opens only if the journey's pathway version declares it for that
    trigger (the pathway is applied, not just described); an undeclared kind is refused.
    """
    step_type(new.kind)
    if new.trigger is not None and new.kind not in pathway_of(
            session, new.journey_id).opens_on(new.trigger):
        return None
    status = new.status or (StepStatus.CLAIMED if new.assignee_id else StepStatus.READY)
    step_id = session.execute(
        insert(Step)
        .values(
            id=uuid.uuid4(),
            dedupe_key=new.dedupe_key,
            journey_id=new.journey_id,
            resident_id=new.resident_id,
            home_id=new.home_id,
            episode_id=new.episode_id,
            context_kind=new.context_kind,
            context_id=new.context_id,
            kind=new.kind,
            title=new.title,
            status=status,
            priority=new.priority,
            candidate_group=candidate_group(new.home_id, new.candidate_profession),
            candidate_profession=new.candidate_profession,
            assignee_id=new.assignee_id,
            claimed_at=now if new.assignee_id else None,
            instructions=new.instructions,
            due_at=new.due_at,
            deadline_rule=new.deadline_rule,
            deadline_base=new.deadline_base,
            opened_at=now,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Step.id)
    ).scalar_one_or_none()
    if step_id is not None and new.journey_id is not None:
        if status == StepStatus.SKIPPED:
            add_event(session, new.journey_id, "step.skipped", f"{new.title} skipped: "
                      f"{new.instructions}", now, step_id=step_id, data={"kind": new.kind})
        else:
            add_event(session, new.journey_id, "step.opened", f"{new.title} opened", now,
                      step_id=step_id, data={"kind": new.kind, "trigger": new.trigger})
    return step_id

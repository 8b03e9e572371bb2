"""Turning a completed step's outcome into the resident's clinical record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.assessments.models import CarePlan, HolisticAssessment
from care.directory.models import User
from care.journeys.models import Step, StepKind


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: User, now: datetime
) -> None:
    """Write the assessment or PCSP row for a completed step (same transaction as the step)."""
    if step.kind == StepKind.HOLISTIC_ASSESSMENT:
        session.add(
            HolisticAssessment(
                resident_id=step.resident_id,
                step_id=step.id,
                physical=outcome["physical"],
                psychological=outcome["psychological"],
                functional=outcome["functional"],
                social=outcome["social"],
                environmental=outcome["environmental"],
                what_matters=outcome["what_matters"],
                contributors=outcome.get("contributors", []),
                existing_assessments_used=outcome.get("existing_assessments_used"),
                completed_by_id=actor.id,
                completed_at=now,
            )
        )
    elif step.kind == StepKind.PCSP:
        latest = session.scalar(
            select(func.max(CarePlan.version)).where(CarePlan.resident_id == step.resident_id)
        )
        session.add(
            CarePlan(
                resident_id=step.resident_id,
                step_id=step.id,
                version=(latest or 0) + 1,
                goals=outcome["goals"],
                actions=outcome["actions"],
                escalation_wishes=outcome["escalation_wishes"],
                agreed_with=outcome["agreed_with"],
                review_date=date.fromisoformat(outcome["review_date"]),
                created_by_id=actor.id,
                created_at=now,
                change_reason="care plan agreed after (re)admission",
            )
        )


def current_plan(session: Session, resident_id: Any) -> CarePlan | None:
    """The newest PCSP version for the resident."""
    return session.scalar(
        select(CarePlan)
        .where(CarePlan.resident_id == resident_id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )


def latest_assessment(session: Session, resident_id: Any) -> HolisticAssessment | None:
    return session.scalar(
        select(HolisticAssessment)
        .where(HolisticAssessment.resident_id == resident_id)
        .order_by(HolisticAssessment.completed_at.desc())
        .limit(1)
    )

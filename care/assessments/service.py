"""Turning a completed step's outcome into the resident's clinical record, and the clinical
lead's review of first contacts written as free text before they were coded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan, FirstContactReview, HolisticAssessment
from care.assessments.rules import coded_contact, free_text_contact
from care.assessments.schemas import FirstContactResolutionIn, PreferredContact
from care.audit.service import record as audit
from care.directory.access import CLINICIANS, Actor
from care.directory.models import CareHome, HomeMembership, User
from care.errors import Conflict, InvalidInput, NotFound
from care.journeys.ledger import add_event
from care.journeys.models import Journey, Step
from care.residents import Resident
from care.types import Role

# Who may be named as a resident's first contact: the MDT's clinicians.
CLINICIAN_ROLES = CLINICIANS
REVIEW_READERS = frozenset({Role.CLINICAL_LEAD, Role.COORDINATOR})
REVIEW_RESOLVERS = frozenset({Role.CLINICAL_LEAD})


def record_outcome(
    session: Session, step: Step, outcome: dict[str, Any], actor: User, now: datetime,
    *, channel: str = "api",
) -> None:
    """Write the assessment or PCSP row for a completed step (same transaction as the step)."""
    if step.kind == AssessmentStep.HOLISTIC_ASSESSMENT:
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
    elif step.kind == AssessmentStep.PCSP:
        wishes = outcome["escalation_wishes"]
        clinician = wishes.get("named_clinician_id")
        if clinician is not None and step.resident_id is not None:
            named_clinician(session, uuid.UUID(clinician), step.resident_id,
                            "outcome.escalation_wishes.named_clinician_id")
        latest = latest_plan_for_update(session, step.resident_id)
        plan = CarePlan(
            resident_id=step.resident_id,
            step_id=step.id,
            version=(latest.version if latest else 0) + 1,
            goals=outcome["goals"],
            actions=outcome["actions"],
            escalation_wishes=wishes,
            agreed_with=outcome["agreed_with"],
            review_date=date.fromisoformat(outcome["review_date"]),
            created_by_id=actor.id,
            created_at=now,
            change_reason="care plan agreed after (re)admission",
        )
        session.add(plan)
        _close_superseded_reviews(session, plan, actor, now, channel)


def named_clinician(session: Session, user_id: uuid.UUID, resident_id: uuid.UUID,
                    field: str) -> User:
    """The clinician a PCSP names as first contact: active, a clinician, serving the resident's
    home now; otherwise 422 on ``field``, since nobody could be told."""
    resident = session.get(Resident, resident_id)
    user = session.get(User, user_id)
    serves = resident is not None and user is not None and bool(session.scalar(
        select(func.count()).select_from(HomeMembership).where(
            HomeMembership.user_id == user.id, HomeMembership.home_id == resident.home_id)))
    if user is None or not user.active or user.role not in CLINICIAN_ROLES or not serves:
        raise InvalidInput("must be an active clinician serving the resident's care home",
                           field=field)
    return user


def latest_plan_for_update(session: Session, resident_id: Any) -> CarePlan | None:
    """The newest PCSP version, with the resident's row locked: whoever makes the next version
    (a PCSP step, a round's agreed change, a first-contact review) waits for the others, so
    two versions never share a number and "current" is never a coin toss."""
    session.execute(select(Resident.id).where(Resident.id == resident_id).with_for_update())
    return current_plan(session, resident_id)


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


# ---------------------------------------------------------------- first-contact reviews


@dataclass(frozen=True)
class ReviewRow:
    """A review with the resident it is about and the version of their plan now current."""

    review: FirstContactReview
    resident: Resident
    home: CareHome
    current_version: int | None


def _reviewable_homes(session: Session, actor: Actor) -> frozenset[uuid.UUID]:
    """The homes of the actor's PCN that they serve: the care relationship, then the PCN."""
    return frozenset(session.scalars(
        select(CareHome.id).where(CareHome.id.in_(actor.home_ids),
                                  CareHome.pcn_id == actor.user.pcn_id)))


def first_contact_reviews(
    session: Session, actor: Actor, *, status: str = "open",
) -> list[ReviewRow]:
    """The review list (clinical lead; coordinators may read), oldest open first.
    ``status`` is "open", "resolved" or "all"."""
    actor.require_role(REVIEW_READERS, "see the first-contact review list")
    homes = _reviewable_homes(session, actor)
    current = (select(CarePlan.resident_id, func.max(CarePlan.version).label("version"))
               .group_by(CarePlan.resident_id).subquery())
    query = (
        select(FirstContactReview, Resident, CareHome, current.c.version)
        .join(Resident, Resident.id == FirstContactReview.resident_id)
        .join(CareHome, CareHome.id == Resident.home_id)
        .outerjoin(current, current.c.resident_id == Resident.id)
        .where(Resident.home_id.in_(homes))
        .order_by(FirstContactReview.opened_at, Resident.family_name, FirstContactReview.id)
    )
    if status == "open":
        query = query.where(FirstContactReview.resolved_at.is_(None))
    elif status == "resolved":
        query = query.where(FirstContactReview.resolved_at.is_not(None))
    return [ReviewRow(r, res, home, version)
            for r, res, home, version in session.execute(query).tuples()]


def review_row(session: Session, review: FirstContactReview) -> ReviewRow:
    """One review with its resident, home and the resident's current plan version."""
    resident = session.get(Resident, review.resident_id)
    assert resident is not None
    home = session.get(CareHome, resident.home_id)
    assert home is not None
    version = session.scalar(select(func.max(CarePlan.version))
                             .where(CarePlan.resident_id == resident.id))
    return ReviewRow(review, resident, home, version)


def get_first_contact_review(
    session: Session, actor: Actor, review_id: uuid.UUID, *, lock: bool = False,
) -> FirstContactReview:
    """One review; 404 unless its resident lives in a home of the actor's PCN they serve."""
    query = select(FirstContactReview).where(FirstContactReview.id == review_id)
    review = session.scalar(query.with_for_update() if lock else query)
    resident = session.get(Resident, review.resident_id) if review is not None else None
    if review is None or resident is None or (
            resident.home_id not in _reviewable_homes(session, actor)):
        raise NotFound("first-contact review not found")
    return review


def resolve_first_contact_review(
    session: Session, actor: Actor, review_id: uuid.UUID, data: FirstContactResolutionIn,
    now: datetime,
) -> tuple[FirstContactReview, CarePlan]:
    """The clinical lead codes the words: a new PCSP version copies the current one with the
    coded first contact (the quoted version stays as it was), the review closes, both audited.
    """
    review = get_first_contact_review(session, actor, review_id, lock=True)
    actor.require_role(REVIEW_RESOLVERS, "resolve first-contact reviews")
    if review.resolved_at is not None:
        raise Conflict("this first-contact review is already resolved")
    current = latest_plan_for_update(session, review.resident_id)
    if current is None or free_text_contact(current.escalation_wishes) is None:
        # A newer plan already says who to contact: coding the old words would overwrite it.
        raise Conflict("the resident's current care plan no longer holds free text for the "
                       "first contact")
    if data.named_clinician_id is not None:
        named_clinician(session, data.named_clinician_id, review.resident_id,
                        "named_clinician_id")
    code = data.preferred_contact
    wishes = {**current.escalation_wishes,
              "preferred_contact": code.value if code else None,
              "named_clinician_id": str(data.named_clinician_id)
              if data.named_clinician_id else None}
    words = code.label if code else "no first contact (the usual route)"
    plan = CarePlan(
        resident_id=current.resident_id, step_id=None, version=current.version + 1,
        goals=current.goals, actions=current.actions, escalation_wishes=wishes,
        agreed_with=f"Clinical lead's review of the plan agreed with {current.agreed_with}"[:300],
        review_date=current.review_date, created_by_id=actor.id, created_at=now,
        change_reason=(f"First-contact review {review.id}: the free text "
                       f"'{free_text_contact(current.escalation_wishes)}' coded as {words}. "
                       f"Reason: {data.reason}"),
    )
    session.add(plan)
    before = _review_snapshot(review)
    review.resolved_at, review.resolved_by_id = now, actor.id
    review.resolution = code
    review.resolution_named_clinician_id = data.named_clinician_id
    review.resolution_reason = data.reason
    review.resolved_plan_version = plan.version
    session.flush()
    journey = session.scalar(select(Journey).where(Journey.resident_id == review.resident_id))
    if journey is not None:
        add_event(session, journey.id, "pcsp.first_contact_coded",
                  f"First contact coded as {words} (care plan version {plan.version})", now,
                  actor=actor.user, data={"review_id": str(review.id)})
    audit(session, at=now, actor=actor.user, channel=actor.channel,
          action="first_contact_review.resolve", entity="first_contact_review",
          entity_id=review.id, resident_id=review.resident_id, before=before,
          after={**_review_snapshot(review), "care_plan_id": str(plan.id)})
    return review, plan


def _close_superseded_reviews(session: Session, plan: CarePlan, actor: User, now: datetime,
                              channel: str) -> None:
    """A newly agreed PCSP answers the question itself: its first contact is a code (or none),
    so the resident's open reviews close, saying which version settled them."""
    if free_text_contact(plan.escalation_wishes) is not None:
        return
    code: PreferredContact | None = coded_contact(plan.escalation_wishes)
    for review in session.scalars(select(FirstContactReview).where(
            FirstContactReview.resident_id == plan.resident_id,
            FirstContactReview.resolved_at.is_(None)).with_for_update()):
        before = _review_snapshot(review)
        review.resolved_at, review.resolved_by_id = now, actor.id
        review.resolution = code
        clinician = plan.escalation_wishes.get("named_clinician_id")
        review.resolution_named_clinician_id = uuid.UUID(clinician) if clinician else None
        review.resolution_reason = (f"Superseded by care plan version {plan.version}, agreed "
                                    f"with {plan.agreed_with}")
        review.resolved_plan_version = plan.version
        audit(session, at=now, actor=actor, channel=channel,
              action="first_contact_review.superseded", entity="first_contact_review",
              entity_id=review.id, resident_id=review.resident_id, before=before,
              after=_review_snapshot(review))


def _review_snapshot(review: FirstContactReview) -> dict[str, Any]:
    return {
        "resolved_at": review.resolved_at.isoformat() if review.resolved_at else None,
        "resolved_by_id": str(review.resolved_by_id) if review.resolved_by_id else None,
        "resolution": review.resolution.value if review.resolution else None,
        "resolution_named_clinician_id": str(review.resolution_named_clinician_id)
        if review.resolution_named_clinician_id else None,
        "resolution_reason": review.resolution_reason,
        "resolved_plan_version": review.resolved_plan_version,
    }

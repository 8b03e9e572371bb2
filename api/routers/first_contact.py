"""The clinical lead's review list of first contacts written as free text before the PCSP's
first contact became a coded choice (issue 8): read by the clinical lead and coordinators of
the PCN's homes they serve; resolved by the clinical lead with a code and a reason."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ApiActor, NowDep, SessionDep
from api.schemas import (
    PersonRef,
    ResidentRef,
    names_for,
    person_ref,
    problem_responses,
    resident_ref,
)
from care.assessments import service as assessments
from care.assessments.schemas import FirstContactResolutionIn, PreferredContact
from care.audit.service import record_seen

router = APIRouter(tags=["first-contact reviews"], responses=problem_responses(401, 403, 422))


class FirstContactReviewOut(BaseModel):
    id: uuid.UUID
    resident: ResidentRef
    home_id: uuid.UUID
    home_name: str
    status: Literal["open", "resolved"]
    original_text: str = Field(description="The first contact as it was written, word for word")
    care_plan_version: int = Field(description="The PCSP version the words are quoted from")
    current_plan_version: int | None = Field(description="The resident's current PCSP version")
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: PersonRef | None
    resolution: PreferredContact | None = Field(
        description="The coded first contact; null once resolved means none (the usual route)")
    resolution_label: str | None = Field(description="The resolution in words")
    resolution_named_clinician: PersonRef | None
    resolution_reason: str | None
    resolved_plan_version: int | None = Field(
        description="The PCSP version that carries the resolution")


def _out(row: assessments.ReviewRow, names: Mapping[uuid.UUID, str]) -> FirstContactReviewOut:
    review = row.review
    resolved = review.resolved_at is not None
    label = (review.resolution.label if review.resolution
             else "No first contact: the usual route" if resolved else None)
    return FirstContactReviewOut(
        id=review.id, resident=resident_ref(row.resident), home_id=row.home.id,
        home_name=row.home.name, status="resolved" if resolved else "open",
        original_text=review.original_text, care_plan_version=review.care_plan_version,
        current_plan_version=row.current_version, opened_at=review.opened_at,
        resolved_at=review.resolved_at,
        resolved_by=person_ref(review.resolved_by_id, names),
        resolution=review.resolution, resolution_label=label,
        resolution_named_clinician=person_ref(review.resolution_named_clinician_id, names),
        resolution_reason=review.resolution_reason,
        resolved_plan_version=review.resolved_plan_version,
    )


def _names(session: SessionDep, rows: list[assessments.ReviewRow]) -> dict[uuid.UUID, str]:
    return names_for(session, {i for r in rows for i in (
        r.review.resolved_by_id, r.review.resolution_named_clinician_id)})


@router.get("/first-contact-reviews", response_model=list[FirstContactReviewOut])
def list_reviews(
    actor: ApiActor, session: SessionDep, now: NowDep,
    status: Literal["open", "resolved", "all"] = "open",
) -> list[FirstContactReviewOut]:
    """First contacts written as free text, oldest first, for residents of the PCN's homes
    you serve (clinical lead; coordinators may read). The words never steer the route: until
    resolved, the default applies (the GP, or the palliative care team at the end of life)."""
    rows = assessments.first_contact_reviews(session, actor, status=status)
    names = _names(session, rows)
    body = [_out(r, names) for r in rows]
    record_seen(session, at=now, actor=actor.user, channel=actor.channel,
                action="first_contact_review.list", resident_ids={r.resident.id for r in rows})
    session.commit()
    return body


@router.post("/first-contact-reviews/{review_id}/resolve", response_model=FirstContactReviewOut,
             responses=problem_responses(400, 404, 409))
def resolve(
    review_id: uuid.UUID, data: FirstContactResolutionIn, actor: ApiActor,
    session: SessionDep, now: NowDep,
) -> FirstContactReviewOut:
    """The clinical lead codes the words (`preferred_contact`, with `named_clinician_id` for a
    named clinician; null for none) and says why: a new PCSP version copies the current one
    with the coded first contact; the quoted version is kept as it was. 409 once resolved, or
    when a newer plan already records a coded first contact."""
    review, _ = assessments.resolve_first_contact_review(session, actor, review_id, data, now)
    row = assessments.review_row(session, review)
    body = _out(row, _names(session, [row]))
    session.commit()
    return body

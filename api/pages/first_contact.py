"""The clinical lead's review list of first contacts written as free text (issue 8): read by
the clinical lead and coordinators, resolved by the clinical lead with a coded choice and a
reason. Plain form POSTs over ``care.assessments.service``, like the JSON API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from api.deps import NowDep, SessionDep
from api.pages import first_contact_forms as forms
from api.pages.formkit import FieldErrors, errors_of, form_values
from api.pages.web import (
    CheckedSessionDep,
    FormDep,
    PageSession,
    PageSessionDep,
    flash,
    page_router,
    redirect,
    render,
)
from api.schemas import names_for
from care.assessments import service as assessments
from care.assessments.schemas import FirstContactResolutionIn, PreferredContact
from care.audit.service import record_seen
from care.directory.service import members_of
from care.errors import InvalidInput

router = page_router()

STATUSES = ("open", "resolved", "all")


def _reviews_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, status: str, *,
    errors: FieldErrors | None = None, values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = assessments.first_contact_reviews(session, page.actor, status=status)
    can_resolve = page.actor.role in assessments.REVIEW_RESOLVERS
    clinicians: dict[uuid.UUID, list[dict[str, str]]] = {}
    if can_resolve:
        for home_id in {r.home.id for r in rows if r.review.resolved_at is None}:
            clinicians[home_id] = forms.clinician_items(members_of(session, home_id))
    names = names_for(session, {i for r in rows for i in (
        r.review.resolved_by_id, r.review.resolution_named_clinician_id)})
    record_seen(session, at=now, actor=page.actor.user, channel="web",
                action="first_contact_review.list", resident_ids={r.resident.id for r in rows})
    session.commit()
    return render(request, "pages/first_contact_reviews.html", page, {
        "rows": rows, "status": status, "can_resolve": can_resolve,
        "clinicians": clinicians, "names": names,
        "first_contact_items": forms.FIRST_CONTACT_ITEMS,
        "labels": {c.value: c.label for c in PreferredContact},
        "errors": errors or FieldErrors(), "values": values or {},
    }, now=now, settings=page.settings, status_code=status_code)


@router.get("/first-contact-reviews")
def reviews(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep,
    status: str = "open",
) -> Response:
    return _reviews_page(request, page, session, now, status if status in STATUSES else "open")


@router.post("/first-contact-reviews/{review_id}/resolve")
def resolve(
    request: Request, review_id: uuid.UUID, page: CheckedSessionDep, form: FormDep,
    session: SessionDep, now: NowDep,
) -> Response:
    review = assessments.get_first_contact_review(session, page.actor, review_id)
    page.actor.require_role(assessments.REVIEW_RESOLVERS, "resolve first-contact reviews")
    prefix = f"{review.id}-"
    values = form_values(form)
    try:
        data = FirstContactResolutionIn.model_validate(forms.parse_resolution(form, prefix))
        assessments.resolve_first_contact_review(session, page.actor, review.id, data, now)
    except ValidationError as exc:
        return _reviews_page(request, page, session, now, "open", values=values,
                             errors=forms.resolution_errors(errors_of(exc), prefix),
                             status_code=422)
    except InvalidInput as exc:
        session.rollback()
        return _reviews_page(request, page, session, now, "open", values=values,
                             errors=forms.resolution_errors(exc.errors, prefix),
                             status_code=422)
    resident = assessments.review_row(session, review).resident
    name = resident.display_name
    session.commit()
    response = redirect("/first-contact-reviews")
    flash(response, f"{name}'s first contact is coded: a new version of their care plan is "
                    "in place.", page.settings, now)
    return response

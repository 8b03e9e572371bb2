"""A person's notifications, the alerts that did not reach people, and their own channel for
urgent alerts."""

from __future__ import annotations

import uuid

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from api.deps import NowDep, SessionDep
from api.pages.formkit import FieldErrors, errors_of, message_for
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
from care.delivery import service as delivery
from care.delivery.schemas import ContactIn
from care.delivery.transports import available_channels
from care.errors import InvalidInput
from care.journeys import notifications as inbox

router = page_router()

NOTIFICATIONS_LIMIT = 200


@router.get("/notifications")
def notifications(
    request: Request, page: PageSessionDep, session: SessionDep, now: NowDep
) -> Response:
    return _notifications_page(request, page, session, now)


def _notifications_page(
    request: Request, page: PageSession, session: SessionDep, now: NowDep, *,
    errors: FieldErrors | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    notes = inbox.notifications_for(session, page.actor.id, limit=NOTIFICATIONS_LIMIT)
    user = page.actor.user
    # Names staff and links to the step, never a resident: nothing here to audit as seen.
    problems = delivery.delivery_problems(session, page.actor, now)
    return render(request, "pages/notifications.html", page, {
        "notifications": notes,
        "problems": problems,
        "channels": available_channels(page.settings),
        "contact": values or {"channel": user.notify_channel.value, "email": user.email or "",
                              "mobile": user.mobile or ""},
        "last_failure": delivery.last_failure_for(session, user.id),
        "errors": errors or FieldErrors(),
    }, now=now, settings=page.settings, status_code=status_code)


@router.post("/notifications/channel")
def notification_channel(
    request: Request, page: CheckedSessionDep, form: FormDep, session: SessionDep, now: NowDep,
) -> Response:
    """The person's own channel for urgent alerts (admins set others' through the API)."""
    values = {k: (form.get(k) or "").strip() for k in ("channel", "email", "mobile")}
    errors = FieldErrors()
    try:
        data = ContactIn(channel=values["channel"] or "in_app", email=values["email"] or None,
                         mobile=values["mobile"] or None)
        delivery.set_contact(session, page.actor, page.actor.id, data, now, page.settings)
    except ValidationError as exc:
        for error in errors_of(exc):
            errors.add(error["field"], message_for(error["field"], error["reason"]))
    except InvalidInput as exc:
        for error in exc.errors:
            errors.add(error["field"], error["reason"][:1].upper() + error["reason"][1:])
    if errors:
        session.rollback()
        return _notifications_page(request, page, session, now, errors=errors, values=values,
                                   status_code=422)
    session.commit()
    response = redirect("/notifications#channel-section")
    flash(response, "Your alert settings are saved.", page.settings, now)
    return response


@router.post("/notifications/{notification_id}/read")
def notification_read(
    notification_id: uuid.UUID, page: CheckedSessionDep, session: SessionDep, now: NowDep
) -> Response:
    inbox.mark_read(session, page.actor, notification_id, now)
    session.commit()
    response = redirect("/notifications")
    flash(response, "Notification marked as read.", page.settings, now)
    return response

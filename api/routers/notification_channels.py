"""How each person is told about urgent work outside the app, and alerts that failed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ApiActor, NowDep, SessionDep, SettingsDep
from api.schemas import problem_responses
from care.delivery import service as delivery
from care.delivery.schemas import ContactIn, ContactOut, DeliveryProblemOut
from care.delivery.transports import available_channels
from care.directory.access import OVERSEEING_ROLES, Actor
from care.directory.models import User
from care.errors import NotFound
from care.settings import Settings

router = APIRouter(tags=["notifications"], responses=problem_responses(401, 422))


def _out(user: User, settings: Settings) -> ContactOut:
    return ContactOut(user_id=str(user.id), channel=user.notify_channel, email=user.email,
                      mobile=user.mobile, available_channels=available_channels(settings))


def _who(actor: Actor, user_id: str) -> uuid.UUID:
    if user_id == "me":
        return actor.id
    try:
        return uuid.UUID(user_id)
    except ValueError:
        raise NotFound("user not found") from None


@router.get("/users/{user_id}/notification-settings", response_model=ContactOut,
            responses=problem_responses(404))
def get_channel(user_id: str, actor: ApiActor, session: SessionDep,
                settings: SettingsDep) -> ContactOut:
    """Your channel for urgent alerts (`me`), or anyone's in your PCN if you are an admin."""
    return _out(delivery.contact_of(session, actor, _who(actor, user_id)), settings)


@router.put("/users/{user_id}/notification-settings", response_model=ContactOut,
            responses=problem_responses(400, 404))
def put_channel(user_id: str, body: ContactIn, actor: ApiActor, session: SessionDep,
                now: NowDep, settings: SettingsDep) -> ContactOut:
    """Choose how urgent alerts reach you outside the app: `in_app` only, `email` or `sms`.
    The channel must be set up on this service (`available_channels`) and its detail given;
    a mobile number is stored as +44... ."""
    user = delivery.set_contact(session, actor, _who(actor, user_id), body, now, settings)
    out = _out(user, settings)
    session.commit()
    return out


@router.get("/notification-deliveries", response_model=list[DeliveryProblemOut],
            responses=problem_responses(403))
def list_delivery_problems(
    actor: ApiActor, session: SessionDep, now: NowDep,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> list[DeliveryProblemOut]:
    """Alerts that did not reach their person in the homes you serve (clinical leads,
    coordinators, admins), newest first: who, how, when and why."""
    actor.require_role(OVERSEEING_ROLES, "see delivery problems")
    return [
        DeliveryProblemOut(
            id=p.delivery.id, reference=p.delivery.reference, user_id=str(p.delivery.user_id),
            user_name=p.user_name, channel=p.delivery.channel, address=p.address,
            home_id=str(p.delivery.home_id) if p.delivery.home_id else None,
            home_name=p.home_name, headline=p.delivery.headline,
            link_path=p.delivery.link_path, raised_at=p.delivery.created_at.isoformat(),
            failed_at=p.delivery.failed_at.isoformat() if p.delivery.failed_at else "",
            attempts=p.delivery.attempts, permanent=p.delivery.permanent,
            reason=p.delivery.last_error)
        for p in delivery.delivery_problems(session, actor, now, days=days)
    ]

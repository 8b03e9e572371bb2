"""The homes you serve and their members (whom a step can be assigned to)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import ApiActor, SessionDep
from api.schemas import HomeOut, MemberOut, home_out, problem_responses
from care.directory.service import homes_for, members_of
from care.errors import NotFound

router = APIRouter(tags=["homes"], responses=problem_responses(401, 422))


@router.get("/homes", response_model=list[HomeOut])
def list_homes(actor: ApiActor, session: SessionDep) -> list[HomeOut]:
    """The care homes you serve."""
    return [home_out(h) for h in homes_for(session, actor.home_ids)]


@router.get("/homes/{home_id}/members", response_model=list[MemberOut],
            responses=problem_responses(404))
def list_members(home_id: uuid.UUID, actor: ApiActor, session: SessionDep) -> list[MemberOut]:
    """Active members serving the home, for assigning steps."""
    if not actor.serves(home_id):
        raise NotFound("home not found")
    return [MemberOut.model_validate(u) for u in members_of(session, home_id)]

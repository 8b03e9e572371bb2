"""Who may see and do what (ARCHITECTURE invariant 9): the care relationship, then the role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from care.directory.models import HomeMembership, User
from care.errors import Forbidden, NotFound
from care.types import Role


@dataclass(frozen=True)
class Actor:
    """A signed-in user with the homes they serve, loaded once per request."""

    user: User
    home_ids: frozenset[uuid.UUID]
    # Where the action came from ("api", "web", "cli"), recorded on every audit entry.
    channel: str = "api"

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    def serves(self, home_id: uuid.UUID) -> bool:
        return home_id in self.home_ids

    def require_serves(self, home_id: uuid.UUID, what: str) -> None:
        """Residents of homes the user does not serve do not exist for them (404, not 403)."""
        if home_id not in self.home_ids:
            raise NotFound(f"{what} not found")

    def require_role(self, roles: frozenset[Role] | set[Role], action: str) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(
                f"your role ({self.role.value}) may not {action}; needs one of: {allowed}"
            )


ADMITTING_ROLES = frozenset(
    {Role.COORDINATOR, Role.CLINICAL_LEAD, Role.MDT_MEMBER, Role.CARE_HOME_STAFF}
)
ASSIGNING_ROLES = frozenset({Role.COORDINATOR, Role.CLINICAL_LEAD})
ADMIN_ROLES = frozenset({Role.ADMIN})
# Who watches every journey and home: the coordinator view, stalled journeys.
OVERSEEING_ROLES = frozenset({Role.COORDINATOR, Role.CLINICAL_LEAD, Role.ADMIN})
# Who may take and complete clinical steps. Care-home staff are core MDT members (DOMAIN.md).
CLINICAL_ROLES = frozenset({Role.MDT_MEMBER, Role.CLINICAL_LEAD, Role.CARE_HOME_STAFF})
CLINICIANS = frozenset({Role.MDT_MEMBER, Role.CLINICAL_LEAD})
# Who may prepare a home round and hold its registration conversations.
PREPARERS = frozenset({*CLINICAL_ROLES, Role.COORDINATOR})


def load_actor(session: Session, user: User, channel: str = "api") -> Actor:
    """The user with the set of homes they serve."""
    home_ids = session.scalars(
        select(HomeMembership.home_id).where(HomeMembership.user_id == user.id)
    ).all()
    return Actor(user=user, home_ids=frozenset(home_ids), channel=channel)

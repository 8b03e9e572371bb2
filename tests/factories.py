"""Small builders for test worlds: a PCN, homes, users, admissions and outcomes."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from care.demo import synthetic_nhs_number
from care.directory.models import CareHome, HomeMembership, HomeType, Pcn, User
from care.directory.service import hash_password
from care.types import Profession, Role

PASSWORD = "test-password-123"
_HASH: str | None = None
_counter = itertools.count(1)


def password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


@dataclass
class World:
    pcn: Pcn
    home_a: CareHome
    home_b: CareHome
    users: dict[str, User] = field(default_factory=dict)


def make_home(session: Session, pcn: Pcn, name: str, weekday: int = 1) -> CareHome:
    n = next(_counter)
    home = CareHome(pcn_id=pcn.id, name=name, home_type=HomeType.NURSING, beds=40,
                    cqc_location_id=f"1-{n:09d}", ods_code=f"T{n:04d}", address="1 Test Road",
                    postcode="TE1 1ST", round_weekday=weekday, round_time=time(10))
    session.add(home)
    session.flush()
    return home


def make_user(session: Session, pcn: Pcn, username: str, role: Role, profession: Profession,
              homes: list[CareHome], *, representative: bool = False) -> User:
    user = User(username=username, display_name=username.replace(".", " ").title(),
                password_hash=password_hash(), role=role, profession=profession, pcn_id=pcn.id,
                created_at=datetime(2026, 1, 1, tzinfo=None).astimezone())
    session.add(user)
    session.flush()
    for home in homes:
        session.add(HomeMembership(user_id=user.id, home_id=home.id,
                                   is_home_representative=representative))
    session.flush()
    return user


def make_world(session: Session) -> World:
    """Two homes in one PCN; users of each role; one nurse serving only home B."""
    pcn = Pcn(name="Test PCN", ods_code=f"U{next(_counter):05d}", practice_ods_codes=["Y11111"])
    session.add(pcn)
    session.flush()
    a = make_home(session, pcn, "Home A")
    b = make_home(session, pcn, "Home B")
    world = World(pcn, a, b)
    both = [a, b]
    spec = [
        ("lead", Role.CLINICAL_LEAD, Profession.GP, both, False),
        ("coord", Role.COORDINATOR, Profession.CARE_COORDINATOR, both, False),
        ("nurse.a", Role.MDT_MEMBER, Profession.DISTRICT_NURSE, [a], False),
        ("gp.a", Role.MDT_MEMBER, Profession.GP, [a], False),
        ("nurse.b", Role.MDT_MEMBER, Profession.DISTRICT_NURSE, [b], False),
        ("staff.a", Role.CARE_HOME_STAFF, Profession.CARE_HOME_STAFF, [a], True),
        ("admin", Role.ADMIN, Profession.ADMINISTRATOR, both, False),
    ]
    for username, role, profession, homes, rep in spec:
        world.users[username] = make_user(session, pcn, username, role, profession, homes,
                                          representative=rep)
    a.clinical_lead_id = world.users["lead"].id
    b.clinical_lead_id = world.users["lead"].id
    session.flush()
    return world


def admission(home_id: uuid.UUID, admitted_on: date, **overrides: Any) -> dict[str, Any]:
    """A valid admission body (JSON-ready)."""
    import random

    body: dict[str, Any] = {
        "nhs_number": synthetic_nhs_number(random.Random(next(_counter) * 7919)),
        "given_name": "Test",
        "family_name": f"Resident{next(_counter)}",
        "date_of_birth": "1940-05-17",
        "home_id": str(home_id),
        "admitted_on": admitted_on.isoformat(),
        "gp_practice_ods": "Y11111",
        "gp_practice_name": "Test Surgery",
        "dementia_status": "unknown",
    }
    body.update(overrides)
    return body


ASSESSMENT = {
    "physical": "Heart failure, stable.",
    "psychological": "Low mood.",
    "functional": "Needs help of one to mobilise.",
    "social": "Son visits weekly.",
    "environmental": "Room on first floor, lift access.",
    "what_matters": "Being able to sit in the garden.",
    "contributors": ["resident", "son"],
}

PCSP = {
    "goals": [{"description": "Sit in the garden daily"}],
    "actions": [{"description": "Physiotherapy referral", "owner": "matron"}],
    "escalation_wishes": {"hospital_admission": "discuss_first", "preferred_contact": "gp"},
    "agreed_with": "resident and son",
    "review_date": "2027-03-01",
}

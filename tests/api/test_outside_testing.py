"""Defects found by outside testers (issue 8): one person admitted three times, implausible NHS
numbers and dates, inputs that answered 500, and the contract the OpenAPI did not describe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.residents.models import Resident
from tests.api.conftest import Headers
from tests.factories import World, admission

Admit = Callable[..., dict[str, Any]]

ASCII = "9995509016"
ARABIC_INDIC = "\u0669\u0669\u0669\u0665\u0665\u0660\u0669\u0660\u0661\u0666"
FULLWIDTH = "\uff19\uff19\uff19\uff15\uff15\uff10\uff19\uff10\uff11\uff16"


def _refused(r: Any, field: str) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    [error] = r.json()["errors"]
    assert error["field"] == field, r.json()
    reason: str = error["reason"]
    return reason


# ---------------------------------------------------------------- 1. one person, one number


@pytest.mark.parametrize("typed", [ARABIC_INDIC, FULLWIDTH, "\uff19\uff19\uff19 550 9016"])
def test_one_person_is_not_admitted_again_under_other_digits(
    typed: str, client: TestClient, world: World, clock: FrozenClock,
    login: Callable[[str], Headers], admit: Admit, sessions: sessionmaker[Session],
) -> None:
    admit(nhs_number=ASCII)
    r = client.post("/api/v1/residents", headers=login("staff.a"),
                    json=admission(world.home_a.id, clock.now().date(), nhs_number=typed))
    assert "active admission" in _refused(r, "nhs_number")
    with sessions() as s:
        assert s.scalars(select(Resident.nhs_number)).all() == [ASCII]


def test_a_number_typed_in_other_digits_is_stored_searched_and_shown_as_ascii(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
    admit: Admit, sessions: sessionmaker[Session],
) -> None:
    body = admit(nhs_number=ARABIC_INDIC, gp_practice_ods="\uff59\uff11\uff11\uff11\uff11\uff11")
    resident = body["resident"]
    assert resident["nhs_number"] == "999 550 9016"
    assert resident["gp_practice_ods"] == "Y11111"
    with sessions() as s:
        row = s.get(Resident, resident["id"])
        assert row is not None
        assert (row.nhs_number, row.gp_practice_ods) == (ASCII, "Y11111")
        # The PCN's practice is recognised although it was typed in fullwidth letters.
        assert row.gp_in_aligned_pcn
    for q in (ASCII, FULLWIDTH, "999 550 9016", ARABIC_INDIC):
        r = client.get("/api/v1/residents", headers=login("coord"), params={"q": q})
        assert [i["id"] for i in r.json()["items"]] == [resident["id"]], q
    # The fullwidth admission after it is the same person: refused.
    r = client.post("/api/v1/residents", headers=login("staff.a"),
                    json=admission(world.home_a.id, clock.now().date(), nhs_number=FULLWIDTH))
    assert "active admission" in _refused(r, "nhs_number")


def test_ods_codes_that_are_not_letters_and_digits_are_refused(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
) -> None:
    for code in ("Y1-111", "Y1", "Y\u00df111", "\u2460\u2461"):
        r = client.post("/api/v1/residents", headers=login("staff.a"),
                        json=admission(world.home_a.id, clock.now().date(),
                                       gp_practice_ods=code))
        assert "letters and digits" in _refused(r, "gp_practice_ods"), code


# ---------------------------------------------------------------- 2. implausible values


@pytest.mark.parametrize("number", ["0000000000", "000 000 0000", "0001234560", "5000000005",
                                    "9434765919"])
def test_nhs_numbers_that_cannot_have_been_issued_are_refused(
    number: str, client: TestClient, world: World, clock: FrozenClock,
    login: Callable[[str], Headers], sessions: sessionmaker[Session],
) -> None:
    r = client.post("/api/v1/residents", headers=login("staff.a"),
                    json=admission(world.home_a.id, clock.now().date(), nhs_number=number))
    assert "cannot have been issued" in _refused(r, "nhs_number")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 0


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("date_of_birth", "1800-01-01", "age over 125 years"),
    ("date_of_birth", "0001-01-01", "age over 125 years"),
    ("date_of_birth", "9999-12-31", "future"),
    ("admitted_on", "0001-01-01", "more than 125 years ago"),
    ("admitted_on", "9999-12-31", "future"),
])
def test_implausible_admission_dates_name_the_field(
    field: str, value: str, reason: str, client: TestClient, world: World, clock: FrozenClock,
    login: Callable[[str], Headers],
) -> None:
    body = admission(world.home_a.id, clock.now().date())
    r = client.post("/api/v1/residents", headers=login("staff.a"), json={**body, field: value})
    assert reason in _refused(r, field)


def test_the_oldest_plausible_resident_is_admitted(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
) -> None:
    born = clock.now().date().replace(year=clock.now().year - 125)
    r = client.post("/api/v1/residents", headers=login("staff.a"),
                    json=admission(world.home_a.id, clock.now().date(),
                                   date_of_birth=born.isoformat()))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(("path", "field"), [
    ("hospital-stays", "admitted_on"), ("discharge", "discharged_on"), ("death", "died_on"),
])
def test_residence_change_dates_are_neither_future_nor_ancient(
    path: str, field: str, client: TestClient, clock: FrozenClock,
    login: Callable[[str], Headers], admit: Admit,
) -> None:
    resident_id = admit()["resident"]["id"]
    url = f"/api/v1/residents/{resident_id}/{path}"
    for value, reason in (("0001-01-01", "125 years"), ("1800-01-01", "125 years"),
                          ((clock.now().date() + timedelta(days=1)).isoformat(), "future")):
        r = client.post(url, headers=login("coord"), json={field: value})
        assert reason in _refused(r, field), (path, value)

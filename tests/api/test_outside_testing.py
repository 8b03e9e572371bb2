"""Defects found by outside testers (issue 8): one person admitted three times, implausible NHS
numbers and dates, inputs that answered 500, and the contract the OpenAPI did not describe."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.residents.models import Resident
from care.settings import Settings
from tests.api.conftest import Headers
from tests.conftest import START
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


# ---------------------------------------------------------------- 3. no 500s, and none fatal


@pytest.mark.parametrize("raw", ["1e300", "-1e300", "1e309", "-1e309", "NaN", "Infinity",
                                 "-Infinity", "1e28", "1" + "0" * 400])
def test_absurd_temperatures_are_refused_on_the_field(
    raw: str, client: TestClient, login: Callable[[str], Headers], admit: Admit,
) -> None:
    """1e300 raised decimal.InvalidOperation while rounding to 0.1 °C: a 500. (Python's JSON
    reads NaN, Infinity and 1e309 too, so they are sent as such.)"""
    resident_id = admit()["resident"]["id"]
    r = client.post(f"/api/v1/residents/{resident_id}/observations",
                    headers={**login("staff.a"), "Content-Type": "application/json"},
                    content='{"temperature": ' + raw + '}')
    reason = _refused(r, "temperature")
    assert len(reason) < 200, reason


@pytest.mark.parametrize("taken_at", ["0", "1.5e9", '"2026-11-10T14:00"', '"yesterday"'])
def test_when_observations_were_taken_is_a_date_time_with_its_zone(
    taken_at: str, client: TestClient, login: Callable[[str], Headers], admit: Admit,
) -> None:
    """A bare number was read as seconds since 1970, and a time without a zone as UTC."""
    resident_id = admit()["resident"]["id"]
    r = client.post(f"/api/v1/residents/{resident_id}/observations",
                    headers={**login("staff.a"), "Content-Type": "application/json"},
                    content='{"pulse": 80, "taken_at": ' + taken_at + '}')
    assert "ISO 8601" in _refused(r, "taken_at")


def test_a_huge_page_number_is_an_empty_page_or_a_422_never_a_500(
    client: TestClient, login: Callable[[str], Headers], admit: Admit,
) -> None:
    admit(family_name="Abbott")
    huge = "9223372036854775807"
    coord = login("coord")
    for path, fixed in (("/api/v1/residents", {}), ("/api/v1/steps", {}),
                        ("/api/v1/journeys", {"status": "stalled"})):
        for params in ({"page": huge}, {"page_size": huge}, {"page": "0"}, {"page": "10001"},
                       {"page": "99999999999999999999999"}):
            r = client.get(path, headers=coord, params={**fixed, **params})
            assert r.status_code == 422, (path, params, r.text)
            assert r.json()["errors"][0]["field"] == next(iter(params))
    r = client.get("/api/v1/residents", headers=coord, params={"page": 10_000})
    assert r.status_code == 200 and r.json()["items"] == []


def test_the_service_refuses_pages_beyond_the_bound(
    sessions: sessionmaker[Session], world: World,
) -> None:
    from care.directory.access import load_actor
    from care.errors import InvalidInput
    from care.residents.service import list_residents

    with sessions() as s:
        actor = load_actor(s, world.users["coord"])
        with pytest.raises(InvalidInput) as refused:
            list_residents(s, actor, home_id=None, status=None, search=None,
                           page=9223372036854775807, page_size=50)
        assert refused.value.field == "page"


@pytest.fixture
def served() -> Iterator[str]:
    """The app behind a real HTTP server (uvicorn, as in production), with two test routes:
    one that fails unexpectedly, one that says which client port (connection) called it."""
    app = create_app(AppContext(Settings(mode="demo", secret_key="s" * 48, runner_enabled=False),
                                None, None, FrozenClock(START)))  # type: ignore[arg-type]

    @app.get("/api/v1/test-fails")
    def fails() -> None:
        raise RuntimeError("Ada Abbott, NHS number 999 550 9016")  # must not reach the client

    @app.get("/api/v1/test-connection")
    def connection(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_an_unexpected_error_is_a_500_problem_and_the_connection_stays_open(served: str) -> None:
    with httpx.Client(base_url=served) as http:
        port = http.get("/api/v1/test-connection").json()["port"]
        r = http.get("/api/v1/test-fails")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "something went wrong on our side; nothing was changed"
        assert "Ada" not in r.text and "999" not in r.text
        # The same connection answers the next request (uvicorn used to close it).
        assert http.get("/api/v1/test-connection").json()["port"] == port
        assert r.headers["x-content-type-options"] == "nosniff"  # the security headers too


# ---------------------------------------------------------------- 5. the contract as published


def _schema_app() -> FastAPI:
    return create_app(AppContext(Settings(mode="demo", secret_key="s" * 48, runner_enabled=False),
                                 None, None, FrozenClock(START)))  # type: ignore[arg-type]


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_documents_the_problems_it_can_answer_as_problem_json() -> None:
    """Business-rule 422s, 409s and 404s were answered but not described; errors were described
    as application/json (422 as FastAPI's {detail: [...]}) though sent as problem+json."""
    spec = _schema_app().openapi()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for method, path, operation in _operations(spec):
        statuses = {int(s) for s in operation["responses"]}
        expected = {422, 500}
        if operation.get("security"):
            expected |= {401, 403, 404} | ({400, 409} if method in ("post", "put") else set())
        assert expected <= statuses, (method, path, expected - statuses)
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == problem, (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["ProblemError"]["required"]) == {"field", "reason"}


def test_a_405_names_every_method_of_the_resource(client: TestClient) -> None:
    """RFC 9110 15.5.6: a 405 carries Allow with the resource's methods (GET and POST
    /residents are two routes; Starlette's Allow named only the first)."""
    spec = _schema_app().openapi()
    uuid_ = "00000000-0000-0000-0000-000000000000"
    for path, item in spec["paths"].items():
        url = re.sub(r"\{\w+\}", uuid_, path)
        documented = {m.upper() for m in item}
        for method in ("OPTIONS", "DELETE", "PATCH", "TRACE"):
            if method.lower() in item:
                continue
            r = client.request(method, url)
            assert r.status_code == 405, (method, path, r.status_code)
            assert set(r.headers["allow"].split(", ")) == documented, (method, path)
            assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("value", ["0.5", "0", "1700000000", "2026-11-10", "2026-11-10T17:00:00",
                                   "tomorrow", "\uff12\uff10\uff12\uff16-11-10T17:00:00Z"])
def test_due_before_must_be_an_iso_date_time_with_a_zone(
    value: str, client: TestClient, login: Callable[[str], Headers],
) -> None:
    r = client.get("/api/v1/steps", headers=login("coord"), params={"due_before": value})
    assert "ISO 8601 date-time with a time zone" in _refused(r, "due_before")


def test_due_before_filters_with_any_offset(
    client: TestClient, login: Callable[[str], Headers], admit: Admit,
) -> None:
    admit()  # its assessment is due 11 Nov 2026, 23:59:59 London
    coord = login("coord")
    for value, found in (("2026-11-12T00:00:00Z", 1), ("2026-11-11T23:59:59Z", 0),
                         ("2026-11-12T01:00:00+01:00", 1), ("2026-11-11 12:00z", 0)):
        r = client.get("/api/v1/steps", headers=coord, params={"due_before": value})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == found, value


def test_readmission_dates_are_neither_future_nor_ancient(
    client: TestClient, clock: FrozenClock, login: Callable[[str], Headers], admit: Admit,
) -> None:
    resident_id = admit()["resident"]["id"]
    coord = login("coord")
    today = clock.now().date().isoformat()
    r = client.post(f"/api/v1/residents/{resident_id}/hospital-stays", headers=coord,
                    json={"admitted_on": today})
    assert r.status_code == 200, r.text
    url = f"/api/v1/residents/{resident_id}/readmissions"
    for value, reason in (("0001-01-01", "125 years"),
                          ((clock.now().date() + timedelta(days=1)).isoformat(), "future")):
        r = client.post(url, headers=coord, json={"readmitted_on": value})
        assert reason in _refused(r, "readmitted_on"), value


@pytest.mark.parametrize("value", [0, 86400, "0", "2026-11-02T00:00:00Z", "1940-5-17",
                                   "\uff11\uff19\uff14\uff10-05-17"])
def test_dates_must_be_written_as_dates(
    value: Any, client: TestClient, world: World, clock: FrozenClock,
    login: Callable[[str], Headers], sessions: sessionmaker[Session],
) -> None:
    """pydantic's lax mode read a date of birth of 0 as 1 January 1970."""
    body = {**admission(world.home_a.id, clock.now().date()), "date_of_birth": value}
    r = client.post("/api/v1/residents", headers=login("staff.a"), json=body)
    assert "YYYY-MM-DD" in _refused(r, "date_of_birth")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 0

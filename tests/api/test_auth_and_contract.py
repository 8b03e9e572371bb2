"""Sign-in, tokens, the rate limit, RFC 9457 problem details and the OpenAPI contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.models import LoginAttempt
from care.residents.models import Resident
from tests.api.conftest import Headers, token_for
from tests.factories import PASSWORD, World, admission


def test_token_is_a_signed_expiring_bearer_and_login_is_audited(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "nurse.a", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = client.get("/api/v1/homes",
                    headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert [h["name"] for h in me.json()] == ["Home A"]
    with sessions() as s:
        entry = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
        assert entry.user_id == world.users["nurse.a"].id
        assert entry.role == "mdt_member"
        assert PASSWORD not in str(entry.after) + str(entry.before)


def test_wrong_password_is_401_stored_and_audited_without_the_password(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "nurse.a", "password": "guess-1"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
        entries = s.scalars(select(AuditEvent)).all()
        assert [(e.action, e.entity_id) for e in entries] == [("auth.login_failed", "nurse.a")]
        assert "guess-1" not in repr([(e.before, e.after) for e in entries])


def test_login_is_rate_limited_429_even_with_the_right_password(
    client: TestClient, world: World, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    for i in range(5):
        r = client.post("/api/v1/auth/token", data={"username": "gp.a", "password": f"x{i}"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": "gp.a", "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"]
    assert r.json()["status"] == 429
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 5
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "auth.login_refused")) == 1
    # Other users are unaffected; the window passes and the user may sign in again.
    assert token_for(client, "nurse.a")
    clock.advance(minutes=16)
    assert token_for(client, "gp.a")


def test_401_without_a_token_with_a_bad_one_and_after_expiry(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers]
) -> None:
    r = client.get("/api/v1/steps")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/steps",
                      headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    headers = login("nurse.a")
    assert client.get("/api/v1/steps", headers=headers).status_code == 200
    # Signed with another secret: refused.
    forged = token_for(client, "nurse.a")[:-4] + "AAAA"
    assert client.get("/api/v1/steps",
                      headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    clock.advance(minutes=61)
    r = client.get("/api/v1/steps", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_problem_details_shape_for_an_invalid_nhs_number(
    client: TestClient, world: World, clock: FrozenClock, login: Callable[[str], Headers],
    sessions: sessionmaker[Session],
) -> None:
    body = admission(world.home_a.id, clock.now().date(), nhs_number="999 123 4567")
    r = client.post("/api/v1/residents", headers=login("staff.a"), json=body)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = r.json()
    assert problem["status"] == 422
    assert problem["title"] == "Invalid input"
    assert problem["type"].startswith("https://")
    assert problem["instance"] == "/api/v1/residents"
    assert "nhs_number" in problem["detail"]
    assert problem["errors"] == [{"field": "nhs_number",
                                  "reason": "fails the Modulus 11 check digit"}]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 0


def test_schema_errors_name_each_field(
    client: TestClient, world: World, login: Callable[[str], Headers]
) -> None:
    r = client.post("/api/v1/residents", headers=login("staff.a"),
                    json={"nhs_number": "9991234567", "surname": "x"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"given_name", "family_name", "date_of_birth", "home_id", "admitted_on",
            "surname"} <= fields


EXPECTED = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/residents"),
    ("get", "/api/v1/residents"),
    ("get", "/api/v1/residents/{resident_id}"),
    ("get", "/api/v1/residents/{resident_id}/journey"),
    ("post", "/api/v1/residents/{resident_id}/readmissions"),
    ("post", "/api/v1/residents/{resident_id}/hospital-stays"),
    ("post", "/api/v1/residents/{resident_id}/discharge"),
    ("post", "/api/v1/residents/{resident_id}/death"),
    ("get", "/api/v1/steps"),
    ("get", "/api/v1/steps/{step_id}"),
    ("post", "/api/v1/steps/{step_id}/claim"),
    ("post", "/api/v1/steps/{step_id}/release"),
    ("post", "/api/v1/steps/{step_id}/assign"),
    ("post", "/api/v1/steps/{step_id}/complete"),
    ("get", "/api/v1/journeys"),
    ("post", "/api/v1/journeys/{journey_id}/rerun"),
    ("get", "/api/v1/journeys/{journey_id}/rerun-preview"),
    ("post", "/api/v1/journeys/rerun"),
    ("post", "/api/v1/pathway/migrations"),
    ("get", "/api/v1/notifications"),
    ("post", "/api/v1/notifications/{notification_id}/read"),
    ("get", "/api/v1/homes"),
    ("get", "/api/v1/homes/{home_id}/members"),
}


def test_openapi_lists_every_endpoint_with_typed_responses(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    found = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert found >= EXPECTED
    for method, path in EXPECTED:
        op = spec["paths"][path][method]
        ok = next(op["responses"][c] for c in ("200", "201", "202") if c in op["responses"])
        assert "$ref" in str(ok["content"]["application/json"]["schema"]) or \
            ok["content"]["application/json"]["schema"].get("type") == "array", (method, path)
        if path != "/api/v1/auth/token":
            assert "401" in op["responses"], (method, path)
    complete = spec["paths"]["/api/v1/steps/{step_id}/complete"]["post"]
    assert any(p["name"] == "idempotency-key" and p["in"] == "header"
               for p in complete["parameters"])
    assert client.get("/docs").status_code == 200

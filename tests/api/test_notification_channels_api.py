"""Each person's channel for urgent alerts through the API: set by themselves or an admin,
validated field by field, and only among the channels this service has set up."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.clock import FrozenClock
from care.settings import Settings
from tests import alerts
from tests.api.conftest import Headers
from tests.factories import World


@pytest.fixture
def app(
    world: World, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> FastAPI:
    """Email by SMTP is set up here; text messages are not."""
    configured = alerts.alert_settings(settings, smtp_host="mail.example.nhs.uk")
    return create_app(AppContext(configured, engine, sessions, clock))


def test_a_person_chooses_email_and_reads_it_back(
    client: TestClient, login: Callable[[str], Headers],
) -> None:
    r = client.get("/api/v1/users/me/notification-settings", headers=login("nurse.a"))
    assert r.status_code == 200
    assert r.json()["channel"] == "in_app"
    assert r.json()["available_channels"] == ["in_app", "email"]
    r = client.put("/api/v1/users/me/notification-settings", headers=login("nurse.a"),
                   json={"channel": "email", "email": "nurse.a@nhs.net",
                         "mobile": "+44 7700 900 123"})
    assert r.status_code == 200, r.text
    assert r.json() | {"user_id": ""} == {
        "user_id": "", "channel": "email", "email": "nurse.a@nhs.net",
        "mobile": "+447700900123", "available_channels": ["in_app", "email"]}
    again = client.get("/api/v1/users/me/notification-settings", headers=login("nurse.a"))
    assert again.json()["email"] == "nurse.a@nhs.net"


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"channel": "email", "email": "nurse@"}, "email", "in the right format"),
    ({"channel": "email"}, "email", "enter the email address"),
    ({"channel": "sms", "mobile": "07700 900123"}, "channel", "not set up on this service"),
    ({"channel": "in_app", "mobile": "020 7946 0000"}, "mobile", "not a landline"),
    ({"channel": "in_app", "mobile": "call me"}, "mobile", "like 07700 900123"),
    ({"channel": "pager"}, "channel", "'in_app', 'email' or 'sms'"),
])
def test_unusable_details_are_refused_with_the_field_and_the_reason(
    client: TestClient, login: Callable[[str], Headers], body: dict[str, str], field: str,
    reason: str,
) -> None:
    r = client.put("/api/v1/users/me/notification-settings", headers=login("nurse.a"),
                   json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    (error,) = r.json()["errors"]
    assert error["field"] == field and reason in error["reason"]


def test_an_admin_sets_anyone_in_their_pcn_and_nobody_else_can(
    client: TestClient, login: Callable[[str], Headers], world: World,
) -> None:
    nurse = world.users["nurse.a"].id
    r = client.put(f"/api/v1/users/{nurse}/notification-settings", headers=login("admin"),
                   json={"channel": "email", "email": "nurse.a@nhs.net"})
    assert r.status_code == 200 and r.json()["user_id"] == str(nurse)
    # The nurse is told that someone else changed where their urgent alerts go.
    told = client.get("/api/v1/notifications", headers=login("nurse.a")).json()
    items = told["items"] if isinstance(told, dict) else told
    assert any("changed how you are told about urgent work" in n["message"] for n in items)
    # Someone else's settings do not exist for a colleague, even a clinical lead.
    for username in ("lead", "gp.a"):
        r = client.get(f"/api/v1/users/{nurse}/notification-settings", headers=login(username))
        assert r.status_code == 404
    assert client.get("/api/v1/users/not-a-user/notification-settings",
                      headers=login("admin")).status_code == 404


def test_delivery_problems_are_for_those_who_oversee_the_homes(
    client: TestClient, login: Callable[[str], Headers],
) -> None:
    assert client.get("/api/v1/notification-deliveries", headers=login("lead")).json() == []
    r = client.get("/api/v1/notification-deliveries", headers=login("staff.a"))
    assert r.status_code == 403

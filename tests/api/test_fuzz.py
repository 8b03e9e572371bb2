"""Property-based fuzzing of /api/v1 against its own OpenAPI document (schemathesis).

Every operation in the published schema gets generated requests, valid and invalid, in a world
with admitted residents in both homes. Whatever is sent, the API must never answer 5xx, must
answer only the statuses and content types it documents, with bodies matching the documented
models, and every 4xx must be RFC 9457 problem details (``api/problems.py``).

Generated values are random, so ids, dates and forms would almost never be ones the API can
accept: hooks below swap in values that exist in the test world (ids of residents, steps, homes
and users; today's date; valid NHS numbers and outcome forms) for part of the examples, so the
success paths and their response bodies are checked too, not only the 404/422 branches.

Reproducible: a fixed seed, Hypothesis derandomised, no example database; small budgets
(``CAREJOURNEY_FUZZ_EXAMPLES`` raises the examples per operation, e.g. for a nightly run).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from api.context import AppContext
from api.problems import PROBLEM_JSON
from care.clock import FrozenClock
from care.demo import synthetic_nhs_number
from care.settings import Settings
from tests.api.conftest import Headers
from tests.conftest import START
from tests.factories import ASSESSMENT, PASSWORD, PCSP, World

MAX_EXAMPLES = int(os.environ.get("CAREJOURNEY_FUZZ_EXAMPLES", "25"))
SEED = 20261102

FUZZ_CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {
        # Valid and invalid data: invalid input must be a 4xx problem, never a 500.
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "database": "none",
    },
    "phases": {"stateful": {"enabled": False}},
})

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    # The world is built once per operation (function-scoped fixtures) on purpose: every
    # example of an operation shares it, and the next operation starts clean.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- the schema

# The schema is the one the app serves, read at import time from an app with no database behind
# it (the OpenAPI route never touches one). Each test calls its own app, on the test database,
# through `call_and_validate(app=...)`. (schemathesis' `from_fixture` would load it from a
# fixture instead, but it uses a pytest internal, `Function._nodeid`, that pytest 9.2 dropped.)
_SCHEMA_APP = create_app(AppContext(
    Settings(mode="demo", secret_key="s" * 48, runner_enabled=False),
    None, None, FrozenClock(START),  # type: ignore[arg-type]
))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _SCHEMA_APP, config=FUZZ_CONFIG)

# Values the current test's world accepts, by parameter or body field name (set by `realistic`).
_REAL: dict[str, list[Any]] = {}


def _mixed(values: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Mostly a value from the world in place of each generated one we know a real value for;
    the generated value stays possible (and is last, so shrinking prefers the real ones)."""
    if not isinstance(values, dict) or not values:
        return st.just(values)
    choices: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in values.items():
        real = _REAL.get(name)
        choices[name] = st.sampled_from([*real, *real, value]) if real else st.just(value)
    return st.fixed_dictionaries(choices)


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[Any]:
    return _mixed(path_parameters)


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy[Any]:
    return _mixed(query)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    return _mixed(body)


# ---------------------------------------------------------------- the world


@pytest.fixture
def realistic(
    admit: Callable[..., dict[str, Any]], world: World, login: Callable[[str], Headers],
    client: TestClient,
) -> Iterator[dict[str, list[Any]]]:
    """Residents admitted in both homes (one in hospital, one with its step taken by nurse.a,
    so returning and releasing can succeed too), this week's home rounds, and the values the
    hooks may swap in."""
    admitted = [admit(), admit(), admit("coord", home="b"), admit("coord", home="b")]
    today = START.date().isoformat()
    r = client.post(f"/api/v1/residents/{admitted[1]['resident']['id']}/hospital-stays",
                    headers=login("coord"), json={"admitted_on": today})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/steps/{admitted[0]['steps'][0]['id']}/claim",
                    headers=login("nurse.a"))
    assert r.status_code == 200, r.text
    # This week's rounds (their preparation window is open at START): home A's agenda has a
    # resident to decide about; home B's is emptied, so closing it records a check-in.
    rounds: dict[Any, dict[str, Any]] = {}
    for home in (world.home_a, world.home_b):
        r = client.post(f"/api/v1/homes/{home.id}/rounds/prepare", headers=login("coord"))
        assert r.status_code == 200, r.text
        rounds[home.id] = r.json()
    for item in rounds[world.home_b.id]["agenda"]:
        r = client.post(f"/api/v1/rounds/{rounds[world.home_b.id]['id']}/agenda/{item['id']}"
                        "/remove", headers=login("coord"), json={"reason": "seen yesterday"})
        assert r.status_code == 200, r.text
    rng = random.Random(SEED)
    _REAL.update({
        "resident_id": [a["resident"]["id"] for a in admitted],
        "journey_id": [a["journey"]["id"] for a in admitted],
        "step_id": [s["id"] for a in admitted for s in a["steps"]],
        "home_id": [str(world.home_a.id), str(world.home_b.id)],
        "notification_id": [n["id"] for n in client.get(
            "/api/v1/notifications", headers=login("coord")).json()["items"]],
        "assignee_id": [str(world.users[u].id) for u in ("nurse.a", "gp.a", "nurse.b")],
        "nhs_number": [synthetic_nhs_number(rng) for _ in range(3)],
        "date_of_birth": ["1940-05-17"],
        "admitted_on": [today], "readmitted_on": [today],
        "discharged_on": [today], "died_on": [today],
        "outcome": [ASSESSMENT, PCSP],
        "username": ["coord", "nurse.a"], "password": [PASSWORD],
        "round_id": [r["id"] for r in rounds.values()],
        "item_id": [i["id"] for r in rounds.values() for i in r["agenda"]],
        "clinician_id": [str(world.users["gp.a"].id)],
        "attendee_ids": [[str(world.users[u].id) for u in ("lead", "coord")]],
        "by_date": [today],
    })
    yield _REAL
    _REAL.clear()


# Who calls each operation: a coordinator serving both homes, except where only another role
# gets past the role check (clinical steps are done by MDT members; re-runs by admins).
USERS = {
    "POST /api/v1/steps/{step_id}/claim": "nurse.a",
    "POST /api/v1/steps/{step_id}/release": "nurse.a",
    "POST /api/v1/steps/{step_id}/complete": "nurse.a",
    "POST /api/v1/journeys/{journey_id}/rerun": "admin",
    "POST /api/v1/journeys/rerun": "admin",
    "POST /api/v1/pathway/migrations": "lead",
}

# ---------------------------------------------------------------- checks


def problem_details_on_4xx(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every client error is RFC 9457 problem details (the contract, api/problems.py)."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{response.status_code} answered with {content_type!r}, not {PROBLEM_JSON}"
    )
    body = json.loads(response.content)
    missing = [k for k in ("status", "title", "detail") if k not in body]
    assert not missing, f"problem details without {missing}: {body}"
    assert body["status"] == response.status_code, body
    return True


def allow_names_every_method(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 405 (the coverage phase sends undocumented methods) lists in ``Allow`` every method
    the path documents (RFC 9110 15.5.6), not just one route's."""
    if response.status_code != 405:
        return None
    allow = (response.headers.get("allow") or [""])[0]
    documented = {m.upper() for m in schema.raw_schema["paths"][case.operation.path]}
    assert set(filter(None, allow.split(", "))) == documented, (
        f"405 with Allow: {allow!r}; the path documents {sorted(documented)}")
    return True


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
    problem_details_on_4xx,
    allow_names_every_method,
]

# ---------------------------------------------------------------- the tests


@schema.exclude(path="/api/v1/auth/token").parametrize()
@FUZZ_SETTINGS
def test_api(
    case: schemathesis.Case, app: FastAPI, realistic: dict[str, list[Any]],
    login: Callable[[str], Headers],
) -> None:
    headers = login(USERS.get(case.operation.label, "coord"))
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


@schema.include(path="/api/v1/auth/token").parametrize()
@FUZZ_SETTINGS
def test_sign_in(case: schemathesis.Case, app: FastAPI, realistic: dict[str, list[Any]]) -> None:
    # Failed sign-ins count per username, so the real usernames reach the documented 429 too.
    case.call_and_validate(app=app, checks=CHECKS)


# ---------------------------------------------------------------- what fuzzing turned up

NUL = "a\x00b"


def test_nul_in_text_is_invalid_input_not_a_server_error(
    app: FastAPI, realistic: dict[str, list[Any]], login: Callable[[str], Headers],
) -> None:
    """PostgreSQL text and jsonb cannot hold U+0000: every free-text input refuses it (422)
    before it reaches the database (it used to be a 500 from psycopg)."""
    today = START.date().isoformat()
    coord, nurse = login("coord"), login("nurse.a")
    resident_id = realistic["resident_id"][0]
    step_id = realistic["step_id"][0]  # claimed by nurse.a
    round_id, item_id = realistic["round_id"][0], realistic["item_id"][0]  # home A's
    admission = {"nhs_number": realistic["nhs_number"][0], "given_name": NUL,
                 "family_name": "Test", "date_of_birth": "1940-05-17",
                 "home_id": realistic["home_id"][0], "admitted_on": today,
                 "gp_practice_ods": "Y11111", "gp_practice_name": "Test Surgery"}
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/residents", {"params": {"q": NUL}, "headers": coord}),
        ("POST", "/api/v1/residents", {"json": admission, "headers": coord}),
        ("POST", "/api/v1/residents", {"json": {**admission, "given_name": "T", "room": NUL},
                                       "headers": coord}),
        ("POST", f"/api/v1/residents/{resident_id}/hospital-stays",
         {"json": {"admitted_on": today, "note": NUL}, "headers": coord}),
        ("POST", f"/api/v1/residents/{resident_id}/discharge",
         {"json": {"discharged_on": today, "destination": NUL}, "headers": coord}),
        ("POST", f"/api/v1/residents/{resident_id}/death",
         {"json": {"died_on": today, "place_of_death": NUL}, "headers": coord}),
        ("POST", f"/api/v1/steps/{step_id}/complete",
         {"json": {"outcome": {**ASSESSMENT, "physical": NUL}}, "headers": nurse}),
        ("POST", f"/api/v1/steps/{step_id}/complete",
         {"json": {"outcome": {**ASSESSMENT, "contributors": [NUL]}}, "headers": nurse}),
        ("POST", "/api/v1/auth/token", {"data": {"username": NUL, "password": "x"}}),
        ("POST", "/api/v1/nominations",
         {"json": {"resident_id": resident_id, "reason": NUL}, "headers": coord}),
        ("POST", f"/api/v1/rounds/{round_id}/agenda",
         {"json": {"resident_id": resident_id, "reason": NUL}, "headers": coord}),
        ("POST", f"/api/v1/rounds/{round_id}/agenda/{item_id}/decision",
         {"json": {"response": "maintain", "notes": NUL}, "headers": coord}),
        ("POST", f"/api/v1/rounds/{round_id}/close", {"json": {"notes": NUL},
                                                      "headers": coord}),
    ]
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, url, kwargs in calls:
            r = client.request(method, url, **kwargs)
            assert r.status_code == 422, (method, url, r.status_code, r.text)
            assert r.headers["content-type"] == PROBLEM_JSON
            assert r.json()["errors"], r.text

"""Admins heal with a preview (one journey or a selection) and move journeys to another
pathway version, through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.journeys.models import Journey, JourneyEvent, OutboxMessage, Step, StepStatus
from tests.api.conftest import complete_with_fast_path_down
from tests.factories import ASSESSMENT, World
from tests.pathway_trial import RECONCILE, trial_pathway

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], dict[str, str]]


def _crash_after_assessment(client: TestClient, admitted: dict[str, Any], login: Login,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Complete the assessment while the fast path is down: the PCSP never opens."""
    r = complete_with_fast_path_down(client, admitted["steps"][0]["id"], login("nurse.a"),
                                     ASSESSMENT, monkeypatch)
    assert r.status_code == 200, r.text


def test_rerun_preview_then_rerun_with_a_reason(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crashed = admit()
    _crash_after_assessment(client, crashed, login, monkeypatch)
    journey_id = crashed["journey"]["id"]
    admin = login("admin")
    r = client.get(f"/api/v1/journeys/{journey_id}/rerun-preview", headers=admin)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["would_open"] == [AssessmentStep.PCSP]
    assert (preview["stage_from"], preview["stage_to"]) == ("assessment", "care_planning")
    assert any("never opened" in w for w in preview["waiting"])
    with sessions() as s:  # the preview wrote nothing
        assert s.scalar(select(func.count()).select_from(Step).where(
            Step.kind == AssessmentStep.PCSP)) == 0
    assert client.get(f"/api/v1/journeys/{journey_id}/rerun-preview",
                      headers=login("nurse.a")).status_code == 403

    r = client.post(f"/api/v1/journeys/{journey_id}/rerun", headers=admin,
                    json={"reason": "runner was down overnight"})
    assert r.status_code == 202, r.text
    with sessions() as s:
        event = s.scalars(select(JourneyEvent).where(
            JourneyEvent.kind == "journey.rerun_requested")).one()
        assert event.summary.endswith(": runner was down overnight")
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "journey.rerun")).one()
        assert audit.after == {"reason": "runner was down overnight"}
    for bad in ({"reason": ""}, {"reason": "x" * 501}, {"why": "no such field"}):
        assert client.post(f"/api/v1/journeys/{journey_id}/rerun", headers=admin,
                           json=bad).status_code == 422


def test_bulk_rerun_runs_each_journey_alone_and_reports_the_one_that_fails(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch, world: World,
) -> None:
    first, second = admit(), admit()
    for admitted in (first, second):
        _crash_after_assessment(client, admitted, login, monkeypatch)
    ids = [first["journey"]["id"], "00000000-0000-0000-0000-000000000000",
           second["journey"]["id"]]
    r = client.post("/api/v1/journeys/rerun", headers=login("admin"),
                    json={"journey_ids": ids, "reason": "heal after the outage"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rerun"], body["failed"]) == (2, 1)
    assert [item["ok"] for item in body["results"]] == [True, False, True]
    assert body["results"][1]["error"] == "journey not found"
    with sessions() as s:
        queued = s.scalars(select(OutboxMessage.journey_id).where(
            OutboxMessage.reason == "rerun", OutboxMessage.processed_at.is_(None))).all()
        assert {str(j) for j in queued} == {ids[0], ids[2]}
    assert client.post("/api/v1/journeys/rerun", headers=login("coord"),
                       json={"journey_ids": ids[:1], "reason": "x"}).status_code == 403
    assert client.post("/api/v1/journeys/rerun", headers=login("admin"),
                       json={"journey_ids": [], "reason": "x"}).status_code == 422


def test_migrating_through_the_api_dry_run_then_apply(
    client: TestClient, admit: Admit, login: Login, sessions: sessionmaker[Session],
    world: World,
) -> None:
    planning = admit()
    r = client.post(f"/api/v1/steps/{planning['steps'][0]['id']}/complete",
                    headers=login("nurse.a"), json={"outcome": ASSESSMENT})
    assert r.status_code == 200
    other = admit()
    lead = login("lead")
    body = {"version": 2, "reason": "Pilot in home A", "journey_ids": [planning["journey"]["id"]]}
    with trial_pathway():
        r = client.post("/api/v1/pathway/migrations", headers=lead, json=body)
        assert r.status_code == 200, r.text
        dry = r.json()
        assert dry["dry_run"] is True and dry["id"] is None
        [change] = dry["changes"]
        assert change["opens"] == [RECONCILE] and change["from_version"] == 1
        with sessions() as s:
            assert {j.pathway_version for j in s.scalars(select(Journey))} == {1}
        assert client.post("/api/v1/pathway/migrations", headers=login("coord"),
                           json=body).status_code == 403
        assert client.post("/api/v1/pathway/migrations", headers=lead,
                           json={**body, "version": 3}).status_code == 422
        r = client.post("/api/v1/pathway/migrations", headers=lead,
                        json={**body, "dry_run": False})
        assert r.status_code == 200, r.text
        applied = r.json()
        assert applied["id"] and applied["changes"] == dry["changes"] and applied["failed"] == []
        with sessions() as s:
            versions = {str(j.id): j.pathway_version for j in s.scalars(select(Journey))}
            assert versions == {planning["journey"]["id"]: 2, other["journey"]["id"]: 1}
            assert s.scalars(select(Step).where(Step.kind == RECONCILE)).one().status \
                == StepStatus.READY
        journey = client.get(f"/api/v1/residents/{planning['resident']['id']}/journey",
                             headers=lead).json()
        assert (journey["pathway"], journey["pathway_version"]) == ("ehch", 2)

"""The home-round API: a home driven through its round over HTTP with the injected clock.
Home A's round is Tuesdays 10:00; its preparation window opens two days before. Each test
checks the rows the calls wrote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.models import CarePlan
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.models import User
from care.journeys.models import Step, StepStatus
from care.rounds.kinds import HOME_ROUND, RoundStep
from care.rounds.models import (
    AgendaDecision,
    AgendaItem,
    HomeRound,
    Nomination,
    ResidentEvent,
    ResidentEventKind,
    RoundAttendance,
    RoundStatus,
)
from care.types import Profession, Role
from tests.api.conftest import Headers
from tests.factories import ASSESSMENT, PCSP, World, admission, make_user

Admit = Callable[..., dict[str, Any]]
Login = Callable[[str], Headers]

THURSDAY = datetime.fromisoformat("2026-11-05T09:00:00+00:00")
SUNDAY = datetime.fromisoformat("2026-11-08T10:30:00+00:00")   # window of Tue 10 Nov is open
TUESDAY = datetime.fromisoformat("2026-11-10T09:00:00+00:00")   # the MDT meets before the round
API = "/api/v1"


def _count(s: Session, model: type[Any], *where: Any) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture(autouse=True)
def _sunday(clock: FrozenClock) -> None:
    clock.set(SUNDAY)


@pytest.fixture
def dietitian(world: World, sessions: sessionmaker[Session]) -> User:
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "dietitian.a", Role.MDT_MEMBER, Profession.DIETITIAN,
                         [world.home_a])


@pytest.fixture
def staff_b(world: World, sessions: sessionmaker[Session]) -> User:
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "staff.b", Role.CARE_HOME_STAFF,
                         Profession.CARE_HOME_STAFF, [world.home_b], representative=True)


@pytest.fixture
def settled(
    client: TestClient, world: World, login: Login, sessions: sessionmaker[Session],
    clock: FrozenClock,
) -> Callable[[], str]:
    """A resident the rules do not select: assessed and planned through the API, seen at a
    round and given a medication review last week (recorded directly: no API writes those)."""

    def _settled() -> str:
        r = client.post(f"{API}/residents", headers=login("staff.a"),
                        json=admission(world.home_a.id, date(2026, 8, 1)))
        assert r.status_code == 201, r.text
        admitted = r.json()
        nurse = login("nurse.a")
        step_id = admitted["steps"][0]["id"]
        for outcome in (ASSESSMENT, PCSP):
            assert client.post(f"{API}/steps/{step_id}/claim", headers=nurse).status_code == 200
            r = client.post(f"{API}/steps/{step_id}/complete", headers=nurse,
                            json={"outcome": outcome})
            assert r.status_code == 200, r.text
            step_id = next((s["id"] for s in r.json()["open_steps"]), None)
        resident_id: str = admitted["resident"]["id"]
        with sessions() as s, s.begin():
            for kind in (ResidentEventKind.ROUND_REVIEW, ResidentEventKind.SMR):
                s.add(ResidentEvent(resident_id=resident_id, kind=kind,
                                    on=clock.now().date() - timedelta(days=7),
                                    data={"medicines_count": 4}, created_at=clock.now()))
        return resident_id

    return _settled


def _prepare(client: TestClient, login: Login, world: World, who: str = "coord",
             ) -> dict[str, Any]:
    r = client.post(f"{API}/homes/{world.home_a.id}/rounds/prepare", headers=login(who))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _items(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["resident"]["id"]: i for i in body["agenda"]}


def test_prepare_opens_the_round_with_a_reasoned_agenda_only_in_its_window(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    clock.set(THURSDAY)
    r = client.post(f"{API}/homes/{world.home_a.id}/rounds/prepare", headers=login("coord"))
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert "Tue 10 Nov 10:00" in r.json()["detail"]
    clock.set(SUNDAY)
    new = admit()["resident"]["id"]
    r = client.post(f"{API}/homes/{world.home_a.id}/rounds/prepare", headers=login("staff.a"))
    assert r.status_code == 403
    body = _prepare(client, login, world)
    assert body["status"] == "preparing" and body["week"] == "2026-W46"
    assert body["scheduled_at"] == "2026-11-10T10:00:00Z"
    assert body["home_name"] == "Home A" and body["attendance"] == []
    item = _items(body)[new]
    assert [r["reason"] for r in item["reasons"]] == ["not_assessed", "smr_due"]
    assert all(r["text"] and r["score"] > 0 for r in item["reasons"])
    assert item["source"] == "rules" and item["decision"] is None and item["removed"] is None
    again = _prepare(client, login, world, who="lead")
    assert again["id"] == body["id"]
    with sessions() as s:
        rnd = s.scalars(select(HomeRound)).one()
        assert rnd.status == RoundStatus.PREPARING and str(rnd.id) == body["id"]
        prepare = s.scalars(select(Step).where(Step.kind == RoundStep.PREPARE_ROUND)).one()
        assert prepare.context_of(HOME_ROUND) == rnd.id and prepare.status == StepStatus.READY
        assert _count(s, AgendaItem) == 1
        assert _count(s, AuditEvent, AuditEvent.action == "round.prepare") == 2
    history = client.get(f"{API}/homes/{world.home_a.id}/rounds", headers=login("staff.a"))
    assert history.status_code == 200
    assert [(h["id"], h["status"], h["agenda_size"], h["counted"]) for h in history.json()] == [
        (body["id"], "preparing", 1, False)]


def test_staff_nominate_and_the_mdt_shapes_the_agenda(
    client: TestClient, world: World, admit: Admit, login: Login,
    settled: Callable[[], str], sessions: sessionmaker[Session],
) -> None:
    worried, quiet = settled(), settled()
    body = _prepare(client, login, world)
    round_id = body["id"]
    assert body["agenda"] == []
    staff = login("staff.a")
    r = client.post(f"{API}/nominations", headers=staff, json={
        "resident_id": worried, "reason": "eating less this week", "by_family": True,
        "fall": True})
    assert r.status_code == 201, r.text
    nomination = r.json()
    assert nomination["round_id"] == round_id and nomination["by_family"] is True
    assert nomination["nominated_by"]["id"] == str(world.users["staff.a"].id)
    r = client.get(f"{API}/rounds/{round_id}", headers=login("gp.a"))
    item = _items(r.json())[worried]
    texts = [x["text"] for x in item["reasons"]]
    assert "Family (through staff): eating less this week" in texts
    assert "1 fall in the last 14 days" in texts
    assert item["source"] == "nomination"
    open_ = client.get(f"{API}/homes/{world.home_a.id}/nominations", headers=staff)
    assert [n["id"] for n in open_.json()] == [nomination["id"]]
    # The MDT adds and removes with a reason; admins neither nominate nor shape the agenda
    # (care-home staff nominate only: test_care_home_staff_nominate_but_do_not_run_the_meeting).
    for path in ("/nominations", f"/rounds/{round_id}/agenda"):
        r = client.post(API + path, headers=login("admin"),
                        json={"resident_id": quiet, "reason": "x"})
        assert r.status_code == 403, path
    r = client.post(f"{API}/rounds/{round_id}/agenda", headers=login("gp.a"),
                    json={"resident_id": quiet, "reason": "weight loss"})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["source"] == "mdt" and added["reasons"][0]["reason"] == "mdt_added"
    assert "weight loss" in added["reasons"][0]["text"]
    r = client.post(f"{API}/rounds/{round_id}/agenda/{added['id']}/remove",
                    headers=login("lead"), json={"reason": "seen by the GP yesterday"})
    assert r.status_code == 200, r.text
    assert r.json()["removed"]["reason"] == "seen by the GP yesterday"
    assert r.json()["removed"]["by"]["id"] == str(world.users["lead"].id)
    r = client.get(f"{API}/rounds/{round_id}", headers=staff)
    assert r.json()["agenda_size"] == 1
    assert [i["removed"] is not None for i in r.json()["agenda"]] == [False, True]
    with sessions() as s:
        row = s.scalars(select(Nomination)).one()
        assert str(row.round_id) == round_id and row.reason == "eating less this week"
        assert _count(s, ResidentEvent, ResidentEvent.kind == ResidentEventKind.FALL) == 1
        assert s.scalars(select(AgendaItem).where(AgendaItem.removed_at.is_not(None))
                         ).one().removed_reason == "seen by the GP yesterday"
        actions = set(s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("round.%") | AuditEvent.action.like("nomination.%"))))
        assert {"round.nominate", "round.agenda_add", "round.agenda_remove", "round.view",
                "nomination.list"} <= actions


def test_decisions_open_review_and_referral_steps_and_the_round_is_held(
    client: TestClient, world: World, clock: FrozenClock, admit: Admit, login: Login,
    settled: Callable[[], str], dietitian: User, sessions: sessionmaker[Session],
) -> None:
    new = admit()["resident"]["id"]
    thin = settled()
    round_id = _prepare(client, login, world)["id"]
    r = client.post(f"{API}/rounds/{round_id}/agenda", headers=login("lead"),
                    json={"resident_id": thin, "reason": "weight loss"})
    assert r.status_code == 201
    clock.set(TUESDAY)
    lead, staff = login("lead"), login("staff.a")
    users = world.users
    r = client.post(f"{API}/rounds/{round_id}/attendance", headers=lead, json={
        "attendee_ids": [str(users[u].id) for u in ("lead", "staff.a", "gp.a")]})
    assert r.status_code == 200, r.text
    reps = {a["user"]["id"]: a["home_representative"] for a in r.json()["attendance"]}
    assert reps == {str(users["lead"].id): False, str(users["staff.a"].id): True,
                    str(users["gp.a"].id): False}
    items = _items(client.get(f"{API}/rounds/{round_id}", headers=lead).json())
    decide = f"{API}/rounds/{round_id}/agenda/{{}}/decision"
    # Care-home staff advise; the MDT decides.
    r = client.post(decide.format(items[new]["id"]), headers=staff,
                    json={"response": "maintain"})
    assert r.status_code == 403
    r = client.post(f"{API}/rounds/{round_id}/close", headers=lead, json={})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {f"agenda.{items[k]['id']}"
                                                        for k in (new, thin)}
    r = client.post(decide.format(items[new]["id"]), headers=lead, json={
        "response": "clinical_input", "clinician_id": str(users["gp.a"].id),
        "by_date": "2026-11-10", "notes": "see today"})
    assert r.status_code == 201, r.text
    review = r.json()["step"]
    assert review["kind"] == "clinical_review" and review["status"] == "claimed"
    assert review["assignee"]["id"] == str(users["gp.a"].id)
    assert r.json()["decision"]["clinician"]["id"] == str(users["gp.a"].id)
    r = client.post(decide.format(items[thin]["id"]), headers=lead, json={
        "response": "referral", "referral_to": "dietitian", "by_date": "2026-11-17",
        "plan_change": "Fortified diet and weekly weights"})
    assert r.status_code == 201, r.text
    referral = r.json()["step"]
    assert referral["kind"] == "referral" and referral["candidate_profession"] == "dietitian"
    assert referral["assignee"] is None and referral["resident"]["id"] == thin
    assert client.post(decide.format(items[thin]["id"]), headers=lead,
                       json={"response": "maintain"}).status_code == 409
    # The referral is in the dietitian's work list; a nurse may not take it.
    work = client.get(f"{API}/steps", headers=login("dietitian.a"),
                      params={"kind": "referral", "status": "open"})
    assert [s["id"] for s in work.json()["items"]] == [referral["id"]]
    r = client.post(f"{API}/steps/{referral['id']}/claim", headers=login("nurse.a"))
    assert r.status_code == 403
    r = client.post(f"{API}/steps/{referral['id']}/claim", headers=login("dietitian.a"))
    assert r.status_code == 200
    r = client.post(f"{API}/rounds/{round_id}/close", headers=lead,
                    json={"notes": "all seen"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "held" and r.json()["counted"] is True
    assert r.json()["completed_by"]["id"] == str(users["lead"].id)
    assert client.post(f"{API}/rounds/{round_id}/close", headers=lead,
                       json={}).status_code == 409
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.HELD and rnd.notes == "all seen"
        assert _count(s, RoundAttendance, RoundAttendance.round_id == rnd.id) == 3
        assert _count(s, AgendaDecision) == 2
        step = s.get(Step, review["id"])
        assert step is not None and step.kind == RoundStep.CLINICAL_REVIEW
        assert step.assignee_id == users["gp.a"].id and str(step.resident_id) == new
        step = s.get(Step, referral["id"])
        assert step is not None and step.assignee_id == dietitian.id
        assert step.candidate_profession == "dietitian"
        plans = s.scalars(select(CarePlan).where(CarePlan.resident_id == thin)
                          .order_by(CarePlan.version)).all()
        assert [p.version for p in plans] == [1, 2]
        prepare = s.scalars(select(Step).where(Step.kind == RoundStep.PREPARE_ROUND)).one()
        assert prepare.status == StepStatus.CANCELLED
        assert _count(s, AuditEvent, AuditEvent.action == "round.decision") == 2
        assert _count(s, AuditEvent, AuditEvent.action == "round.close") == 1
    history = client.get(f"{API}/homes/{world.home_a.id}/rounds", headers=staff).json()
    assert [(h["status"], h["agenda_size"]) for h in history] == [("held", 2)]


def test_a_week_with_nobody_prioritised_is_a_check_in(
    client: TestClient, world: World, login: Login, settled: Callable[[], str],
    sessions: sessionmaker[Session],
) -> None:
    settled()
    round_id = _prepare(client, login, world)["id"]
    r = client.post(f"{API}/rounds/{round_id}/close", headers=login("nurse.a"),
                    json={"notes": "nobody needed review"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "check_in" and r.json()["agenda"] == []
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.CHECK_IN
    history = client.get(f"{API}/homes/{world.home_a.id}/rounds", headers=login("coord"))
    assert [(h["status"], h["counted"]) for h in history.json()] == [("check_in", True)]


def test_other_homes_rounds_do_not_exist_for_you(
    client: TestClient, world: World, admit: Admit, login: Login, staff_b: User,
    sessions: sessionmaker[Session],
) -> None:
    resident = admit()["resident"]["id"]
    body = _prepare(client, login, world)
    round_id, item_id = body["id"], body["agenda"][0]["id"]
    r = client.post(f"{API}/homes/{world.home_b.id}/rounds/prepare", headers=login("coord"))
    b_item = r.json()["agenda"]  # home B has nobody: a check-in to be
    assert b_item == []
    outsider_calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/rounds/{round_id}", None),
        ("GET", f"/homes/{world.home_a.id}/rounds", None),
        ("GET", f"/homes/{world.home_a.id}/nominations", None),
        ("POST", f"/homes/{world.home_a.id}/rounds/prepare", None),
        ("POST", "/nominations", {"resident_id": resident, "reason": "worried"}),
        ("POST", f"/rounds/{round_id}/agenda", {"resident_id": resident, "reason": "x"}),
        ("POST", f"/rounds/{round_id}/agenda/{item_id}/remove", {"reason": "x"}),
        ("POST", f"/rounds/{round_id}/attendance",
         {"attendee_ids": [str(world.users["nurse.b"].id)]}),
        ("POST", f"/rounds/{round_id}/agenda/{item_id}/decision", {"response": "maintain"}),
        ("POST", f"/rounds/{round_id}/close", {}),
    ]
    for username in ("staff.b", "nurse.b"):
        for method, path, json in outsider_calls:
            r = client.request(method, API + path, headers=login(username), json=json)
            assert r.status_code == 404, (username, method, path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
    # An item is only reachable through its own round.
    other = client.get(f"{API}/homes/{world.home_b.id}/rounds", headers=login("coord")).json()
    r = client.post(f"{API}/rounds/{other[0]['id']}/agenda/{item_id}/decision",
                    headers=login("lead"), json={"response": "maintain"})
    assert r.status_code == 404
    with sessions() as s:
        assert _count(s, Nomination) == 0 and _count(s, AgendaDecision) == 0
        assert _count(s, RoundAttendance) == 0
        assert s.get(HomeRound, round_id).status == RoundStatus.PREPARING  # type: ignore[union-attr]


def test_invalid_decisions_and_attendance_are_refused_with_the_field(
    client: TestClient, world: World, admit: Admit, login: Login,
    sessions: sessionmaker[Session],
) -> None:
    admit()
    body = _prepare(client, login, world)
    round_id, item_id = body["id"], body["agenda"][0]["id"]
    lead = login("lead")
    decide = f"{API}/rounds/{round_id}/agenda/{item_id}/decision"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"response": "referral", "referral_to": "gp", "by_date": "2026-11-17"}, "body"),
        ({"response": "clinical_input", "clinician_id": str(world.users["staff.a"].id),
          "by_date": "2026-11-17"}, "clinician_id"),
        ({"response": "maintain", "clinician_id": str(world.users["nurse.b"].id)},
         "clinician_id"),
        ({"response": "clinical_input", "clinician_id": str(world.users["gp.a"].id),
          "by_date": "2026-11-01"}, "by_date"),
        ({"response": "maintain", "surprise": 1}, "surprise"),
    ]
    for data, field in cases:
        r = client.post(decide, headers=lead, json=data)
        assert r.status_code == 422, (data, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], r.text
    r = client.post(f"{API}/rounds/{round_id}/attendance", headers=lead,
                    json={"attendee_ids": [str(world.users["nurse.b"].id)]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "attendee_ids"
    with sessions() as s:
        assert _count(s, AgendaDecision) == 0 and _count(s, RoundAttendance) == 0


def test_the_prepare_step_is_completed_through_the_api(
    client: TestClient, world: World, login: Login, sessions: sessionmaker[Session],
) -> None:
    _prepare(client, login, world)
    nurse = login("nurse.a")
    listed = client.get(f"{API}/steps", headers=nurse,
                        params={"kind": "prepare_round", "status": "open"}).json()["items"]
    assert len(listed) == 1 and listed[0]["resident"] is None and listed[0]["journey_id"] is None
    step_id = listed[0]["id"]
    assert client.post(f"{API}/steps/{step_id}/claim", headers=nurse).status_code == 200
    bad = client.post(f"{API}/steps/{step_id}/complete", headers=nurse,
                      json={"outcome": {"agenda_checked": False}})
    assert bad.status_code == 422
    done = client.post(f"{API}/steps/{step_id}/complete", headers=nurse,
                       json={"outcome": {"agenda_checked": True, "notes": "Checked with Maria"}})
    assert done.status_code == 200, done.text
    assert done.json()["journey"] is None and done.json()["open_steps"] == []
    with sessions() as s:
        step = s.get(Step, step_id)
        assert step is not None and step.status == StepStatus.COMPLETED


def test_care_home_staff_nominate_but_do_not_run_the_meeting(
    client: TestClient, world: World, admit: Admit, login: Login,
    settled: Callable[[], str], sessions: sessionmaker[Session],
) -> None:
    """Issue 8: care-home staff removed every agenda item and closed the round, which then
    counted as a check-in of the MDT's. They see the round and nominate; the MDT (members,
    clinical leads, coordinators) adds, removes, records attendance and decisions, and closes."""
    new, quiet = admit()["resident"]["id"], settled()
    round_id = _prepare(client, login, world)["id"]
    item_id = _items(client.get(f"{API}/rounds/{round_id}", headers=login("coord")).json()
                     )[new]["id"]
    users = world.users
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"/rounds/{round_id}/agenda", {"resident_id": quiet, "reason": "weight loss"}),
        (f"/rounds/{round_id}/agenda/{item_id}/remove", {"reason": "seen yesterday"}),
        (f"/rounds/{round_id}/attendance", {"attendee_ids": [str(users["staff.a"].id)]}),
        (f"/rounds/{round_id}/agenda/{item_id}/decision", {"response": "maintain"}),
        (f"/rounds/{round_id}/close", {}),
    ]
    for username in ("staff.a", "admin"):
        for path, body in writes:
            r = client.post(API + path, headers=login(username), json=body)
            assert r.status_code == 403, (username, path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
    staff = login("staff.a")
    assert client.get(f"{API}/rounds/{round_id}", headers=staff).status_code == 200
    r = client.post(f"{API}/nominations", headers=staff,
                    json={"resident_id": quiet, "reason": "not eating"})
    assert r.status_code == 201, r.text
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.PREPARING
        assert rnd.completed_at is None and rnd.meeting_at is None
        assert _count(s, RoundAttendance) == 0 and _count(s, AgendaDecision) == 0
        assert _count(s, AgendaItem, AgendaItem.removed_at.is_not(None)) == 0
        assert _count(s, AgendaItem, AgendaItem.source == "mdt") == 0

    # The MDT's roles may: add (a member), record attendance (a GP), decide (a coordinator),
    # remove what was added (a clinical lead) and close (a member).
    r = client.post(API + writes[0][0], headers=login("nurse.a"), json=writes[0][1])
    assert r.status_code == 201, r.text
    added = r.json()["id"]
    for username, path, body in (
        ("gp.a", *writes[2]), ("coord", *writes[3]),
        ("lead", f"/rounds/{round_id}/agenda/{added}/remove", {"reason": "seen yesterday"}),
        ("nurse.a", *writes[4]),
    ):
        r = client.post(API + path, headers=login(username), json=body)
        assert r.status_code in (200, 201), (username, path, r.text)
    with sessions() as s:
        rnd = s.get(HomeRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.HELD
        assert rnd.completed_by_id == users["nurse.a"].id

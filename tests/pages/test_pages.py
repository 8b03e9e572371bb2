"""The pages, rendered through the app: sign-in, CSRF, My work, the step forms, residents,
the coordinator view and stalled journeys."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.models import LoginAttempt
from care.journeys import outbox
from care.journeys.models import Journey, Step, StepStatus
from care.residents.models import Resident
from care.settings import Settings
from tests.factories import World
from tests.pages.conftest import csrf_from, sign_in

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]

ASSESSMENT_FORM = {
    "physical": "Heart failure, stable.",
    "psychological": "Low mood in the evenings.",
    "functional": "Needs help of one to mobilise.",
    "social": "Son visits weekly.",
    "environmental": "First-floor room, lift access.",
    "what_matters": "Sitting in the garden.",
    "contributors": "resident\nson\n",
}

ASSESS, PLAN = AssessmentStep.HOLISTIC_ASSESSMENT, AssessmentStep.PCSP


def _step(sessions: sessionmaker[Session], resident_id: uuid.UUID, kind: str) -> Step:
    with sessions() as s:
        return s.scalars(select(Step).where(Step.resident_id == resident_id,
                                            Step.kind == kind)).one()


def _claim(client: TestClient, step_id: uuid.UUID) -> str:
    page = client.get(f"/steps/{step_id}")
    r = client.post(f"/steps/{step_id}/claim", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303, r.text
    form = client.get(f"/steps/{step_id}")
    assert 'id="outcome-form"' in form.text
    return csrf_from(form.text)


# ---------------------------------------------------------------- signing in


def test_pages_need_a_session_and_send_people_back_after_sign_in(
    make_client: Callable[[], TestClient],
) -> None:
    client = make_client()
    r = client.get("/residents?q=ab")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/residents%3Fq%3Dab"
    page = client.get(r.headers["location"])
    assert 'name="next" value="/residents?q=ab"' in page.text
    r = client.post("/login", data={"username": "nurse.a", "password": "test-password-123",
                                    "csrf_token": csrf_from(page.text),
                                    "next": "/residents?q=ab"})
    assert r.status_code == 303 and r.headers["location"] == "/residents?q=ab"
    cookie = r.headers["set-cookie"]
    assert "cj_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/my-work").status_code == 200


def test_login_refuses_offsite_redirects(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    page = client.get("/login")
    r = client.post("/login", data={"username": "nurse.a", "password": "test-password-123",
                                    "csrf_token": csrf_from(page.text),
                                    "next": "//evil.example/x"})
    assert r.headers["location"] == "/my-work"


def test_login_with_a_nul_in_the_username_gets_the_login_page(
    make_client: Callable[[], TestClient],
) -> None:
    client = make_client()
    page = client.get("/login")
    r = client.post("/login", data={"username": "nurse\x00a", "password": "x",
                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"]
    assert "The username or password is not right" in r.text


def test_login_without_csrf_is_refused(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    client.get("/login")
    r = client.post("/login", data={"username": "nurse.a", "password": "test-password-123"})
    assert r.status_code == 403
    assert "cj_session" not in client.cookies
    assert client.get("/my-work").status_code == 303


def test_wrong_password_is_stored_and_then_rate_limited(
    make_client: Callable[[], TestClient], sessions: sessionmaker[Session], world: World,
) -> None:
    client = make_client()
    for _ in range(5):
        page = client.get("/login")
        r = client.post("/login", data={"username": "nurse.a", "password": "nope",
                                        "csrf_token": csrf_from(page.text)})
        assert r.status_code == 401
        assert "There is a problem" in r.text and "not right" in r.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 5
    page = client.get("/login")
    r = client.post("/login", data={"username": "nurse.a", "password": "test-password-123",
                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 429
    assert "too many failed sign-in attempts" in r.text


def test_demo_mode_shows_the_demo_hint_and_banner(make_client: Callable[[], TestClient]) -> None:
    page = make_client().get("/login")
    assert "Demo sign-ins" in page.text and "synthetic people only" in page.text
    assert "/static/vendor/nhsuk/nhsuk-frontend.min.css" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline scripts: the CSP would block them


def test_logout_needs_csrf_and_ends_the_session(browser_for: Browser) -> None:
    client = browser_for("nurse.a")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/my-work").status_code == 200
    csrf = csrf_from(client.get("/my-work").text)
    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/my-work").status_code == 303
    assert "You have signed out" in client.get("/login").text


def test_csrf_token_of_another_session_is_refused(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session]
) -> None:
    resident_id = admit()
    step = _step(sessions, resident_id, ASSESS)
    other = csrf_from(browser_for("gp.a").get("/my-work").text)
    r = browser_for("nurse.a").post(f"/steps/{step.id}/claim", data={"csrf_token": other})
    assert r.status_code == 403
    assert _step(sessions, resident_id, ASSESS).status == StepStatus.READY


# ---------------------------------------------------------------- my work and steps


def test_my_work_lists_the_queue_with_due_dates_in_words(
    browser_for: Browser, admit: Admit, clock: FrozenClock
) -> None:
    admit(given_name="Ada", family_name="Abbott")
    client = browser_for("nurse.a")
    page = client.get("/my-work")
    assert page.status_code == 200
    assert "Ada Abbott" in page.text and "Person-centred holistic assessment" in page.text
    # Admitted Monday 2 Nov: 7 working days -> due Wednesday 11 Nov.
    assert "due in 9 days" in page.text
    clock.advance(days=12)
    assert client.get("/my-work").status_code == 303  # the 8-hour session has expired
    page = browser_for("nurse.a").get("/my-work")
    assert "3 days overdue" in page.text and "app-overdue" in page.text


def test_home_b_nurse_does_not_see_home_a(browser_for: Browser, admit: Admit,
                                          sessions: sessionmaker[Session]) -> None:
    resident_id = admit(given_name="Ada", family_name="Abbott")
    step = _step(sessions, resident_id, ASSESS)
    client = browser_for("nurse.b")
    assert "Ada Abbott" not in client.get("/my-work").text
    assert client.get(f"/residents/{resident_id}").status_code == 404
    assert client.get(f"/steps/{step.id}").status_code == 404
    assert client.get("/residents/not-a-uuid").status_code == 404
    csrf = csrf_from(client.get("/my-work").text)
    assert client.post(f"/steps/{step.id}/claim", data={"csrf_token": csrf}).status_code == 404


def test_claim_then_an_invalid_assessment_shows_errors_and_keeps_input(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session]
) -> None:
    resident_id = admit()
    step = _step(sessions, resident_id, ASSESS)
    client = browser_for("nurse.a")
    csrf = _claim(client, step.id)
    mine = client.get("/my-work").text
    assert mine.index("holistic assessment") < mine.index("Waiting in your homes")

    data = {**ASSESSMENT_FORM, "physical": "  ", "social": "", "csrf_token": csrf}
    r = client.post(f"/steps/{step.id}/complete", data=data)
    assert r.status_code == 422
    assert "nhsuk-error-summary" in r.text and "There is a problem" in r.text
    assert 'href="#physical"' in r.text and 'href="#social"' in r.text
    assert "Enter the physical health needs" in r.text
    assert 'id="physical-error"' in r.text  # inline, next to the field
    assert "Needs help of one to mobilise." in r.text  # what they typed is kept
    assert _step(sessions, resident_id, ASSESS).status == StepStatus.CLAIMED

    r = client.post(f"/steps/{step.id}/complete", data={**ASSESSMENT_FORM, "csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/residents/{resident_id}"
    resident_page = client.get(r.headers["location"]).text
    assert "Person-centred holistic assessment completed" in resident_page  # the success banner
    assert "Personalised care and support plan" in resident_page
    done = _step(sessions, resident_id, ASSESS)
    assert done.status == StepStatus.COMPLETED
    assert done.outcome is not None and done.outcome["contributors"] == ["resident", "son"]
    assert "Personalised care and support plan" in client.get("/my-work").text


def test_pcsp_errors_point_at_the_row_that_caused_them(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], clock: FrozenClock,
) -> None:
    resident_id = admit()
    client = browser_for("nurse.a")
    csrf = _claim(client, _step(sessions, resident_id, ASSESS).id)
    client.post(f"/steps/{_step(sessions, resident_id, ASSESS).id}/complete",
                data={**ASSESSMENT_FORM, "csrf_token": csrf})
    plan = _step(sessions, resident_id, PLAN)
    csrf = _claim(client, plan.id)
    bad = {
        "csrf_token": csrf,
        "goals-1-description": "Walk to the garden each day",
        "actions-0-description": "Physiotherapy referral", "actions-0-owner": "matron",
        "actions-2-description": "Review medicines",  # no owner
        "agreed_with": "resident and son",
        "review_date[day]": "31", "review_date[month]": "2", "review_date[year]": "2027",
    }
    r = client.post(f"/steps/{plan.id}/complete", data=bad)
    assert r.status_code == 422
    assert 'href="#actions-2-owner"' in r.text
    assert 'href="#hospital_admission"' in r.text
    assert 'href="#review_date-day"' in r.text
    assert "Enter who is responsible for this action" in r.text
    assert "Select whether the person would want hospital admission" in r.text
    assert "Enter the review date as a real date" in r.text
    assert "Walk to the garden each day" in r.text

    good = {**bad, "actions-2-owner": "pharmacist", "hospital_admission": "discuss_first",
            "review_date[day]": "1", "review_date[month]": "3"}
    r = client.post(f"/steps/{plan.id}/complete", data=good)
    assert r.status_code == 303, r.text
    done = _step(sessions, resident_id, PLAN)
    assert done.status == StepStatus.COMPLETED and done.outcome is not None
    assert done.outcome["goals"] == [{"description": "Walk to the garden each day"}]
    assert [a["owner"] for a in done.outcome["actions"]] == ["matron", "pharmacist"]
    assert done.outcome["review_date"] == "2027-03-01"
    page = client.get(f"/steps/{plan.id}").text
    assert "What was recorded" in page and "Discuss with the person" in page
    assert "1 March 2027" in page
    assert "Under MDT care" in client.get(f"/residents/{resident_id}").text


def test_release_gives_the_step_back(browser_for: Browser, admit: Admit,
                                     sessions: sessionmaker[Session]) -> None:
    resident_id = admit()
    step = _step(sessions, resident_id, ASSESS)
    client = browser_for("nurse.a")
    csrf = _claim(client, step.id)
    other = browser_for("gp.a").get(f"/steps/{step.id}").text
    assert "is working on this step" in other and 'id="outcome-form"' not in other
    r = client.post(f"/steps/{step.id}/release", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert _step(sessions, resident_id, ASSESS).status == StepStatus.READY


def test_claiming_a_step_someone_holds_is_a_friendly_conflict(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session]
) -> None:
    step = _step(sessions, admit(), ASSESS)
    first, second = browser_for("nurse.a"), browser_for("gp.a")
    csrf = csrf_from(second.get(f"/steps/{step.id}").text)
    _claim(first, step.id)
    r = second.post(f"/steps/{step.id}/claim", data={"csrf_token": csrf})
    assert r.status_code == 409 and "already taken by" in r.text


# ---------------------------------------------------------------- residents


def test_resident_page_shows_details_and_audits_the_view(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
) -> None:
    resident_id = admit(nhs_number="9990001235", gp_practice_ods="Y99999")
    page = browser_for("nurse.a").get(f"/residents/{resident_id}")
    assert page.status_code == 200
    assert "999 000 1235" in page.text
    assert "Not in the aligned PCN" in page.text
    assert "Person-centred holistic assessment" in page.text and "Journey timeline" in page.text
    assert "Admitted to the home; journey started" in page.text
    with sessions() as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "resident.view")).all()
        assert [(v.channel, v.resident_id, v.user_id) for v in views] == [
            ("web", resident_id, world.users["nurse.a"].id)
        ]


def test_resident_list_and_search(browser_for: Browser, admit: Admit) -> None:
    admit(given_name="Ada", family_name="Abbott")
    admit(given_name="Cyril", family_name="Chandler")
    client = browser_for("nurse.a")
    page = client.get("/residents").text
    assert "Abbott, Ada" in page and "Chandler, Cyril" in page
    page = client.get("/residents", params={"q": "chand"}).text
    assert "Chandler, Cyril" in page and "Abbott, Ada" not in page


def test_admit_form_shows_errors_then_admits(
    browser_for: Browser, world: World, sessions: sessionmaker[Session]
) -> None:
    client = browser_for("staff.a")
    form_page = client.get("/residents/new")
    assert form_page.status_code == 200 and "Home A" in form_page.text
    base = {
        "csrf_token": csrf_from(form_page.text), "nhs_number": "999 000 1234",
        "given_name": "Ivy", "family_name": "Irving",
        "date_of_birth[day]": "17", "date_of_birth[month]": "5", "date_of_birth[year]": "1940",
        "home_id": str(world.home_a.id),
        "admitted_on[day]": "2", "admitted_on[month]": "11", "admitted_on[year]": "2026",
        "gp_practice_ods": "Y11111", "gp_practice_name": "Test Surgery",
        "dementia_status": "unknown",
    }
    r = client.post("/residents/new", data={**base, "given_name": "", "nhs_number": "",
                                            "gp_practice_ods": "Y1"})
    assert r.status_code == 422 and 'href="#given_name"' in r.text
    assert "Enter the first name" in r.text and "Enter the NHS number" in r.text
    assert "The GP practice ODS code must be 3 to 10 letters and digits, e.g. A81001" in r.text
    assert r.text.index('href="#nhs_number"') < r.text.index('href="#given_name"')
    r = client.post("/residents/new", data=base)  # 9990001234 fails the Modulus 11 check
    assert r.status_code == 422 and 'href="#nhs_number"' in r.text
    assert "Modulus 11" in r.text and 'value="Irving"' in r.text
    r = client.post("/residents/new", data={**base, "nhs_number": "999 000 1243"})
    assert r.status_code == 303
    with sessions() as s:
        resident = s.scalars(select(Resident).where(Resident.family_name == "Irving")).one()
    assert r.headers["location"] == f"/residents/{resident.id}"
    assert "Ivy Irving admitted" in client.get(r.headers["location"]).text


def test_admin_cannot_admit(browser_for: Browser) -> None:
    client = browser_for("admin")
    assert client.get("/residents/new").status_code == 403
    assert "Admit a resident" not in client.get("/residents").text


# ---------------------------------------------------------------- coordinator and admin


def test_coordinator_page_counts_open_and_overdue(
    browser_for: Browser, admit: Admit, world: World, clock: FrozenClock
) -> None:
    admit()
    admit(home="b")
    assert browser_for("nurse.a").get("/coordinator").status_code == 403
    clock.advance(days=12)
    admit()
    page = browser_for("coord").get("/coordinator").text
    assert f'id="open-count-{world.home_a.id}">2<' in page
    assert f'id="overdue-count-{world.home_a.id}">1<' in page
    assert f'id="open-count-{world.home_b.id}">1<' in page
    assert "Coordinator" in page and "Admin" not in page.split("</header>")[0]


def test_stalled_journeys_can_be_rerun_by_an_admin(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], clock: FrozenClock,
) -> None:
    resident_id = admit(given_name="Ada", family_name="Abbott")
    with sessions() as s, s.begin():
        journey = s.scalars(select(Journey).where(Journey.resident_id == resident_id)).one()
        message = outbox.enqueue(s, journey.id, "step_completed", clock.now())
        s.flush()
        message.failed_at, message.attempts, message.last_error = clock.now(), 5, "boom"
        journey_id = journey.id
    coordinator = browser_for("coord")
    seen = coordinator.get("/admin/stalled")  # coordinators see stalled journeys...
    assert seen.status_code == 200 and "Ada Abbott" in seen.text
    assert "An admin can re-run it" in seen.text and "/rerun" not in seen.text  # ...admins act
    assert coordinator.post(f"/admin/journeys/{journey_id}/rerun", data={
        "csrf_token": csrf_from(seen.text)}).status_code == 403
    assert browser_for("nurse.a").get("/admin/stalled").status_code == 403
    client = browser_for("admin")
    page = client.get("/admin/stalled")
    assert page.status_code == 200 and "Ada Abbott" in page.text
    assert "failed 5 times" in page.text
    r = client.post(f"/admin/journeys/{journey_id}/rerun", data={})
    assert r.status_code == 403
    # Issue 9: a re-run takes a reason, and the admin follows its progress.
    r = client.post(f"/admin/journeys/{journey_id}/rerun",
                    data={"csrf_token": csrf_from(page.text), "reason": "runner restarted"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/reruns?since=")
    progress = client.get(r.headers["location"]).text
    assert "Re-run requested for Ada Abbott" in progress
    after = client.get("/admin/stalled").text
    assert "No journeys are stalled" in after


def test_navigation_follows_the_role(browser_for: Browser) -> None:
    nurse = browser_for("nurse.a").get("/my-work").text.split("</header>")[0]
    assert "My work" in nurse and "Residents" in nurse
    assert "/coordinator" not in nurse and "/admin/stalled" not in nurse
    admin = browser_for("admin").get("/my-work").text.split("</header>")[0]
    assert "/coordinator" in admin and "/admin/stalled" in admin


def test_sign_in_works_for_a_second_person_in_the_same_browser(
    make_client: Callable[[], TestClient],
) -> None:
    client = sign_in(make_client(), "nurse.a")
    assert "Nurse A" in client.get("/my-work").text


def test_session_cookie_is_secure_when_configured(
    world: World, app_engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
) -> None:
    secure = Settings(mode="production", secret_key="s" * 48, cookie_secure=True,
                      runner_enabled=False)
    with TestClient(create_app(AppContext(secure, app_engine, sessions, clock)),
                    base_url="https://testserver", follow_redirects=False) as client:
        page = client.get("/login")
        assert "Demo sign-ins" not in page.text and "synthetic people only" not in page.text
        r = client.post("/login", data={"username": "nurse.a", "password": "test-password-123",
                                        "csrf_token": csrf_from(page.text)})
        assert r.status_code == 303
        assert "Secure" in r.headers["set-cookie"]

"""Pages that refresh themselves: /urgent, My work and the header's counts answer an open
page's poll with 204 until what it shows changes, then with the new lists (and one polite
status line when the work itself changed). Access is checked on every poll; a session that
ended reloads the page. And the alert settings and delivery problems on /notifications."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.context import AppContext
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.models import NotifyChannel, User
from care.settings import Settings
from care.types import Profession, Role
from tests import alerts
from tests.factories import World, make_user
from tests.pages.conftest import csrf_from

Browser = Callable[[str], TestClient]
HX = {"HX-Request": "true"}
VERSIONS = re.compile(
    r'id="(?P<id>[a-z-]+-live)"[^>]*hx-vals=\'\{"v": "(?P<v>\w+)", "s": "(?P<s>\w+)"\}\'')


@pytest.fixture
def mail_port() -> int:
    return alerts.free_port()  # nothing listens: every email fails


@pytest.fixture
def app(
    world: World, engine: Engine, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings, mail_port: int,
) -> FastAPI:
    configured = alerts.alert_settings(settings, smtp_host="127.0.0.1", smtp_port=mail_port,
                                       smtp_starttls=False, delivery_max_attempts=1,
                                       live_refresh_seconds=15)
    app = create_app(AppContext(configured, engine, sessions, clock))
    app.state.configured = configured
    return app


@pytest.fixture
def ucr(world: World, sessions: sessionmaker[Session]) -> User:
    with sessions() as s, s.begin():
        return make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                         Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a])


def versions(html: str, region: str) -> dict[str, str]:
    for found in VERSIONS.finditer(html):
        if found["id"] == region:
            return {"v": found["v"], "s": found["s"]}
    raise AssertionError(f"no {region} region")


def test_the_urgent_queue_answers_its_poll_only_when_it_changes(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings, ucr: User,
) -> None:
    client = browser_for("ucr.a")
    page = client.get("/urgent")
    assert page.status_code == 200
    assert 'hx-get="/urgent/live" hx-trigger="every 15s" hx-swap="outerHTML"' in page.text
    assert 'id="urgent-status" role="status" aria-live="polite"' in page.text
    shown = versions(page.text, "urgent-live")
    assert client.get("/urgent/live", params=shown, headers=HX).status_code == 204

    rid = alerts.admit_edith(sessions, world, settings, clock.now() - timedelta(days=2))
    det_id = alerts.record_medium(sessions, world, rid, clock.now())
    with sessions() as s:
        audits_before = s.query(AuditEvent).filter(
            AuditEvent.action == "deterioration.list").count()
    r = client.get("/urgent/live", params=shown, headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="urgent-live"')
    assert f'id="det-link-{det_id}"' in r.text and "Edith Crawley" in r.text
    assert '<span id="urgent-status" hx-swap-oob="innerHTML">Updated at' in r.text
    assert "1 for you, 0 others, 0 A&amp;E reviews." in r.text
    with sessions() as s:  # what the refreshed page showed is audited like the page itself
        assert s.query(AuditEvent).filter(
            AuditEvent.action == "deterioration.list").count() == audits_before + 1
    now_shown = versions(r.text, "urgent-live")
    assert client.get("/urgent/live", params=now_shown, headers=HX).status_code == 204

    # Time passing changes the words ("due in 1 hour"), not the work: swapped, not announced.
    clock.advance(minutes=61)
    later = client.get("/urgent/live", params=now_shown, headers=HX)
    assert later.status_code == 200 and "urgent-status" not in later.text

    # Someone in another home sees nothing of it, and their poll says so.
    other = browser_for("nurse.b")
    theirs = versions(other.get("/urgent").text, "urgent-live")
    assert other.get("/urgent/live", params=theirs, headers=HX).status_code == 204


def test_my_work_refreshes_when_work_arrives(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings, ucr: User,
) -> None:
    client = browser_for("ucr.a")
    page = client.get("/my-work")
    shown = versions(page.text, "my-work-live")
    assert client.get("/my-work/live", params=shown, headers=HX).status_code == 204
    rid = alerts.admit_edith(sessions, world, settings, clock.now() - timedelta(days=2))
    alerts.record_medium(sessions, world, rid, clock.now())
    r = client.get("/my-work/live", params=shown, headers=HX)
    assert r.status_code == 200
    assert "Urgent response: urgent community response team" in r.text
    assert '<span id="my-work-status" hx-swap-oob="innerHTML">' in r.text


def test_the_header_counts_refresh_and_announce_new_urgent_work(
    browser_for: Browser, world: World, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings, ucr: User,
) -> None:
    client = browser_for("ucr.a")
    page = client.get("/notifications").text
    assert 'id="live-counts" hx-get="/live/counts" hx-trigger="every 15s" hx-swap="none" ' \
           'hx-vals=\'{"u": 0, "n": 0}\'' in page
    assert 'id="live-announcer" class="nhsuk-u-visually-hidden" role="status"' in page
    assert client.get("/live/counts", params={"u": 0, "n": 0}, headers=HX).status_code == 204
    rid = alerts.admit_edith(sessions, world, settings, clock.now() - timedelta(days=2))
    alerts.record_medium(sessions, world, rid, clock.now())
    r = client.get("/live/counts", params={"u": 0, "n": 0}, headers=HX)
    assert r.status_code == 200
    assert 'id="urgent-count">1<' in r.text and 'id="unread-count">1<' in r.text
    assert 'hx-vals=\'{"u": 1, "n": 1}\' hx-swap-oob="true"' in r.text
    assert "New urgent work: 1 waiting for you." in r.text
    assert client.get("/live/counts", params={"u": 1, "n": 1}, headers=HX).status_code == 204


def test_a_poll_after_the_session_ended_reloads_the_page(make_client: Callable[[], TestClient],
                                                          ucr: User) -> None:
    anonymous = make_client()
    r = anonymous.get("/urgent/live", headers=HX)
    assert r.status_code == 200 and r.headers["HX-Refresh"] == "true" and r.text == ""
    assert anonymous.get("/urgent/live").status_code == 303  # without htmx: to sign in
    assert anonymous.get("/live/counts", headers=HX).headers["HX-Refresh"] == "true"


def test_a_person_sets_their_alerts_on_the_notifications_page(
    browser_for: Browser, sessions: sessionmaker[Session], ucr: User,
) -> None:
    client = browser_for("ucr.a")
    page = client.get("/notifications")
    assert "How urgent work reaches you" in page.text
    assert 'value="email"' in page.text and 'value="sms"' not in page.text  # no Notify here
    bad = client.post("/notifications/channel", data={
        "csrf_token": csrf_from(page.text), "channel": "email", "email": "ucr@nhs",
        "mobile": ""})
    assert bad.status_code == 422
    assert "There is a problem" in bad.text and 'href="#email"' in bad.text
    assert "Enter an email address in the right format" in bad.text
    assert 'value="ucr@nhs"' in bad.text  # what was typed is kept
    good = client.post("/notifications/channel", data={
        "csrf_token": csrf_from(page.text), "channel": "email", "email": "ucr@nhs.net",
        "mobile": "07700 900123"})
    assert good.status_code == 303 and good.headers["location"] == "/notifications#channel-section"
    with sessions() as s:
        user = s.get(User, ucr.id)
        assert user is not None and user.notify_channel == NotifyChannel.EMAIL
        assert (user.email, user.mobile) == ("ucr@nhs.net", "+447700900123")
    assert client.post("/notifications/channel", data={"channel": "in_app"}).status_code == 403


def test_the_clinical_lead_sees_who_was_not_reached(
    app: FastAPI, browser_for: Browser, world: World, sessions: sessionmaker[Session],
    clock: FrozenClock, settings: Settings, ucr: User,
) -> None:
    alerts.choose(sessions, ucr, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    rid = alerts.admit_edith(sessions, world, settings, clock.now() - timedelta(days=2))
    det_id = alerts.record_medium(sessions, world, rid, clock.now())
    alerts.worker(sessions, clock, app.state.configured).drain_until_idle()

    lead = browser_for("lead").get("/notifications")
    assert 'id="delivery-problems"' in lead.text
    problems = lead.text.split('id="delivery-problems"')[1].split("</section>")[0]
    assert "Ucr A" in problems and "Email to u…@nhs.net" in problems
    assert f'href="/deteriorations/{det_id}"' in problems
    assert "Failed once: could not reach the mail server" in problems
    assert "Delivery failed" in lead.text  # and the in-app notification about it

    # The person not reached is told too, the next time they look.
    mine = browser_for("ucr.a").get("/notifications").text
    assert 'id="channel-failed"' in mine and 'id="delivery-problems"' not in mine

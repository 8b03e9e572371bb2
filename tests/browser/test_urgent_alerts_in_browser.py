"""A real browser and a real mail server: care-home staff raise an urgent response; the
responder, whose channel is email, gets the email through the SMTP server with no resident
identifiers in it, and the /urgent page they already have open shows the new escalation
without a reload, without moving their focus, announcing it politely. axe-core finds no
WCAG 2.2 A/AA violation on the refreshed page or on the alert settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.directory.models import NotifyChannel, User
from care.settings import Settings
from care.types import Profession, Role
from flows.delivery import DeliveryWorker
from tasks.runtime import Runtime
from tests import alerts
from tests.alerts import Mailbox
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.factories import PASSWORD, World, make_user

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")
DESK = {"viewport": {"width": 1280, "height": 1000}}

pytestmark = pytest.mark.browser


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    yield from alerts.smtp_server()


@pytest.fixture
def settings(mail: tuple[Mailbox, int]) -> Settings:
    """The live server's settings: email through the test's SMTP server; pages poll each
    second so the test need not wait twenty."""
    base = Settings(mode="demo", secret_key="t" * 48, runner_enabled=False)
    return alerts.alert_settings(base, smtp_host="127.0.0.1", smtp_port=mail[1],
                                 smtp_starttls=False, live_refresh_seconds=1,
                                 delivery_poll_seconds=0.2)


@pytest.fixture
def responder(world: World, sessions: sessionmaker[Session], clock: FrozenClock) -> User:
    clock.set(NOW)
    with sessions() as s, s.begin():
        user = make_user(s, world.pcn, "ucr.a", Role.MDT_MEMBER,
                         Profession.URGENT_COMMUNITY_RESPONSE, [world.home_a])
    alerts.choose(sessions, user, NotifyChannel.EMAIL, email_address="ucr.team@nhs.net")
    return user


@pytest.fixture
def delivery_worker(sessions: sessionmaker[Session], clock: FrozenClock,
                    settings: Settings) -> Iterator[DeliveryWorker]:
    """The delivery worker as the product runs it: its own thread, polling the outbox."""
    worker = DeliveryWorker(Runtime(settings, sessions, clock))
    worker.start_in_thread()
    yield worker
    worker.stop()


def _wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_an_urgent_step_is_emailed_and_appears_on_the_open_urgent_page(
    live_url: str, world: World, sessions: sessionmaker[Session], settings: Settings,
    responder: User, mail: tuple[Mailbox, int], delivery_worker: DeliveryWorker,
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    mailbox, _ = mail
    resident = alerts.admit_edith(sessions, world, settings, NOW - timedelta(days=3))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(**DESK).new_page()
            page.set_default_timeout(15_000)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: problems.append(msg.text)
                    if msg.type == "error" and "font" not in msg.text else None)
            page.goto(f"{live_url}/login?next=/urgent")
            page.fill("#username", "ucr.a")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            expect(page.locator("h1")).to_have_text("Urgent responses")
            expect(page.locator("#for-you")).to_have_text("Nothing is waiting for you.")
            expect(page.locator("#urgent-live-note")).to_be_visible()  # JavaScript is on
            expect(page.locator("#urgent-count")).to_have_count(0)
            # Marks that a reload would wipe out, and where the person is on the page.
            page.evaluate("window.__stillThisPage = true")
            page.focus("#ladder-link")

            det_id = alerts.record_medium(sessions, world, resident, NOW)
            raised = time.monotonic()

            # The email reaches the responder's mailbox through SMTP...
            _wait_for(lambda: len(mailbox.messages) == 1)
            (message,) = mailbox.messages
            assert mailbox.recipients == ["ucr.team@nhs.net"]
            body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            link = f"https://carejourney.example.nhs.uk/deteriorations/{det_id}"
            assert link in body
            assert alerts.identifiers_in(alerts.everything_sent(mailbox)) == []

            # ...and the page already open shows the escalation, with no reload.
            item = page.locator("#for-you li", has_text="Edith Crawley")
            expect(item).to_be_visible(timeout=10_000)
            assert time.monotonic() - raised < 10
            expect(item).to_contain_text("Waiting to be acknowledged")
            expect(item).to_contain_text("Respond by 4:00pm")
            expect(page.locator("#urgent-status")).to_contain_text("1 for you")
            expect(page.locator("#urgent-count")).to_have_text("1")  # the header's count
            expect(page.locator("#live-announcer")).to_have_text(
                "New urgent work: 1 waiting for you.")
            assert page.evaluate("window.__stillThisPage") is True
            assert page.evaluate("document.activeElement.id") == "ladder-link"
            # NHS.UK's focus style (yellow, no underline) is judged apart from the page.
            page.evaluate("document.activeElement.blur()")
            assert_accessible(page, "/urgent, refreshed in place")

            # A refresh that fails says so on the page (nobody trusts a list that stopped),
            # and the next one that works clears it.
            expect(page.locator("#live-stale")).to_be_hidden()
            page.route("**/urgent/live*", lambda route: route.abort())
            expect(page.locator("#live-stale")).to_be_visible(timeout=10_000)
            expect(page.locator("#live-stale")).to_contain_text("could not update itself")
            page.unroute("**/urgent/live*")
            expect(page.locator("#live-stale")).to_be_hidden(timeout=10_000)
            # The failures we caused are logged by the browser and by htmx: expected here.
            problems = [p for p in problems
                        if "net::ERR_FAILED" not in p and not p.startswith("htmx:")]

            # The email's link (the public address, here the test server) opens the SBARD.
            page.goto(link.replace("https://carejourney.example.nhs.uk", live_url))
            expect(page.locator("h1")).to_have_text("Edith Crawley: urgent response")

            page.goto(f"{live_url}/notifications")
            expect(page.locator("#channel-heading")).to_have_text("How urgent work reaches you")
            assert page.locator("input[name=channel][value=email]").is_checked()
            assert_accessible(page, "/notifications")
            assert problems == [], problems
        finally:
            browser.close()
    with sessions() as s:
        user = s.get(User, responder.id)
        assert user is not None and user.email == "ucr.team@nhs.net"

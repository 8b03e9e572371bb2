"""A real browser (Debian's Chromium, driven by Playwright) through the weekly home round:
care-home staff nominate a resident from a phone; the MDT sees them on the agenda with the
reason and refers them to the dietitian; the dietitian finds the referral in My work."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.directory.access import load_actor
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.rounds import service as rounds
from care.settings import Settings
from care.types import Profession, Role
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.factories import PASSWORD, World, admission, make_user

AGENDA_SHOT = Path("/tmp/round_agenda.png")
NOMINATE_SHOT = Path("/tmp/nominate_mobile.png")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}

pytestmark = pytest.mark.browser


@pytest.fixture
def round_ready(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> dict[str, Any]:
    """Home A's round (Tuesdays 10:00) in its preparation window, prepared by the service."""
    clock.set(datetime.fromisoformat("2026-11-08T10:30:00+00:00"))
    now = clock.now()
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        ids = {}
        for given, family, room in (("Dorothy", "Hughes", "12"), ("Arthur", "Penn", "3")):
            body = admission(world.home_a.id, now.date(), given_name=given, family_name=family,
                             room=room)
            resident, _ = residents.admit(s, staff, AdmissionIn(**body), now, settings)
            ids[given] = resident.id
        make_user(s, world.pcn, "dietitian.a", Role.MDT_MEMBER, Profession.DIETITIAN,
                  [world.home_a])
    with sessions() as s, s.begin():
        round_id = rounds.prepare_round(s, world.home_a.id, now, settings).round_id
    assert round_id is not None
    return {"round_id": round_id, "dorothy": ids["Dorothy"]}


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "font" not in msg.text else None)
    return problems


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login?next=/my-work")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")


def test_staff_nominate_the_mdt_refers_and_the_dietitian_finds_the_referral(
    live_url: str, round_ready: dict[str, Any]
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    round_id: uuid.UUID = round_ready["round_id"]
    dorothy: uuid.UUID = round_ready["dorothy"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Care-home staff, on a phone: the nomination takes seconds.
            phone = browser.new_context(**PHONE)
            page = phone.new_page()
            page.set_default_timeout(15_000)
            problems = _watch(page)
            _sign_in(page, live_url, "staff.a")
            expect(page.locator("h1")).to_have_text("My work")
            page.goto(f"{live_url}/nominate")
            expect(page.locator("h1")).to_have_text("Ask the MDT to see a resident")
            submit = page.locator("#nominate")
            box = submit.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] >= 48
            page.screenshot(path=str(NOMINATE_SHOT), full_page=True)
            page.select_option("#resident_id", label="Dorothy Hughes, room 12")
            page.fill("#reason", "Eating much less since Thursday")
            page.check("#by_family")
            submit.click()
            expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "Dorothy Hughes is on the list for the MDT")
            phone.close()

            # The clinical lead opens the agenda: Dorothy, with the nomination's reason.
            desk = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = desk.new_page()
            page.set_default_timeout(15_000)
            problems += _watch(page)
            _sign_in(page, live_url, "lead")
            page.get_by_role("link", name="Rounds").first.click()
            page.locator("#round-homes").get_by_role("link", name="Home A").click()
            expect(page.locator(".nhsuk-caption-l")).to_have_text("Home A")
            page.locator("#rounds-history").get_by_role("link", name="Agenda").first.click()
            expect(page).to_have_url(f"{live_url}/rounds/{round_id}")
            entry = page.locator(f"li[data-resident-id='{dorothy}']")
            expect(entry).to_contain_text("Family (through staff): Eating much less since Thursday")
            expect(entry).to_contain_text("Nominated by family")
            expect(page.locator("#agenda")).to_contain_text("Arthur Penn")
            page.screenshot(path=str(AGENDA_SHOT), full_page=True)
            # Printed for the meeting: no navigation, no buttons or forms, the agenda stays.
            page.emulate_media(media="print")
            expect(page.locator("header.nhsuk-header")).to_be_hidden()
            expect(page.locator("#record-decisions")).to_be_hidden()
            expect(page.locator("#attendance-form")).to_be_hidden()
            expect(entry).to_be_visible()
            page.emulate_media(media="screen")

            # The MDT refers Dorothy to the dietitian (Arthur is decided another time).
            page.click("#record-decisions")
            expect(page.locator("h1")).to_have_text("Record the MDT's decisions")
            section = page.locator(f"section[data-resident-id='{dorothy}']")
            section.get_by_label("Refer to a co-opted member").check()
            section.locator("select[name$='-referral_to']").select_option("dietitian")
            section.locator("input[name$='-by_date[day]']").fill("17")
            section.locator("input[name$='-by_date[month]']").fill("11")
            section.locator("input[name$='-by_date[year]']").fill("2026")
            section.locator("textarea[name$='-notes']").fill("Weigh weekly; fortified diet")
            page.click("#save-decisions")
            expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "Dorothy Hughes: refer to a co-opted member")
            expect(page.locator("#decided")).to_contain_text("Dorothy Hughes")
            desk.close()

            # The dietitian signs in: the referral is in My work, and only they can take it.
            desk = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = desk.new_page()
            page.set_default_timeout(15_000)
            problems += _watch(page)
            _sign_in(page, live_url, "dietitian.a")
            expect(page.locator("h1")).to_have_text("My work")
            row = page.locator("#unassigned-queue").locator(
                "tr", has_text="Dorothy Hughes").filter(has_text="Referral: dietitian")
            expect(row).to_contain_text("For: dietitian")
            row.get_by_role("link", name="Referral: dietitian").click()
            expect(page.locator("#step-for")).to_contain_text("For: dietitian")
            expect(page.locator("#step-instructions")).to_contain_text(
                "Weigh weekly; fortified diet")
            expect(page.locator("#claim")).to_be_visible()
            desk.close()
            assert problems == [], problems
        finally:
            browser.close()

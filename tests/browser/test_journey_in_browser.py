"""A real browser (Debian's Chromium, driven by Playwright) completes an assessment through the
pages and sees the care plan step appear: the journey as a person meets it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from care.clock import FrozenClock
from care.directory.access import load_actor
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.factories import PASSWORD, World, admission

SCREENSHOT = Path("/tmp/mywork.png")

pytestmark = pytest.mark.browser


@pytest.fixture
def resident_name(
    world: World, sessions: sessionmaker[Session], clock: FrozenClock, settings: Settings
) -> str:
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        body = admission(world.home_a.id, clock.now().date(), given_name="Winifred",
                         family_name="Walsh")
        residents.admit(s, staff, AdmissionIn(**body), clock.now(), settings)
    return "Winifred Walsh"


def test_a_nurse_completes_the_assessment_and_sees_the_care_plan_step(
    live_url: str, resident_name: str
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(15_000)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            # Expected noise: the 422 of the invalid form, and the NHS fonts the CSP keeps out.
            expected = ("status of 422", "font")
            page.on("console", lambda msg: problems.append(msg.text)
                    if msg.type == "error" and not any(e in msg.text for e in expected)
                    else None)

            # Sign in; the page asked for first is where we land.
            page.goto(f"{live_url}/my-work")
            expect(page).to_have_url(f"{live_url}/login?next=/my-work")
            page.fill("#username", "nurse.a")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            expect(page.locator("h1")).to_have_text("My work")

            # My work: the resident's assessment waits in the home's queue, due in plain words.
            queue = page.locator("#unassigned-queue")
            row = queue.locator("tr", has_text=resident_name)
            expect(row).to_contain_text("Person-centred holistic assessment")
            expect(row).to_contain_text("due in 9 days")
            # The NHS.UK stylesheet is loaded: the header is NHS blue, text in the NHS.UK font
            # stack (Frutiger comes from assets.nhs.uk, which the CSP keeps out; Arial stands in).
            header_colour = page.locator("header.nhsuk-header").evaluate(
                "el => getComputedStyle(el).backgroundColor")
            assert header_colour == "rgb(0, 94, 184)"
            assert "Frutiger" in page.locator("body").evaluate(
                "el => getComputedStyle(el).fontFamily")
            assert page.locator("body.nhsuk-frontend-supported").count() == 1
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # Open the step and take it.
            row.get_by_role("link", name="Person-centred holistic assessment").click()
            expect(page.locator("h1")).to_have_text("Person-centred holistic assessment")
            page.click("#claim")
            expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "You have taken this step")

            # An incomplete assessment: the error summary lists what is missing.
            page.fill("#physical", "Heart failure, stable on current medicines.")
            page.fill("#psychological", "Low mood in the evenings.")
            page.fill("#functional", "Needs help of one to mobilise; walking frame.")
            page.fill("#environmental", "First-floor room, lift access.")
            page.fill("#what_matters", "Sitting in the garden with her cat.")
            page.fill("#contributors", "Winifred\nher daughter\ncommunity matron")
            page.click("#submit-outcome")
            summary = page.locator(".nhsuk-error-summary")
            expect(summary).to_be_visible()
            expect(summary).to_contain_text("There is a problem")
            expect(summary).to_contain_text("Enter the social needs")
            expect(page.locator("#social-error")).to_contain_text("Enter the social needs")
            expect(page.locator("#physical")).to_have_value(
                "Heart failure, stable on current medicines.")
            # The summary links to the field.
            summary.get_by_role("link", name="Enter the social needs").click()
            expect(page.locator("#social")).to_be_focused()

            # Complete it; the care plan step opens at once.
            page.fill("#social", "Daughter visits twice a week; enjoys the choir.")
            page.click("#submit-outcome")
            expect(page.locator("h1")).to_have_text(resident_name)
            expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "Person-centred holistic assessment completed")
            open_steps = page.locator("#open-steps")
            expect(open_steps).to_contain_text("Personalised care and support plan")
            expect(page.locator("#earlier-steps")).to_contain_text("Completed")
            expect(page.locator("#timeline")).to_contain_text(
                "Personalised care and support plan opened")

            # And in My work, for the whole MDT.
            page.get_by_role("link", name="My work").first.click()
            expect(page.locator("#unassigned-queue").locator("tr", has_text=resident_name)
                   ).to_contain_text("Personalised care and support plan")
            assert problems == [], problems
        finally:
            browser.close()


def test_a_coordinator_assigns_the_step_and_the_nurse_finds_it_in_my_work(
    live_url: str, resident_name: str
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(15_000)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: problems.append(msg.text)
                    if msg.type == "error" and "font" not in msg.text else None)

            page.goto(f"{live_url}/login?next=/coordinator")
            page.fill("#username", "coord")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            expect(page.locator("h1")).to_have_text("Open and overdue steps by home")

            row = page.locator("tr", has_text=resident_name)
            row.locator("select[name=assignee_id]").select_option(label="Nurse A (district nurse)")
            row.get_by_role("button", name="Assign").click()
            expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
                "Person-centred holistic assessment assigned to Nurse A")
            expect(page.locator("tr", has_text=resident_name)).to_contain_text("Nurse A")

            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{live_url}/login")
            page.fill("#username", "nurse.a")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            mine = page.locator("#assigned-to-me").locator("tr", has_text=resident_name)
            expect(mine).to_contain_text("Person-centred holistic assessment")
            assert problems == [], problems
        finally:
            browser.close()

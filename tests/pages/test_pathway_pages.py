"""The pathway page (issue 9.6): the current version drawn from its definition with the same
content as text; where one resident is, for people serving their home only; another version;
the page without Graphviz."""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.journeys import drawing
from care.journeys import pathway as pathways
from care.journeys import service as journeys
from care.journeys.ledger import DEFAULT_PATHWAY
from care.journeys.models import Step
from care.journeys.registry import step_type
from care.residents import service as residents
from care.residents.models import Resident
from care.residents.schemas import HospitalStayIn
from care.settings import Settings
from tests.factories import ASSESSMENT, World
from tests.test_pathway_drawing import INSERTED, TRIAL, node_with, svg_part, trial_pathway

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]


def _text(page: str) -> str:
    """The page without its drawing: what a screen reader or a text browser reads."""
    return html.unescape(page.replace(svg_part(page), ""))


def _section(page: str, element_id: str) -> str:
    """One section of a page, as text (character references resolved)."""
    start = page.index(f'id="{element_id}"')
    return html.unescape(page[start:page.index("</section>", start)])


def _at_care_planning(admit: Admit, sessions: sessionmaker[Session], world: World,
                      clock: FrozenClock, settings: Settings, home: str = "a") -> uuid.UUID:
    """A resident whose holistic assessment is done: their PCSP is open (stage 2)."""
    resident_id = admit(home=home)
    with sessions() as s, s.begin():
        nurse = load_actor(s, world.users["nurse.a" if home == "a" else "nurse.b"])
        step = s.scalars(select(Step).where(
            Step.resident_id == resident_id,
            Step.kind == AssessmentStep.HOLISTIC_ASSESSMENT)).one()
        journeys.complete_step(s, nurse, step.id, ASSESSMENT, clock.now(), settings)
    return resident_id


def test_the_page_draws_the_current_version_and_writes_it_out(browser_for: Browser) -> None:
    r = browser_for("staff.a").get("/pathway")
    assert r.status_code == 200
    svg, text = svg_part(r.text), _text(r.text)
    shape = drawing.outline(pathways.current(DEFAULT_PATHWAY))
    steps = [*(k for s in shape.stages for k in s.steps),
             *(k for r in shape.reactions for k in r.opens)]
    # The drawing is generated from the definition: every declared step is in it...
    for step in steps:
        assert html.escape(step.title, quote=False) in svg, step.title
    assert 'role="img"' in svg and f'aria-labelledby="{drawing.TITLE_ID}"' in svg
    # ...and written out for those who cannot see it: each stage's steps, who, deadline.
    assessment = _section(text, "stage-assessment")
    assert "Stage 1: Holistic assessment" in assessment
    assert "Person-centred holistic assessment" in assessment
    assert "MDT members, the clinical lead or care-home staff" in assessment
    assert "Within the contract's days of admission or re-admission" in assessment
    assert "The journey rests here" in _section(text, "stage-under_mdt_care")
    urgent = _section(text, "reaction-1")
    assert "When a NEWS2 score or soft signs call for an urgent response" in urgent
    assert "Urgent response" in urgent and "Safety floor" in urgent
    assert "Safety floor" not in _section(text, "reaction-4")  # what a round opens
    assert text.count("Safety floor\n</strong>") == 3
    assert 'id="version-number">1<' in text
    assert "Enhanced Health in Care Homes" in text and "NHS England, EHCH framework" in text
    assert "Version 1 (shown above)" in text and "the current version" in text
    assert 'href="/pathway/drawing.svg?version=1"' in text
    # Nobody's position on a page that names nobody.
    assert "Current stage" not in r.text and "Open now" not in r.text


def test_a_resident_at_the_care_plan_is_highlighted_where_they_are(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
    clock: FrozenClock, settings: Settings, caplog: pytest.LogCaptureFixture,
) -> None:
    resident_id = _at_care_planning(admit, sessions, world, clock, settings)
    client = browser_for("nurse.a")
    drawing.clear_cache()  # drawn now, so Graphviz's own logging is in the record too
    with caplog.at_level(logging.DEBUG):
        r = client.get(f"/pathway?resident={resident_id}")
    assert r.status_code == 200
    # No patient identifiers in the server's logs (httpx is the test's own client, logging
    # the address it asked for; the product runs uvicorn with access logs off).
    served = [rec.getMessage() for rec in caplog.records if rec.name != "httpx"]
    assert served and not [m for m in served if str(resident_id) in m]
    with sessions() as s:
        resident = s.get(Resident, resident_id)
        assert resident is not None
        name = resident.display_name
    assert f"Where {name} is on the pathway" in r.text
    # In the drawing: the stage and the step open now, by fill and in words.
    svg = svg_part(r.text)
    assert "Current stage" in svg
    pcsp = node_with(svg, "Personalised care and support plan")
    assert "Open now" in pcsp and drawing.CURRENT_FILL in pcsp
    done = node_with(svg, "Person-centred holistic assessment")
    assert "Done" in done and drawing.DONE_FILL in done
    # In words.
    text = _text(r.text)
    assert 'id="current-stage">Care planning' in text
    assert 'id="position-open">Personalised care and support plan<' in text
    assert 'id="position-done">Person-centred holistic assessment<' in text
    care_planning = _section(text, "stage-care_planning")
    assert "Current stage" in care_planning
    assert "Open now" in care_planning.split('id="row-pcsp"')[1]
    assert "Done" in _section(text, "stage-assessment").split('id="row-holistic_assessment"')[1]
    assert "Current stage" not in _section(text, "stage-assessment")
    assert 'id="journey-version">Version 1, the current version<' in text
    assert f'href="/residents/{resident_id}"' in text  # back to their record
    # Who looked is audited, as for the resident's own page.
    with sessions() as s:
        seen = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "pathway.position.view")).all()
        assert [(e.resident_id, e.user_id, e.channel) for e in seen] == [
            (resident_id, world.users["nurse.a"].id, "web")]
    # The drawing on its own is the same highlighted drawing.
    alone = client.get(f"/pathway/drawing.svg?resident={resident_id}")
    assert alone.status_code == 200 and alone.headers["content-type"] == "image/svg+xml"
    assert "Open now" in node_with(alone.text, "Personalised care and support plan")


def test_a_resident_in_hospital_is_on_no_stage_and_nothing_is_open(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
    clock: FrozenClock, settings: Settings,
) -> None:
    resident_id = _at_care_planning(admit, sessions, world, clock, settings)
    with sessions() as s, s.begin():
        residents.record_hospital_stay(s, load_actor(s, world.users["staff.a"]), resident_id,
                                       HospitalStayIn(admitted_on=clock.now().date()),
                                       clock.now())
    r = browser_for("staff.a").get(f"/pathway?resident={resident_id}")
    assert r.status_code == 200
    text = _text(r.text)
    assert 'id="current-stage">In hospital' in text
    assert "Not a stage of the pathway" in text
    # The PCSP was cancelled; the hospital stay is an episode of its own, and a return starts
    # the stages again with new steps, so nothing of the care-home stay is marked.
    assert 'id="position-open">Nothing<' in text
    assert 'id="position-done">Nothing<' in text
    assert "Current stage" not in svg_part(r.text) and "Open now" not in svg_part(r.text)
    assert "Highlighted: the current stage, In hospital" in svg_part(r.text)


def test_the_resident_page_links_to_where_they_are(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session],
) -> None:
    resident_id = admit()
    page = browser_for("staff.a").get(f"/residents/{resident_id}").text
    with sessions() as s:
        resident = s.get(Resident, resident_id)
        assert resident is not None
        name = resident.display_name
    assert (f'<a href="/pathway?resident={resident_id}" id="pathway-link">'
            f"Where {name} is on the pathway</a>") in page
    assert 'href="/pathway"' in page  # and every page's footer links to the pathway


def test_a_resident_of_another_home_is_not_found(
    browser_for: Browser, admit: Admit, sessions: sessionmaker[Session], world: World,
    clock: FrozenClock, settings: Settings,
) -> None:
    elsewhere = _at_care_planning(admit, sessions, world, clock, settings, home="b")
    client = browser_for("nurse.a")  # serves home A only
    for path in (f"/pathway?resident={elsewhere}", f"/pathway/drawing.svg?resident={elsewhere}",
                 f"/pathway?resident={uuid.uuid4()}", "/pathway?resident=not-an-id"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Care planning" not in r.text and "app-pathway-drawing" not in r.text
    with sessions() as s:
        assert not s.scalars(select(AuditEvent).where(
            AuditEvent.action == "pathway.position.view")).all()
    assert browser_for("nurse.b").get(f"/pathway?resident={elsewhere}").status_code == 200


def test_signed_out_is_sent_to_sign_in(make_client: Callable[[], TestClient]) -> None:
    r = make_client().get("/pathway")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/pathway"


def test_a_trial_version_shows_its_inserted_step(browser_for: Browser) -> None:
    client = browser_for("coord")
    title = step_type(INSERTED).title
    before = svg_part(client.get("/pathway").text).count(title)
    with trial_pathway():
        r = client.get("/pathway")
        assert r.status_code == 200
        assert f'id="version-number">{TRIAL}<' in r.text
        assert "Trial: a structured medication review after the PCSP" in r.text
        # Drawn in its stage (the drawing had it once, among what a round opens)...
        assert svg_part(r.text).count(title) == before + 1
        # ...and written out there, after the PCSP.
        care_planning = _section(_text(r.text), "stage-care_planning")
        assert care_planning.index("Personalised care and support plan") < care_planning.index(
            title)
        assert 'href="/pathway?version=1"' in r.text
        older = client.get("/pathway?version=1").text
        assert title not in _section(_text(older), "stage-care_planning")
        assert "Not current" in older and f"version {TRIAL} is current" in older
    assert client.get(f"/pathway?version={TRIAL}").status_code == 404
    assert client.get("/pathway?version=first").status_code == 404


def test_without_graphviz_the_page_is_text_only(
    browser_for: Browser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = browser_for("lead")
    drawing.clear_cache()
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    try:
        r = client.get("/pathway")
        assert r.status_code == 200
        assert "app-pathway-drawing__svg" not in r.text
        assert 'id="no-drawing"' in r.text and "Graphviz is not installed" in r.text
        assert "Person-centred holistic assessment" in _section(r.text, "stage-assessment")
        assert client.get("/pathway/drawing.svg").status_code == 503
    finally:
        drawing.clear_cache()

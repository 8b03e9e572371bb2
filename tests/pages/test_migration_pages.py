"""Moving running journeys to another pathway version from the pages (issue 9.4): the versions
and how many journeys follow each, a dry run journey by journey that writes nothing, the apply
(recorded, only the journeys chosen, idempotent), limits to a home or a list, who may, the form's
errors, and the plain message when only one version is installed."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.audit.models import AuditEvent
from care.clock import FrozenClock
from care.directory.access import load_actor
from care.errors import Conflict
from care.journeys import migration
from care.journeys import service as journeys
from care.journeys.migration import MIGRATING_ROLES
from care.journeys.models import Journey, JourneyEvent, PathwayMigration, Step, StepStatus
from care.residents.models import Resident
from care.settings import Settings
from care.types import Profession, Role
from tests.factories import ASSESSMENT, PCSP, World, make_user
from tests.pages.conftest import csrf_from, sign_in
from tests.pathway_trial import RECONCILE, trial_pathway

Browser = Callable[[str], TestClient]
Admit = Callable[..., uuid.UUID]
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
REASON = "Pilot: reconcile medicines after the assessment"


@pytest.fixture
def trial() -> Iterator[None]:
    with trial_pathway():
        yield


def _complete(sessions: sessionmaker[Session], world: World, resident_id: uuid.UUID,
              kind: str, outcome: dict[str, object], who: str, clock: FrozenClock,
              settings: Settings) -> None:
    with sessions() as s, s.begin():
        step = s.scalars(select(Step).where(Step.resident_id == resident_id, Step.kind == kind,
                                            Step.status == StepStatus.READY)).one()
        journeys.complete_step(s, load_actor(s, world.users[who]), step.id, outcome,
                               clock.now(), settings)


@pytest.fixture
def residents_at(
    admit: Admit, world: World, sessions: sessionmaker[Session], clock: FrozenClock,
    settings: Settings,
) -> dict[str, uuid.UUID]:
    """Home A: one resident being assessed, one whose care plan is open, one under MDT care;
    home B: one whose care plan is open. Names the residents, by where they are."""
    ids = {
        "assessing": admit(given_name="Ada", family_name="Assessing"),
        "planning": admit(given_name="Peg", family_name="Planning"),
        "planned": admit(given_name="Pat", family_name="Planned"),
        "other": admit(given_name="Una", family_name="Unchosen"),
        "home_b": admit(home="b", given_name="Bea", family_name="Bhome"),
    }
    for name in ("planning", "planned", "other"):
        _complete(sessions, world, ids[name], AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT,
                  "nurse.a", clock, settings)
    _complete(sessions, world, ids["planned"], AssessmentStep.PCSP, PCSP, "gp.a", clock,
              settings)
    _complete(sessions, world, ids["home_b"], AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT,
              "nurse.b", clock, settings)
    return ids


def _journey(sessions: sessionmaker[Session], resident_id: uuid.UUID) -> uuid.UUID:
    with sessions() as s:
        return s.scalars(select(Journey.id).where(Journey.resident_id == resident_id)).one()


def _versions(sessions: sessionmaker[Session]) -> dict[uuid.UUID, int]:
    """Each resident's journey's pathway version."""
    with sessions() as s:
        rows = s.execute(select(Journey.resident_id, Journey.pathway_version)).tuples()
        return {resident_id: version for resident_id, version in rows}


def _written(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """What a migration writes: migrations, 'moved' timeline events, trial steps."""
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(PathwayMigration)) or 0,
                s.scalar(select(func.count()).select_from(JourneyEvent).where(
                    JourneyEvent.kind == "pathway.migrated")) or 0,
                s.scalar(select(func.count()).select_from(Step).where(
                    Step.kind == RECONCILE)) or 0)


def _row(page: str, journey_id: uuid.UUID) -> str:
    start = page.index(f'id="journey-{journey_id}"')
    return html.unescape(page[start:page.index("</tr>", start)])


def _carried(page: str) -> dict[str, str]:
    """The apply form's hidden inputs (the choice the preview was made for)."""
    form = page[page.index('id="apply-form"'):]
    return {name: html.unescape(value) for name, value in HIDDEN.findall(form)}


def _preview(browser: TestClient, **fields: str) -> tuple[str, httpx.Response]:
    token = csrf_from(browser.get("/pathway/migrations").text)
    r = browser.post("/pathway/migrations/preview", data={"csrf_token": token, **fields})
    return token, r


def test_with_one_version_installed_the_page_says_so_and_offers_no_form(
    browser_for: Browser, admit: Admit,
) -> None:
    admit(), admit(home="b")
    for who in ("lead", "admin"):
        r = browser_for(who).get("/pathway/migrations")
        assert r.status_code == 200
        assert "Only version 1 of the pathway is installed" in r.text
        assert 'action="/pathway/migrations/preview"' not in r.text
        assert re.search(r'id="following-1">2<', r.text)
        assert "No journeys have been moved between versions yet" in r.text


def test_the_pathway_page_links_to_it_only_for_those_who_may_migrate(
    browser_for: Browser, world: World,
) -> None:
    for who, user in world.users.items():
        page = browser_for(who).get("/pathway").text
        assert ('href="/pathway/migrations"' in page) == (user.role in MIGRATING_ROLES), who


def test_the_preview_lists_each_journeys_change_and_writes_nothing(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    trial: None,
) -> None:
    ids = {name: _journey(sessions, r) for name, r in residents_at.items()}
    lead = browser_for("lead")
    page = lead.get("/pathway/migrations")
    assert page.status_code == 200 and "Only version 1" not in page.text
    assert 'name="version" type="radio" value="2"' in page.text
    assert re.search(r'id="following-1">5<', page.text)
    assert re.search(r'id="following-2">0<', page.text)
    chosen = [ids["assessing"], ids["planning"], ids["planned"]]
    _, r = _preview(lead, version="2", scope="journeys", reason=REASON,
                    journey_ids="\n".join(str(j) for j in chosen))
    assert r.status_code == 200, r.text
    text = r.text
    assert "Move 3 journeys to version 2" in text
    # Assessment done, care plan open: the inserted step opens, in the assessment stage.
    planning = _row(text, ids["planning"])
    assert f'href="/residents/{residents_at["planning"]}">Peg Planning</a>' in planning
    assert "Home A" in planning and "1 to 2" in planning
    assert "Opens: Medicines reconciliation" in planning
    assert "From care planning to holistic assessment" in planning
    # Past the care plan: the inserted step is recorded as skipped, never opened late.
    planned = _row(text, ids["planned"])
    assert "Skipped, as the journey had passed it: Medicines reconciliation" in planned
    assert "Stays at under MDT care" in planned and "Opens" not in planned
    # Still being assessed: nothing now; the new step opens after the assessment.
    assessing = _row(text, ids["assessing"])
    assert "Nothing opens or closes now" in assessing
    assert f'id="journey-{ids["other"]}"' not in text
    assert f'id="journey-{ids["home_b"]}"' not in text
    for key, n in (("journeys", 3), ("move", 3), ("already", 0), ("opens", 1), ("skips", 1),
                   ("closes", 0)):
        assert re.search(rf'id="total-{key}">{n}<', text), key
    assert "Apply to these 3 journeys" in text
    carried = _carried(text)
    assert carried["version"] == "2" and carried["scope"] == "journeys"
    assert carried["reason"] == REASON
    assert set(carried["journey_ids"].split()) == {str(j) for j in chosen}

    assert _written(sessions) == (0, 0, 0)
    assert set(_versions(sessions).values()) == {1}
    with sessions() as s:  # who was shown in the list is audited (invariant 8)
        seen = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "pathway.migration_preview")).one()
        assert seen.after == {"resident_ids": sorted(
            str(residents_at[n]) for n in ("assessing", "planning", "planned"))}


def test_applying_moves_only_the_journeys_chosen_records_it_and_is_idempotent(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    world: World, trial: None,
) -> None:
    ids = {name: _journey(sessions, r) for name, r in residents_at.items()}
    chosen = ("assessing", "planning", "planned")
    lead = browser_for("lead")
    token, preview = _preview(lead, version="2", scope="journeys", reason=REASON,
                              journey_ids=", ".join(str(ids[n]) for n in chosen))
    carried = _carried(preview.text)

    done = lead.post("/pathway/migrations", data={"csrf_token": token, **carried})
    assert done.status_code == 303
    location = done.headers["location"]
    migration_id = uuid.UUID(location.rsplit("/", 1)[1])
    assert location == f"/pathway/migrations/{migration_id}"
    versions = _versions(sessions)
    assert {n: versions[residents_at[n]] for n in residents_at} == {
        "assessing": 2, "planning": 2, "planned": 2, "other": 1, "home_b": 1}
    with sessions() as s:
        saved = s.get(PathwayMigration, migration_id)
        assert saved is not None and saved.actor_id == world.users["lead"].id
        assert saved.reason == REASON and saved.to_version == 2
        assert saved.results == {"journeys": 3, "moved": 3, "unchanged": 0, "failed": []}
        assert s.scalars(select(Step.status).where(
            Step.journey_id == ids["planning"], Step.kind == RECONCILE)).one() \
            == StepStatus.READY
        assert s.scalars(select(Step.status).where(
            Step.journey_id == ids["planned"], Step.kind == RECONCILE)).one() \
            == StepStatus.SKIPPED

    page = lead.get(location)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Version 2 applied: 3 journeys moved, 0 already on version 2." in text
    assert REASON in text and "Lead" in text and "3 journeys listed" in text
    assert "3 moved to version 2" in text and "0 could not be moved" in text
    assert "Opened: Medicines reconciliation" in _row(page.text, ids["planning"])
    assert "Skipped, as the journey had passed it" in _row(page.text, ids["planned"])
    assert "changed nothing" not in text

    # The same again (a second click, the back button): recorded, and nothing changes.
    before = _written(sessions)
    again = lead.post("/pathway/migrations", data={"csrf_token": token, **carried})
    assert again.status_code == 303 and again.headers["location"] != location
    after = _written(sessions)
    assert after == (before[0] + 1, before[1], before[2])
    second = html.unescape(lead.get(again.headers["location"]).text)
    assert "0 journeys moved, 3 already on version 2" in second
    assert "This migration changed nothing: every journey it covered was already on " \
        "version 2" in second
    for name in chosen:
        assert f'id="unchanged-{ids[name]}"' in second
    history = html.unescape(lead.get("/pathway/migrations").text)
    assert "3 moved, 0 already on version 2, 0 failed" in history
    assert "0 moved, 3 already on version 2, 0 failed" in history
    assert re.search(r'id="following-2">3<', history)


def test_a_migration_limited_to_one_home_moves_only_its_journeys(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    world: World, trial: None,
) -> None:
    home_b = _journey(sessions, residents_at["home_b"])
    admin = browser_for("admin")
    token, preview = _preview(admin, version="2", scope="home", home_id=str(world.home_b.id),
                              reason="Home B pilots it first")
    text = preview.text
    assert preview.status_code == 200
    assert "Move 1 journey to version 2" in text and "Every journey in Home B" in text
    assert "Opens: Medicines reconciliation" in _row(text, home_b)
    assert text.count('id="journey-') == 1
    done = admin.post("/pathway/migrations", data={"csrf_token": token, **_carried(text)})
    assert done.status_code == 303
    versions = _versions(sessions)
    assert {r: versions[r] for r in residents_at.values()} == {
        r: 2 if name == "home_b" else 1 for name, r in residents_at.items()}
    record = html.unescape(admin.get(done.headers["location"]).text)
    assert "Every journey in Home B" in record and "Bea Bhome" in record


def test_only_the_clinical_lead_and_admins_may(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    trial: None,
) -> None:
    lead = browser_for("lead")
    token, preview = _preview(lead, version="2", scope="all", reason=REASON)
    done = lead.post("/pathway/migrations", data={"csrf_token": token, **_carried(preview.text)})
    record = done.headers["location"]
    moved = _written(sessions)
    for who in ("coord", "nurse.a", "staff.a"):
        browser = browser_for(who)
        token = csrf_from(browser.get("/my-work").text)
        body = {"csrf_token": token, "version": "2", "scope": "all", "reason": REASON}
        for r in (browser.get("/pathway/migrations"), browser.get(record),
                  browser.post("/pathway/migrations/preview", data=body),
                  browser.post("/pathway/migrations", data=body)):
            assert r.status_code == 403, (who, r.request.url)
            assert "You cannot do this" in r.text
            assert "may not move journeys to another pathway version" in r.text
    assert _written(sessions) == moved


def test_the_forms_errors_are_shown_on_the_form_and_nothing_is_written(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    world: World, make_client: Callable[[], TestClient], trial: None,
) -> None:
    lead = browser_for("lead")
    in_a = _journey(sessions, residents_at["planning"])
    cases: list[tuple[dict[str, str], dict[str, str]]] = [
        ({}, {"version": "Select the version to move journeys to",
              "scope": "Select which journeys to move",
              "reason": "Enter why you are moving these journeys"}),
        ({"version": "7", "scope": "all", "reason": "No"},
         {"version": "Select a version that is installed",
          "reason": "Enter why you are moving these journeys (at least 5 characters)"}),
        ({"version": "7", "scope": "all", "reason": REASON},
         {"version": "Select a version that is installed"}),
        ({"version": "²", "scope": "all", "reason": REASON},
         {"version": "Select the version to move journeys to"}),
        ({"version": "2", "scope": "home", "reason": REASON},
         {"home_id": "Select the care home"}),
        ({"version": "2", "scope": "journeys", "reason": REASON, "journey_ids": " "},
         {"journey_ids": "Enter the ids of the journeys to move"}),
        ({"version": "2", "scope": "journeys", "reason": REASON,
          "journey_ids": f"{in_a}\nnot-an-id"},
         {"journey_ids": "“not-an-id” is not a journey id"}),
        ({"version": "2", "scope": "journeys", "reason": REASON,
          "journey_ids": f"{in_a} {uuid.uuid4()}"},
         {"journey_ids": "1 of the journeys are not active journeys in homes you serve"}),
    ]
    token = csrf_from(lead.get("/pathway/migrations").text)
    for action in ("/pathway/migrations/preview", "/pathway/migrations"):
        for fields, expected in cases:
            r = lead.post(action, data={"csrf_token": token, **fields})
            assert r.status_code == 422, (action, fields)
            assert "nhsuk-error-summary" in r.text and r.text.count("<title>Error: ") == 1
            summary = r.text[r.text.index("nhsuk-error-summary"):r.text.index("</ul>",
                              r.text.index("nhsuk-error-summary"))]
            for input_id, message in expected.items():
                assert f'href="#{input_id}"' in summary, (fields, input_id)
                assert message in html.unescape(summary), (fields, message)
                assert f'id="{input_id}-error"' in r.text, (fields, input_id)
            # What was typed is kept.
            if fields.get("reason"):
                assert html.escape(fields["reason"]) in r.text

    # A clinical lead serving only home B can neither name home A nor its journeys.
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "lead.b", Role.CLINICAL_LEAD, Profession.GP, [world.home_b])
    lead_b = sign_in(make_client(), "lead.b")
    token = csrf_from(lead_b.get("/pathway/migrations").text)
    for fields, input_id, message in (
            ({"scope": "home", "home_id": str(world.home_a.id)}, "home_id",
             "Select a care home you serve"),
            ({"scope": "journeys", "journey_ids": str(in_a)}, "journey_ids",
             "1 of the journeys are not active journeys in homes you serve")):
        for action in ("/pathway/migrations/preview", "/pathway/migrations"):
            r = lead_b.post(action, data={"csrf_token": token, "version": "2",
                                          "reason": REASON, **fields})
            assert r.status_code == 422 and f'id="{input_id}-error"' in r.text
            assert message in html.unescape(r.text)
    assert _written(sessions) == (0, 0, 0)
    assert set(_versions(sessions).values()) == {1}


def test_a_record_names_only_residents_of_homes_the_reader_serves(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    world: World, make_client: Callable[[], TestClient], trial: None,
) -> None:
    lead = browser_for("lead")
    token, preview = _preview(lead, version="2", scope="all", reason=REASON)
    done = lead.post("/pathway/migrations", data={"csrf_token": token, **_carried(preview.text)})
    with sessions() as s, s.begin():
        make_user(s, world.pcn, "lead.b", Role.CLINICAL_LEAD, Profession.GP, [world.home_b])
        names = {r.id: r.display_name for r in s.scalars(select(Resident))}
    record = html.unescape(sign_in(make_client(), "lead.b").get(done.headers["location"]).text)
    assert names[residents_at["home_b"]] in record
    for name in ("assessing", "planning", "planned", "other"):
        assert names[residents_at[name]] not in record
    assert "4 journeys of this migration are in homes you do not serve" in record
    assert "Every journey in the homes Lead serves" in record
    assert sign_in(make_client(), "admin").get(
        f"/pathway/migrations/{uuid.uuid4()}").status_code == 404


def test_a_journey_that_cannot_be_moved_is_reported_and_the_others_move(
    browser_for: Browser, residents_at: dict[str, uuid.UUID], sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch, trial: None,
) -> None:
    broken = _journey(sessions, residents_at["planning"])
    real = migration.migrate_journey

    def migrate(session: Session, user: Any, journey_id: uuid.UUID, *args: Any) -> Any:
        if journey_id == broken:
            raise Conflict("the journey changed while it was being moved")
        return real(session, user, journey_id, *args)

    monkeypatch.setattr(migration, "migrate_journey", migrate)
    lead = browser_for("lead")
    token, preview = _preview(lead, version="2", scope="home",
                              home_id=str(_home_of(sessions, broken)), reason=REASON)
    done = lead.post("/pathway/migrations", data={"csrf_token": token, **_carried(preview.text)})
    assert done.status_code == 303
    versions = _versions(sessions)
    assert versions[residents_at["planning"]] == 1
    assert {versions[residents_at[n]] for n in ("assessing", "planned", "other")} == {2}
    record = lead.get(done.headers["location"])
    text = html.unescape(record.text)
    assert "Version 2 applied: 3 journeys moved, 0 already on version 2, 1 could not be " \
        "moved." in text
    failed = text[text.index(f'id="failed-{broken}"'):]
    assert "Peg Planning" in failed[:failed.index("</tr>")]
    assert "the journey changed while it was being moved" in failed[:failed.index("</tr>")]
    assert "1 could not be moved" in text
    assert f'id="journey-{broken}"' not in record.text


def _home_of(sessions: sessionmaker[Session], journey_id: uuid.UUID) -> uuid.UUID:
    with sessions() as s:
        return s.scalars(select(Journey.home_id).where(Journey.id == journey_id)).one()

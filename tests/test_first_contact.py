"""The PCSP's first contact is a coded choice (issue 8, item 6): only a code steers the route,
legacy free text never does (it waits for the clinical lead's review), a named clinician is
told at once; and the form no longer claims a DNACPR record exists elsewhere (item 5)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.assessments import service as assessments
from care.assessments.kinds import AssessmentStep
from care.assessments.models import CarePlan, FirstContactReview
from care.assessments.rules import contact_words
from care.assessments.schemas import (
    EscalationWishes,
    FirstContactResolutionIn,
    PcspOutcome,
    PreferredContact,
)
from care.audit.models import AuditEvent
from care.deterioration import service
from care.deterioration.kinds import DeteriorationStep
from care.deterioration.recording import first_responder, wishes_of
from care.deterioration.routes import Responder, Situation, Urgency, route
from care.deterioration.schemas import ObservationsIn
from care.directory.access import load_actor
from care.directory.models import User
from care.errors import Conflict, Forbidden, InvalidInput, NotFound
from care.journeys import service as journeys
from care.journeys.models import Notification, Step, StepStatus
from care.journeys.registry import step_type
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.rounds.models import ResidentEvent, ResidentEventKind
from care.settings import Settings
from care.types import Profession, Role
from tests.factories import ASSESSMENT, PCSP, World, admission, make_home, make_user

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")
NORMAL = {"respiration_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 130,
          "pulse": 72, "consciousness": "alert", "temperature": 36.8}
CONCERN = {**NORMAL, "carer_concerned": True, "soft_signs": ["not_themselves"]}
CLINICIAN = uuid.UUID("7b0f0e8e-1111-4111-8111-111111111111")


def plan(contact: Any, named: uuid.UUID | None = None) -> CarePlan:
    wishes: dict[str, Any] = {"hospital_admission": "discuss_first", "preferred_contact": contact}
    if named is not None:
        wishes["named_clinician_id"] = str(named)
    return CarePlan(version=3, escalation_wishes=wishes, goals=[], actions=[])


# ---------------------------------------------------------------- pure: what the route reads


@pytest.mark.parametrize(
    ("contact", "profession", "first"),
    [
        ("gp", None, Responder.GP),
        ("palliative_care_team", None, Responder.PALLIATIVE_CARE),
        ("urgent_community_response", None, Responder.URGENT_COMMUNITY_RESPONSE),
        ("named_clinician", Profession.GP, Responder.GP),
        ("named_clinician", Profession.PALLIATIVE_CARE, Responder.PALLIATIVE_CARE),
        ("named_clinician", Profession.COMMUNITY_MATRON, Responder.COMMUNITY_MATRON),
        ("named_clinician", Profession.URGENT_COMMUNITY_RESPONSE,
         Responder.URGENT_COMMUNITY_RESPONSE),
        ("named_clinician", Profession.DIETITIAN, Responder.GP),  # no responder of their own
        ("named_clinician", None, Responder.GP),  # not in the directory: the GP
        (None, None, None),
        # Legacy free text is never read, whatever it says: the route's default applies.
        ("not GP", None, None),
        ("not GP, call Dr Smith", None, None),
        ("GP", None, None),
        ("gp surgery", None, None),
        ("palliative", None, None),
        ("Palliative care team", None, None),
        ("daughter, then GP", None, None),
    ],
)
def test_wishes_of_reads_only_codes(contact: Any, profession: Profession | None,
                                    first: Responder | None) -> None:
    named = CLINICIAN if contact == "named_clinician" else None
    wishes, snapshot = wishes_of(plan(contact, named), named_profession=profession)
    assert wishes.preferred_contact == first
    # The snapshot keeps what the plan said, word for word, for the record and the page.
    assert snapshot["preferred_contact"] == contact and snapshot["pcsp_version"] == 3


def test_no_plan_is_no_wishes() -> None:
    wishes, snapshot = wishes_of(None)
    assert wishes.preferred_contact is None and snapshot == {"recorded": False}


@pytest.mark.parametrize("text", ["not GP", "GP", "palliative", "not palliative, GP please"])
@pytest.mark.parametrize(("end_of_life", "first"),
                         [(False, Responder.GP), (True, Responder.PALLIATIVE_CARE)])
def test_free_text_leaves_the_default_route(text: str, end_of_life: bool,
                                            first: Responder) -> None:
    wishes, _ = wishes_of(plan(text))
    chosen = route(Situation(news2_total=0, carer_concerned=True, end_of_life_care=end_of_life),
                   wishes)
    assert chosen.urgency == Urgency.SAME_DAY and chosen.ladder[0] == first


def test_first_responder_of_every_code_is_defined() -> None:
    for code in PreferredContact:
        assert first_responder(code) is not None


@pytest.mark.parametrize(
    ("wishes", "name", "words"),
    [
        ({"preferred_contact": "gp"}, None, "GP"),
        ({"preferred_contact": "palliative_care_team"}, None, "Palliative care team"),
        ({"preferred_contact": "urgent_community_response"}, None,
         "Urgent community response team"),
        ({"preferred_contact": "named_clinician", "named_clinician_id": str(CLINICIAN)},
         "Dr Jones", "Dr Jones (named clinician)"),
        ({"preferred_contact": "named_clinician"}, None, "A named clinician"),
        ({"preferred_contact": None}, None, None),
        ({}, None, None),
        ({"preferred_contact": "not GP"}, None,
         "First contact recorded as free text, awaiting the clinical lead's review: 'not GP'"),
    ],
)
def test_contact_words_show_the_label_never_the_code(
    wishes: dict[str, Any], name: str | None, words: str | None,
) -> None:
    assert contact_words(wishes, name) == words


# ---------------------------------------------------------------- the form refuses free text


def test_free_text_is_refused_with_the_choices_named() -> None:
    with pytest.raises(ValidationError) as caught:
        EscalationWishes.model_validate({"hospital_admission": "no",
                                         "preferred_contact": "not GP"})
    [error] = caught.value.errors()
    assert error["loc"] == ("preferred_contact",)
    message = error["msg"]
    for code in PreferredContact:
        assert f"'{code.value}'" in message
    assert "free text is not accepted" in message and "notes" in message


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"preferred_contact": "named_clinician"}, "named_clinician_id", "is required"),
        ({"preferred_contact": "gp", "named_clinician_id": str(CLINICIAN)},
         "named_clinician_id", "only for a named clinician"),
        ({"named_clinician_id": str(CLINICIAN)}, "named_clinician_id",
         "only for a named clinician"),
        ({"preferred_contact": ["gp"]}, "preferred_contact", "must be one of"),
    ],
)
def test_named_clinician_id_goes_with_that_choice_only(
    body: dict[str, Any], field: str, reason: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        EscalationWishes.model_validate({"hospital_admission": "no", **body})
    [error] = caught.value.errors()
    assert error["loc"] == (field,) and reason in error["msg"]


def test_codes_are_accepted() -> None:
    for code in PreferredContact:
        extra = {"named_clinician_id": str(CLINICIAN)} if code == "named_clinician" else {}
        wishes = EscalationWishes.model_validate({"hospital_admission": "yes",
                                                  "preferred_contact": code.value, **extra})
        assert wishes.preferred_contact == code
    assert EscalationWishes.model_validate({"hospital_admission": "yes"}).preferred_contact is None


def test_outcome_schema_no_longer_claims_a_dnacpr_record() -> None:
    schema = json.dumps(step_type(AssessmentStep.PCSP).outcome_schema())
    assert "recorded separately" not in schema and "recorded elsewhere" not in schema
    assert "does not yet hold CPR or ReSPECT decisions" in schema
    assert "ReSPECT form or DNACPR record held by the home" in schema
    assert EscalationWishes.__doc__ is not None and "DNACPR" not in EscalationWishes.__doc__
    contact = PcspOutcome.model_json_schema()["$defs"]["PreferredContact"]
    assert contact["enum"] == [c.value for c in PreferredContact]


# ---------------------------------------------------------------- on the database


@pytest.fixture
def team(responders: dict[str, User]) -> dict[str, User]:
    """The urgent community response team, a matron and the palliative care team of home A."""
    return responders


def admit_planned(s: Session, world: World, settings: Settings,
                  wishes: dict[str, Any]) -> uuid.UUID:
    """A resident of home A admitted a month ago, with an assessment and a PCSP."""
    staff = load_actor(s, world.users["staff.a"])
    resident, _ = residents.admit(
        s, staff, AdmissionIn(**admission(world.home_a.id, date(2026, 10, 5))),
        NOW - timedelta(days=30), settings)
    nurse = load_actor(s, world.users["nurse.a"])
    pcsp = {**PCSP, "escalation_wishes": {"hospital_admission": "discuss_first", **wishes}}
    for kind, outcome in ((AssessmentStep.HOLISTIC_ASSESSMENT, ASSESSMENT),
                          (AssessmentStep.PCSP, pcsp)):
        step = s.scalars(select(Step).where(Step.resident_id == resident.id,
                                            Step.kind == kind)).one()
        journeys.complete_step(s, nurse, step.id, outcome, NOW - timedelta(days=28), settings)
    return resident.id


def legacy_plan(s: Session, world: World, settings: Settings, text: str) -> uuid.UUID:
    """A resident whose current PCSP holds first-contact words written before the codes, with
    the review the migration opened for it."""
    rid = admit_planned(s, world, settings, {"preferred_contact": "gp"})
    current = assessments.current_plan(s, rid)
    assert current is not None
    old = CarePlan(resident_id=rid, version=current.version + 1, goals=current.goals,
                   actions=current.actions,
                   escalation_wishes={"hospital_admission": "discuss_first",
                                      "preferred_contact": text},
                   agreed_with="resident and son", review_date=current.review_date,
                   created_by_id=world.users["nurse.a"].id, created_at=NOW - timedelta(days=20),
                   change_reason="written before the first contact was coded")
    s.add(old)
    s.flush()
    s.add(FirstContactReview(resident_id=rid, care_plan_id=old.id,
                             care_plan_version=old.version, original_text=text,
                             opened_at=NOW - timedelta(days=1)))
    s.flush()
    return rid


def concern(s: Session, world: World, rid: uuid.UUID, at: datetime = NOW) -> Any:
    actor = load_actor(s, world.users["staff.a"])
    return service.record_observations(s, actor, rid, ObservationsIn(**CONCERN), at)


def urgent_steps(s: Session, rid: uuid.UUID) -> list[Step]:
    return list(s.scalars(select(Step).where(
        Step.resident_id == rid, Step.kind == DeteriorationStep.URGENT_RESPONSE,
        Step.status.in_([StepStatus.READY, StepStatus.CLAIMED]))))


def test_urgent_community_response_plan_routes_a_same_day_concern_to_that_team_first(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings,
                            {"preferred_contact": "urgent_community_response"})
    with sessions() as s, s.begin():
        recorded = concern(s, world, rid)
    assert recorded.route.urgency == Urgency.SAME_DAY
    assert recorded.route.ladder[0] == Responder.URGENT_COMMUNITY_RESPONSE
    with sessions() as s:
        [step] = urgent_steps(s, rid)
        assert step.candidate_profession == Profession.URGENT_COMMUNITY_RESPONSE.value


def test_free_text_plan_takes_the_default_route_and_the_sbard_says_why(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        # Once routed to the GP by finding "gp" in the words, and to palliative care by
        # finding "palliative": now neither is read.
        not_gp = legacy_plan(s, world, settings, "not GP, call Dr Smith")
        palliative = legacy_plan(s, world, settings, "palliative")
        dying = legacy_plan(s, world, settings, "GP")
        s.add(ResidentEvent(resident_id=dying, kind=ResidentEventKind.END_OF_LIFE,
                            on=date(2026, 11, 1), recorded_by_id=world.users["gp.a"].id,
                            created_at=NOW - timedelta(days=9)))
    with sessions() as s, s.begin():
        a, b, c = (concern(s, world, rid) for rid in (not_gp, palliative, dying))
    assert a.route.ladder[0] == Responder.GP
    assert b.route.ladder[0] == Responder.GP  # not the palliative team: the words are not read
    assert c.route.ladder[0] == Responder.PALLIATIVE_CARE  # end of life: the default
    assert a.deterioration is not None
    background = a.deterioration.sbard["background"]
    assert ("First contact recorded as free text, awaiting the clinical lead's review: "
            "'not GP, call Dr Smith'.") in background
    assert "Contact first" not in background
    assert a.deterioration.wishes["preferred_contact"] == "not GP, call Dr Smith"


def test_coded_contact_is_shown_in_words_in_the_sbard(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, {"preferred_contact": "palliative_care_team"})
    with sessions() as s, s.begin():
        recorded = concern(s, world, rid)
        assert recorded.route.ladder[0] == Responder.PALLIATIVE_CARE
        assert "Contact first: Palliative care team." in recorded.deterioration.sbard[
            "background"]


def test_named_clinician_is_told_at_once_and_routes_by_profession(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    palliative = team["palliative"]
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, {"preferred_contact": "named_clinician",
                                                 "named_clinician_id": str(palliative.id)})
    with sessions() as s, s.begin():
        recorded = concern(s, world, rid)
    assert recorded.route.ladder[0] == Responder.PALLIATIVE_CARE
    with sessions() as s:
        [step] = urgent_steps(s, rid)
        told = s.scalars(select(Notification).where(
            Notification.user_id == palliative.id, Notification.step_id == step.id)).all()
        assert len(told) == 1 and told[0].kind == "urgent"  # once, though also the profession
        det = recorded.deterioration
        assert det is not None
        assert det.wishes["named_clinician_name"] == palliative.display_name
        assert f"Contact first: {palliative.display_name} (named clinician)." in det.sbard[
            "background"]


def test_named_gp_is_told_even_when_the_step_is_for_the_urgent_team(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    gp = world.users["gp.a"]
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, {"preferred_contact": "named_clinician",
                                                 "named_clinician_id": str(gp.id)})
    medium = {**NORMAL, "respiration_rate": 22, "spo2": 95, "pulse": 105, "temperature": 38.5}
    with sessions() as s, s.begin():
        actor = load_actor(s, world.users["staff.a"])
        recorded = service.record_observations(s, actor, rid, ObservationsIn(**medium), NOW)
    assert recorded.route.ladder[0] == Responder.URGENT_COMMUNITY_RESPONSE
    with sessions() as s:
        [step] = urgent_steps(s, rid)
        assert step.candidate_profession == "urgent_community_response"
        assert s.scalars(select(Notification).where(
            Notification.user_id == gp.id, Notification.step_id == step.id)).one()


def test_named_clinician_who_has_left_the_home_is_not_told(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    gp = world.users["gp.a"]
    with sessions() as s, s.begin():
        rid = admit_planned(s, world, settings, {"preferred_contact": "named_clinician",
                                                 "named_clinician_id": str(gp.id)})
        s.get(User, gp.id).active = False  # type: ignore[union-attr]
    with sessions() as s, s.begin():
        recorded = concern(s, world, rid)
    assert recorded.route.ladder[0] == Responder.GP  # their profession still routes
    with sessions() as s:
        assert not s.scalars(select(Notification).where(Notification.user_id == gp.id)).all()


@pytest.mark.parametrize("who", ["nurse.b", "staff.a", "inactive", "unknown"])
def test_named_clinician_must_be_an_active_clinician_serving_the_home(
    world: World, sessions: sessionmaker[Session], settings: Settings, who: str,
) -> None:
    with sessions() as s, s.begin():
        if who == "inactive":
            user = make_user(s, world.pcn, "gone.a", Role.MDT_MEMBER, Profession.GP,
                             [world.home_a])
            user.active = False
            clinician_id = user.id
        elif who == "unknown":
            clinician_id = uuid.uuid4()
        else:
            clinician_id = world.users[who].id  # serves home B only / not a clinician
    with sessions() as s, s.begin(), pytest.raises(InvalidInput) as caught:
        admit_planned(s, world, settings, {"preferred_contact": "named_clinician",
                                           "named_clinician_id": str(clinician_id)})
    assert caught.value.errors == [{
        "field": "outcome.escalation_wishes.named_clinician_id",
        "reason": "must be an active clinician serving the resident's care home"}]


# ---------------------------------------------------------------- the clinical lead's review


def test_resolving_makes_a_new_plan_version_and_leaves_the_old_one(
    world: World, sessions: sessionmaker[Session], settings: Settings, team: dict[str, User],
) -> None:
    with sessions() as s, s.begin():
        rid = legacy_plan(s, world, settings, "not GP, call Dr Smith")
        review = s.scalars(select(FirstContactReview)).one()
        old = assessments.current_plan(s, rid)
        assert old is not None
        old_id, old_version, review_id = old.id, old.version, review.id
    with sessions() as s, s.begin():
        lead = load_actor(s, world.users["lead"], channel="web")
        data = FirstContactResolutionIn(preferred_contact=PreferredContact.NAMED_CLINICIAN,
                                        named_clinician_id=team["matron"].id,
                                        reason="Dr Smith has retired; the family asked for "
                                               "the matron who knows her")
        _, new = assessments.resolve_first_contact_review(s, lead, review_id, data,
                                                           NOW)
        assert new.version == old_version + 1 and new.step_id is None
    with sessions() as s:
        kept = s.get(CarePlan, old_id)
        assert kept is not None
        assert kept.escalation_wishes["preferred_contact"] == "not GP, call Dr Smith"
        current = assessments.current_plan(s, rid)
        assert current is not None and current.version == old_version + 1
        assert current.escalation_wishes["preferred_contact"] == "named_clinician"
        assert current.escalation_wishes["named_clinician_id"] == str(team["matron"].id)
        assert current.escalation_wishes["hospital_admission"] == "discuss_first"
        assert current.goals == kept.goals and current.actions == kept.actions
        assert str(review_id) in (current.change_reason or "")
        assert "'not GP, call Dr Smith'" in (current.change_reason or "")
        review = s.get(FirstContactReview, review_id)
        assert review is not None and review.resolved_by_id == world.users["lead"].id
        assert review.resolution == PreferredContact.NAMED_CLINICIAN
        assert review.resolved_plan_version == current.version
        entry = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "first_contact_review.resolve")).one()
        assert entry.resident_id == rid and entry.channel == "web"
        assert entry.after is not None and entry.after["resolution"] == "named_clinician"
    with sessions() as s, s.begin():
        concern(s, world, rid)
        told = s.scalars(select(Notification).where(
            Notification.user_id == team["matron"].id)).all()
        assert told, "the named clinician hears of the urgent step at once"
    with sessions() as s, s.begin(), pytest.raises(Conflict):
        lead = load_actor(s, world.users["lead"])
        assessments.resolve_first_contact_review(s, lead, review_id, data, NOW)


@pytest.mark.parametrize(("who", "error"), [("coord", Forbidden), ("gp.a", Forbidden),
                                            ("nurse.b", NotFound), ("admin", Forbidden)])
def test_only_the_clinical_lead_resolves(
    world: World, sessions: sessionmaker[Session], settings: Settings, who: str,
    error: type[Exception],
) -> None:
    with sessions() as s, s.begin():
        legacy_plan(s, world, settings, "not GP")
        review_id = s.scalars(select(FirstContactReview.id)).one()
    data = FirstContactResolutionIn(preferred_contact=PreferredContact.GP, reason="asked")
    with sessions() as s, s.begin(), pytest.raises(error):
        assessments.resolve_first_contact_review(s, load_actor(s, world.users[who]),
                                                 review_id, data, NOW)


def test_lead_of_another_pcn_does_not_see_the_review(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    from care.directory.models import Pcn

    with sessions() as s, s.begin():
        legacy_plan(s, world, settings, "not GP")
        review_id = s.scalars(select(FirstContactReview.id)).one()
        other = Pcn(name="Other PCN", ods_code="U99999", practice_ods_codes=[])
        s.add(other)
        s.flush()
        elsewhere = make_home(s, other, "Home C")
        # Even serving home A (a membership by mistake), a lead of another PCN is out of scope.
        outsider = make_user(s, other, "lead.other", Role.CLINICAL_LEAD, Profession.GP,
                             [elsewhere, world.home_a])
    with sessions() as s:
        actor = load_actor(s, outsider)
        assert assessments.first_contact_reviews(s, actor) == []
        with pytest.raises(NotFound):
            assessments.get_first_contact_review(s, actor, review_id)
        lead = load_actor(s, world.users["lead"])
        assert [r.review.id for r in assessments.first_contact_reviews(s, lead)] == [review_id]


def test_a_new_pcsp_with_a_code_settles_the_review(
    world: World, sessions: sessionmaker[Session], settings: Settings,
) -> None:
    with sessions() as s, s.begin():
        rid = legacy_plan(s, world, settings, "not GP")
        review_id = s.scalars(select(FirstContactReview.id)).one()
        step = s.scalars(select(Step).where(Step.resident_id == rid,
                                            Step.kind == AssessmentStep.PCSP)).one()
        # A fresh plan agreed with the family (as after a re-admission): reopen the step.
        step.status, step.completed_at, step.assignee_id = StepStatus.READY, None, None
        s.execute(CarePlan.__table__.update().where(CarePlan.step_id == step.id)
                  .values(step_id=None))
    with sessions() as s, s.begin():
        nurse = load_actor(s, world.users["nurse.a"])
        journeys.complete_step(s, nurse, step.id, {**PCSP, "escalation_wishes": {
            "hospital_admission": "no", "preferred_contact": "palliative_care_team"}},
            NOW, settings)
    with sessions() as s:
        review = s.get(FirstContactReview, review_id)
        assert review is not None and review.resolved_at == NOW
        assert review.resolution == PreferredContact.PALLIATIVE_CARE_TEAM
        assert "Superseded by care plan version" in (review.resolution_reason or "")
        lead = load_actor(s, world.users["lead"])
        assert assessments.first_contact_reviews(s, lead) == []
        assert s.scalars(select(AuditEvent).where(
            AuditEvent.action == "first_contact_review.superseded")).one()
    data = FirstContactResolutionIn(preferred_contact=PreferredContact.GP, reason="asked")
    with sessions() as s, s.begin(), pytest.raises(Conflict):
        assessments.resolve_first_contact_review(s, load_actor(s, world.users["lead"]),
                                                 review_id, data, NOW)


def test_a_past_record_quotes_free_text_without_saying_it_still_awaits_review() -> None:
    assert contact_words({"preferred_contact": "not GP"}, awaiting_review=False) == (
        "'not GP' (written as free text: never used to route an escalation)")
    assert contact_words({"preferred_contact": "gp"}, awaiting_review=False) == "GP"

"""The pathway drawn (care/journeys/drawing.py): the outline and the drawing are generated from
the definition and the declared step types, so a new version draws itself; where a journey is,
marked in words as well as colour; the SVG has a name and scales; no Graphviz, no drawing."""

from __future__ import annotations

import dataclasses
import html
import logging
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from care.journeys import drawing
from care.journeys import pathway as pathways
from care.journeys.drawing import Highlight, Mark, highlight_for, who_in_words
from care.journeys.ledger import DEFAULT_PATHWAY
from care.journeys.models import StepStatus
from care.journeys.registry import step_type
from care.types import Role

TRIAL = 99
INSERTED = "medication_review"


def trial_version() -> pathways.Pathway:
    """Version 1 with a structured medication review inserted after the care plan."""
    v1 = pathways.get(DEFAULT_PATHWAY, 1)
    stages = tuple(dataclasses.replace(s, steps=(*s.steps, INSERTED))
                   if s.id == "care_planning" else s for s in v1.stages)
    return dataclasses.replace(v1, version=TRIAL, stages=stages,
                               changes="Trial: a structured medication review after the PCSP")


@contextmanager
def trial_pathway() -> Iterator[pathways.Pathway]:
    """The trial version installed (and current) while the block runs."""
    trial = trial_version()
    pathways.install(trial)
    try:
        yield trial
    finally:
        pathways.uninstall(DEFAULT_PATHWAY, TRIAL)


def svg_part(page: str) -> str:
    """The drawing in a page or on its own (its <svg> to </svg>; not the NHS logo's)."""
    start = page.rindex("<svg", 0, page.index('class="app-pathway-drawing__svg"'))
    return page[start:page.index("</svg>", start) + len("</svg>")]


def node_with(svg: str, text: str) -> str:
    """The drawn box (an SVG group of class node) whose text includes ``text``."""
    groups = svg.split('<g class="node">')[1:]
    found = [g.split("</g>")[0] for g in groups if text in g.split("</g>")[0]]
    assert len(found) == 1, f"{len(found)} boxes say {text!r}"
    return found[0]


def v1() -> pathways.Pathway:
    return pathways.get(DEFAULT_PATHWAY, 1)


# ---------------------------------------------------------------- the outline


def test_outline_has_the_stages_in_order_with_who_does_each_step_and_its_deadline() -> None:
    shape = drawing.outline(v1())
    assert [(s.number, s.id, [k.kind for k in s.steps], s.rest) for s in shape.stages] == [
        (1, "assessment", ["holistic_assessment"], False),
        (2, "care_planning", ["pcsp"], False),
        (3, "under_mdt_care", [], True),
    ]
    pcsp = shape.stages[1].steps[0]
    assert pcsp.title == "Personalised care and support plan" == step_type("pcsp").title
    assert pcsp.domain == "assessments"
    assert pcsp.roles == (Role.MDT_MEMBER, Role.CLINICAL_LEAD, Role.CARE_HOME_STAFF)
    assert pcsp.who == "MDT members, the clinical lead or care-home staff"
    assert pcsp.deadline == step_type("pcsp").deadline
    assert pcsp.priority == 2


def test_outline_marks_the_safety_floors_each_trigger_declares() -> None:
    shape = drawing.outline(v1())
    assert [(r.on, [k.kind for k in r.opens], list(r.floors)) for r in shape.reactions] == [
        ("deterioration.escalated", ["urgent_response"], ["urgent_response"]),
        ("observations.recorded", ["repeat_observations"], ["repeat_observations"]),
        ("deterioration.hospital_attendance", ["ae_review"], ["ae_review"]),
        ("round.preparing", ["prepare_round", "medication_review", "registration_conversation",
                             "dementia_assessment_offer"], []),
        ("round.decided", ["clinical_review", "referral"], []),
        ("round.review_completed", ["follow_up"], []),
    ]
    triggers = pathways.triggers()
    for reaction in shape.reactions:
        assert reaction.when == triggers[reaction.on].description


@pytest.mark.parametrize(("roles", "words"), [
    ({Role.CLINICAL_LEAD}, "the clinical lead"),
    ({Role.CLINICAL_LEAD, Role.MDT_MEMBER}, "MDT members or the clinical lead"),
    ({Role.COORDINATOR, Role.CARE_HOME_STAFF, Role.MDT_MEMBER},
     "MDT members, care-home staff or coordinators"),
    (set(), "nobody"),
])
def test_who_in_words(roles: set[Role], words: str) -> None:
    assert who_in_words(roles) == words


def test_a_version_not_installed_is_not_found() -> None:
    from care.errors import NotFound

    assert drawing.installed(DEFAULT_PATHWAY) == pathways.current(DEFAULT_PATHWAY)
    with pytest.raises(NotFound):
        drawing.installed(DEFAULT_PATHWAY, TRIAL)


# ---------------------------------------------------------------- where a journey is


@dataclass
class FakeStep:
    kind: str
    status: StepStatus
    episode_id: uuid.UUID | None


EPISODE, EARLIER = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(("steps", "marks"), [
    ([], ()),
    ([FakeStep("holistic_assessment", StepStatus.COMPLETED, EPISODE),
      FakeStep("pcsp", StepStatus.CLAIMED, EPISODE)],
     (("holistic_assessment", Mark.DONE), ("pcsp", Mark.OPEN))),
    # An earlier stay's steps say nothing about this one; cancelled steps mark nothing.
    ([FakeStep("holistic_assessment", StepStatus.COMPLETED, EARLIER),
      FakeStep("pcsp", StepStatus.CANCELLED, EARLIER),
      FakeStep("holistic_assessment", StepStatus.READY, EPISODE)],
     (("holistic_assessment", Mark.OPEN),)),
    ([FakeStep("holistic_assessment", StepStatus.SKIPPED, EPISODE)],
     (("holistic_assessment", Mark.SKIPPED),)),
    # Steps that events open recur: marked only while open.
    ([FakeStep("urgent_response", StepStatus.READY, None),
      FakeStep("ae_review", StepStatus.COMPLETED, None),
      FakeStep("repeat_observations", StepStatus.FAILED, None)],
     (("urgent_response", Mark.OPEN),)),
])
def test_highlight_marks_the_current_episode_and_open_reactions(
    steps: list[FakeStep], marks: tuple[tuple[str, Mark], ...]
) -> None:
    found = highlight_for(v1(), "care_planning", steps, EPISODE)
    assert found == Highlight("care_planning", marks)
    assert found.stage_label == "Care planning"


# ---------------------------------------------------------------- the drawing


def test_the_drawing_is_generated_from_the_definition_with_a_name_and_a_viewbox() -> None:
    svg = drawing.render_svg(v1())
    assert svg is not None
    shape = drawing.outline(v1())
    for step in [*(k for s in shape.stages for k in s.steps),
                 *(k for r in shape.reactions for k in r.opens)]:
        assert html.escape(step.title, quote=False) in svg, step.title
    for stage in shape.stages:
        assert html.escape(f"Stage {stage.number}: {stage.label}") in svg
    for reaction in shape.reactions:
        assert html.escape(textwrap.wrap(reaction.when, drawing.WRAP)[0], quote=False) in svg
    assert svg.count("Safety floor:") == 3
    opening = svg[:svg.index(">")]
    assert 'role="img"' in opening and 'viewBox="' in opening
    assert f'aria-labelledby="{drawing.TITLE_ID}"' in opening
    assert f'aria-describedby="{drawing.DESC_ID}"' in opening
    assert svg.count("<title") == 1  # ours: Graphviz's per-shape tooltips are gone
    assert f'<title id="{drawing.TITLE_ID}">The pathway drawn: ' in svg
    assert ' id="node' not in svg and ' id="clust' not in svg
    for marker in ("Current stage", "Open now", "\u2713 Done"):
        assert marker not in svg


def test_where_a_journey_is_has_its_own_fill_and_words() -> None:
    highlight = Highlight("care_planning", (("holistic_assessment", Mark.DONE),
                                            ("pcsp", Mark.OPEN), ("urgent_response", Mark.OPEN)))
    svg = drawing.render_svg(v1(), highlight)
    assert svg is not None
    assert "Current stage" in svg
    pcsp = node_with(svg, "Personalised care and support plan")
    assert "Open now" in pcsp and drawing.CURRENT_FILL in pcsp
    assessment = node_with(svg, "Person-centred holistic assessment")
    assert "Done" in assessment and drawing.DONE_FILL in assessment
    urgent = node_with(svg, "Urgent response")
    assert "Open now" in urgent and "Safety floor" in urgent
    assert "Open now" not in node_with(svg, "Repeat observations")
    assert "Highlighted: the current stage, Care planning; done: Person-centred" in svg


def test_a_trial_version_draws_its_inserted_step_in_its_stage() -> None:
    title = step_type(INSERTED).title
    before = drawing.render_svg(v1())
    assert before is not None
    with trial_pathway() as trial:
        assert pathways.current(DEFAULT_PATHWAY) == trial
        source = drawing.dot_source(trial)
        care_planning = source.split("subgraph cluster_stage_care_planning")[1].split(
            "subgraph cluster_stage_")[0]
        assert f"step_{INSERTED}" in care_planning
        assert f"step_pcsp -> step_{INSERTED}" in source
        after = drawing.render_svg(trial)
        assert after is not None
        # Once among what a round opens before; now also as a step of the care planning stage.
        assert after.count(title) == before.count(title) + 1 == 2
        assert "version 99" in after
    assert pathways.current(DEFAULT_PATHWAY).version == 1


def test_drawings_are_cached_per_version_and_highlight() -> None:
    drawing.clear_cache()
    first = drawing.render_svg(v1())
    assert drawing.render_svg(v1()) is first
    highlight = Highlight("assessment", (("holistic_assessment", Mark.OPEN),))
    marked = drawing.render_svg(v1(), highlight)
    assert marked is not first
    assert drawing.render_svg(v1(), Highlight("assessment", highlight.marks)) is marked


def test_without_graphviz_there_is_no_drawing_and_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    drawing.clear_cache()
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    try:
        with caplog.at_level(logging.WARNING, logger="care.journeys.drawing"):
            assert drawing.render_svg(v1()) is None
        assert "not installed" in caplog.text
    finally:
        drawing.clear_cache()

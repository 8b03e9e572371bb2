"""The pathway drawn: a pathway version as Graphviz DOT source, rendered to an accessible SVG,
and the same content as an outline for text (the page's tables, the API's JSON).

Everything is generated from the definition (care/pathways/*.toml) and the step types its
domains declared (care/<domain>/steps.py), so the drawing cannot drift from what the engine
applies: a new version draws itself. Rendering needs Graphviz's ``dot``; without it
``render_svg`` returns None and callers show the text alone.
"""

from __future__ import annotations

import functools
import html
import itertools
import logging
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import graphviz

from care.errors import NotFound
from care.journeys import pathway as pathways
from care.journeys.models import StepStatus
from care.journeys.registry import step_type
from care.types import Role

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- the outline (text)

# Who does a step, in the order and the words the pages use.
ROLE_WORDS: dict[Role, str] = {
    Role.MDT_MEMBER: "MDT members",
    Role.CLINICAL_LEAD: "the clinical lead",
    Role.CARE_HOME_STAFF: "care-home staff",
    Role.COORDINATOR: "coordinators",
    Role.ADMIN: "admins",
}


def who_in_words(roles: Iterable[Role]) -> str:
    """'MDT members, the clinical lead or care-home staff'."""
    words = [ROLE_WORDS[r] for r in ROLE_WORDS if r in set(roles)]
    if len(words) <= 1:
        return "".join(words) or "nobody"
    return ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class StepOutline:
    kind: str
    title: str
    domain: str
    roles: tuple[Role, ...]
    who: str
    priority: int
    deadline: str


@dataclass(frozen=True)
class StageOutline:
    id: str
    number: int
    label: str
    description: str
    rest: bool
    steps: tuple[StepOutline, ...]


@dataclass(frozen=True)
class ReactionOutline:
    on: str
    # What the domain reports, in its own words (the trigger's description).
    when: str
    description: str
    opens: tuple[StepOutline, ...]
    # Kinds among ``opens`` every version must open on this trigger (Trigger.must_open).
    floors: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    pathway: pathways.Pathway
    stages: tuple[StageOutline, ...]
    reactions: tuple[ReactionOutline, ...]


def installed(name: str, version: int | None = None) -> pathways.Pathway:
    """The version asked for, or the current one; a version not installed is not found."""
    try:
        return pathways.current(name) if version is None else pathways.get(name, version)
    except pathways.PathwayError:
        raise NotFound(f"pathway {name} has no version {version}" if version is not None
                       else f"no pathway {name} is installed") from None


def step_outline(kind: str) -> StepOutline:
    declared = step_type(kind)
    roles = tuple(r for r in ROLE_WORDS if r in declared.performer_roles)
    return StepOutline(kind=kind, title=declared.title, domain=declared.domain, roles=roles,
                       who=who_in_words(roles), priority=declared.priority,
                       deadline=declared.deadline)


def outline(pathway: pathways.Pathway) -> Outline:
    """The version in order: each stage's steps with who does them and their deadline rule,
    then what opens work during a journey, the safety floors marked."""
    triggers = pathways.triggers()
    stages = tuple(
        StageOutline(id=stage.id, number=number, label=stage.label,
                     description=stage.description, rest=stage.id == pathway.rest_stage,
                     steps=tuple(step_outline(kind) for kind in stage.steps))
        for number, stage in enumerate(pathway.stages, start=1))
    reactions = []
    for reaction in pathway.reactions:
        trigger = triggers.get(reaction.on)
        floors = trigger.must_open if trigger else frozenset()
        reactions.append(ReactionOutline(
            on=reaction.on, when=trigger.description if trigger else reaction.on,
            description=reaction.description,
            opens=tuple(step_outline(kind) for kind in reaction.opens),
            floors=tuple(kind for kind in reaction.opens if kind in floors)))
    return Outline(pathway=pathway, stages=stages, reactions=tuple(reactions))


# ---------------------------------------------------------------- where a resident is


class Mark(StrEnum):
    DONE = "done"
    OPEN = "open"
    SKIPPED = "skipped"

    @property
    def words(self) -> str:
        return _MARK_WORDS[self]


_MARK_WORDS = {Mark.DONE: "Done", Mark.OPEN: "Open now", Mark.SKIPPED: "Passed over"}


class StepLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> StepStatus: ...
    @property
    def episode_id(self) -> object: ...


@dataclass(frozen=True)
class Highlight:
    """Where one journey is: its stage and its steps' marks. Holds no identifier, so every
    resident at the same point shares one cached drawing."""

    stage: str
    marks: tuple[tuple[str, Mark], ...] = ()

    def mark(self, kind: str) -> Mark | None:
        return dict(self.marks).get(kind)

    @property
    def stage_label(self) -> str:
        return pathways.stage_label(self.stage)


_MARK_OF = {StepStatus.COMPLETED: Mark.DONE, StepStatus.SKIPPED: Mark.SKIPPED,
            StepStatus.READY: Mark.OPEN, StepStatus.CLAIMED: Mark.OPEN}


def highlight_for(pathway: pathways.Pathway, stage: str, steps: Iterable[StepLike],
                  current_episode: object) -> Highlight:
    """Mark the journey's steps on its pathway: the stages' steps of the current care-home
    episode as done, open or passed over (an earlier stay's steps say nothing about this
    one), and the steps events opened only while they are open (they recur)."""
    sequence = set(pathway.sequence_kinds)
    marks: dict[str, Mark] = {}
    for step in steps:
        mark = _MARK_OF.get(step.status)
        if mark is None:
            continue
        if step.kind in sequence:
            if step.episode_id == current_episode and current_episode is not None:
                marks[step.kind] = mark
        elif mark is Mark.OPEN:
            marks[step.kind] = mark
    return Highlight(stage=str(stage), marks=tuple(sorted(marks.items())))


# ---------------------------------------------------------------- the drawing (DOT)

FONT = "Arial"
INK = "#212b32"      # NHS.UK text colour
LINE = "#425563"     # NHS.UK dark grey: 7:1 on white, for borders and arrows
STAGE_FILL = "#f0f4f5"
TRIGGER_FILL = "#e8f1f9"
CURRENT_FILL = "#fff9c4"   # NHS.UK warm yellow tint: open now, the current stage
DONE_FILL = "#e0f0e6"      # pale green: done
WRAP = 34
# Between a bold word and the plain text after it: Graphviz starts a new <text> there, and an
# ordinary space at the start of an SVG <text> is dropped ("WhenA NEWS2 score").
NBSP = "&#160;"


def _lines(text: str, width: int = WRAP) -> str:
    """Escaped text wrapped for an HTML-like label (left-aligned lines)."""
    return '<BR ALIGN="LEFT"/>'.join(html.escape(line, quote=False) for line in
                                     textwrap.wrap(text, width) or [""]) + '<BR ALIGN="LEFT"/>'


def _row(content: str) -> str:
    return f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{content}</TD></TR>'


def _step_node(graph: graphviz.Digraph, node: str, step: StepOutline, mark: Mark | None,
               floor: bool) -> None:
    rows = [_row(f"<B>{_lines(step.title)}</B>"), _row("Who: " + _lines(step.who)),
            _row("Deadline: " + _lines(step.deadline))]
    if floor:
        rows.append(_row(f"<B>Safety floor:</B>{NBSP}" + _lines("every version must open it")))
    if mark is not None:
        tick = {Mark.DONE: "\u2713 ", Mark.OPEN: "\u25b6 ", Mark.SKIPPED: "\u2013 "}[mark]
        rows.append(_row(f"<B>{tick}{html.escape(mark.words)}</B>"))
    fill = "white" if mark is None else {Mark.OPEN: CURRENT_FILL, Mark.DONE: DONE_FILL}.get(
        mark, "white")
    graph.node(node, label=f'<<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="0">'
                           f'{"".join(rows)}</TABLE>>',
               fillcolor=fill, penwidth="3" if mark is Mark.OPEN else "1",
               peripheries="2" if floor else "1")


def dot_source(pathway: pathways.Pathway, highlight: Highlight | None = None) -> str:
    """The version as DOT: the stages in order as boxes of their steps, left to right, ending
    where the journey rests; below them each reaction (what a domain reports, and the steps
    it opens), safety floors with a double border; and, for a journey, where it is."""
    shape = outline(pathway)
    graph = graphviz.Digraph("pathway")
    graph.attr(rankdir="LR", newrank="true", ordering="out", fontname=FONT, fontsize="13",
               fontcolor=INK, nodesep="0.25", ranksep="0.45", bgcolor="white", pad="0.2")
    graph.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="11",
               fontcolor=INK, color=LINE, fillcolor="white", margin="0.12,0.06")
    graph.attr("edge", color=LINE, arrowsize="0.8", penwidth="1.2")
    # dot stacks the parts of a left-to-right drawing upwards in the order they are defined:
    # the reactions first puts the stages on top, where a reader starts.
    _reactions(graph, shape, highlight)
    _stages(graph, shape, highlight)
    source: str = graph.source
    return source


def _stages(graph: graphviz.Digraph, shape: Outline, highlight: Highlight | None) -> None:
    chain: list[str] = []
    with graph.subgraph(name="cluster_stages") as part:
        part.attr(label="<<B>The stages, in order</B>>", labeljust="l", style="rounded",
                  color=LINE)
        for stage in shape.stages:
            current = highlight is not None and highlight.stage == stage.id
            label = f"<B>{html.escape(f'Stage {stage.number}: {stage.label}')}</B>"
            if current:
                label += '<BR ALIGN="LEFT"/><B>\u25b6 Current stage</B>'
            if stage.description:
                label += '<BR ALIGN="LEFT"/>' + _lines(stage.description, 40)
            with part.subgraph(name=f"cluster_stage_{stage.id}") as box:
                box.attr(label=f"<{label}>", labeljust="l", style="rounded,filled",
                         fillcolor=CURRENT_FILL if current else STAGE_FILL, color=LINE,
                         penwidth="3" if current else "1")
                for step in stage.steps:
                    node = f"step_{step.kind}"
                    _step_node(box, node, step,
                               highlight.mark(step.kind) if highlight else None, floor=False)
                    chain.append(node)
                if not stage.steps and not stage.rest:
                    box.node(f"empty_{stage.id}", label="No steps", style="rounded,dashed")
                    chain.append(f"empty_{stage.id}")
                if stage.rest:
                    box.node("rest", label=_plain("The journey rests here once every step "
                                                  "before it is done"),
                             style="rounded,dashed,filled", fillcolor="white")
                    chain.append("rest")
    for before, after in itertools.pairwise(chain):
        graph.edge(before, after)


def _reactions(graph: graphviz.Digraph, shape: Outline, highlight: Highlight | None) -> None:
    if not shape.reactions:
        return
    with graph.subgraph(name="cluster_reactions") as part:
        part.attr(label="<<B>What opens work during a journey</B>>", labeljust="l",
                  style="rounded", color=LINE)
        for number, reaction in enumerate(shape.reactions, start=1):
            trigger = f"when_{number}"
            part.node(trigger, label=f"<<B>When</B>{NBSP}{_lines(reaction.when)}>",
                      fillcolor=TRIGGER_FILL)
            # Reversed, for the same reason: the first step it opens is drawn on top.
            for step in reversed(reaction.opens):
                node = f"opens_{number}_{step.kind}"
                _step_node(part, node, step, highlight.mark(step.kind) if highlight else None,
                           floor=step.kind in reaction.floors)
                part.edge(trigger, node)


def _plain(text: str) -> str:
    return f"<{_lines(text)}>"


# ---------------------------------------------------------------- the drawing (SVG)

TITLE_ID = "pathway-drawing-title"
DESC_ID = "pathway-drawing-desc"


def title_of(pathway: pathways.Pathway) -> str:
    return f"The pathway drawn: {pathway.title}, version {pathway.version}"


def describe(pathway: pathways.Pathway, highlight: Highlight | None = None) -> str:
    """The drawing's description for assistive technology: what it shows and where the
    same content is in words (the page writes it all out below the drawing)."""
    stages = ", then ".join(s.label for s in pathway.stages)
    text = (f"Drawn from the pathway definition. The stages in order: {stages}, where a "
            "journey rests. Each step says who does it and its deadline. Below them, what "
            "opens work during a journey; safety floors have a double border. The same "
            "content is written out after the drawing.")
    if highlight is not None:
        text += f" Highlighted: the current stage, {highlight.stage_label}"
        for mark in Mark:
            titles = [step_type(k).title for k, m in highlight.marks if m is mark]
            if titles:
                text += f"; {mark.words.lower()}: {', '.join(titles)}"
        text += "."
    return text


_OPENING = re.compile(r"<svg\b([^>]*)>")


def accessible_svg(svg: str, title: str, desc: str) -> str:
    """Graphviz's SVG as an image with a name and a description, that scales.

    Its per-shape ``<title>`` elements (node names such as ``step_pcsp``, shown as tooltips)
    and generated ids (``node1``, which could clash with the page's) are removed; the
    ``viewBox`` stays, so CSS can scale the drawing to its container.
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    # Graphviz writes hyphens and apostrophes as character references (for the comments, now
    # gone): plain ones keep the text as written, for find-in-page and for reading the source.
    svg = svg.replace("&#45;", "-").replace("&#39;", "'")
    svg = re.sub(r"<title>[^<]*</title>\s*", "", svg)
    svg = re.sub(r'(<g\b[^>]*?) id="[^"]*"', r"\1", svg)
    opening = _OPENING.search(svg)
    assert opening is not None
    attributes = opening.group(1)
    named = (f'<svg{attributes} role="img" aria-labelledby="{TITLE_ID}" '
             f'aria-describedby="{DESC_ID}" class="app-pathway-drawing__svg">'
             f'<title id="{TITLE_ID}">{html.escape(title, quote=False)}</title>'
             f'<desc id="{DESC_ID}">{html.escape(desc, quote=False)}</desc>')
    return svg[:opening.start()] + named + svg[opening.end():]


@functools.lru_cache(maxsize=64)
def _rendered(pathway: pathways.Pathway, highlight: Highlight | None) -> str:
    # Keyed by the version's value (a trial version with a reused number draws afresh) and
    # the highlight (no identifiers: residents at the same point share one drawing). The
    # step types and triggers are registered once at start-up, so they need no key.
    raw: str = graphviz.pipe_string("dot", "svg", dot_source(pathway, highlight),
                                    encoding="utf-8")
    return accessible_svg(raw, title_of(pathway), describe(pathway, highlight))


def render_svg(pathway: pathways.Pathway, highlight: Highlight | None = None) -> str | None:
    """The drawing as inline SVG, or None when Graphviz cannot draw it (not installed)."""
    try:
        return _rendered(pathway, highlight)
    except graphviz.ExecutableNotFound:
        log.warning("Graphviz 'dot' is not installed: the pathway is shown as text only")
    except graphviz.CalledProcessError as exc:
        log.error("Graphviz could not draw pathway %s v%s: %s", pathway.name, pathway.version,
                  exc.stderr)
    return None


def clear_cache() -> None:
    _rendered.cache_clear()

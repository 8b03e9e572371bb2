"""axe-core in a Playwright page: the WCAG 2.2 A and AA rules, every violation named.

The pages' Content-Security-Policy allows scripts from our own origin only, so axe-core
(npm ``axe-core``, a devDependency) is evaluated through the DevTools protocol, which the
policy does not govern, once per document. Nothing is excused but the exact NHS.UK frontend
behaviour listed in ``NHSUK_KNOWN``, each with the reason our templates cannot change it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: What the NHS.UK frontend does that our templates cannot change and axe-core reports:
#: (rule, the elements it may be on, what the violation may be about, why it is left).
#: Nothing else on those elements is excused: every other rule still runs on them.
NHSUK_KNOWN: tuple[dict[str, str], ...] = (
    {
        # The frontend's radios script sets aria-expanded on a radio that conditionally
        # reveals a question (the named clinician, the hospital). ARIA 1.2 does not list it for
        # the radio role, but GOV.UK's research found screen readers announce it usefully, so
        # both design systems keep it on purpose (alphagov/govuk-frontend#979, #1280;
        # w3c/aria#1404 proposes allowing it). Removing it from our side would take the
        # announcement away from the people it helps.
        "rule": "aria-allowed-attr",
        "selector": "input.nhsuk-radios__input[type=radio][aria-controls]",
        "only": "aria-expanded=",
    },
)

# axe-core in the page; a node is dropped only when its rule, its element and every failing
# check's values all match one entry of NHSUK_KNOWN.
_RUN = """async ([tags, known]) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], elementRef: true});
  const values = check => (check.data && check.data.values) || [];
  const excused = (rule, node) => known.some(k => k.rule === rule && node.element
    && node.element.matches(k.selector)
    && [...node.all, ...node.any, ...node.none].every(
      check => values(check).length && values(check).every(v => v.startsWith(k.only))));
  return results.violations
    .map(v => ({...v, nodes: v.nodes.filter(n => !excused(v.id, n))
                                   .map(({element, ...node}) => node)}))
    .filter(v => v.nodes.length);
}"""


@cache
def _source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run npm ci (axe-core is a devDependency)")
    return AXE_JS.read_text()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it stands now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN, [list(WCAG_TAGS), list(NHSUK_KNOWN)])
    return found


async def violations_async(page: Any) -> list[dict[str, Any]]:
    """The same, for Playwright's async API."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(_source())
    found: list[dict[str, Any]] = await page.evaluate(_RUN, [list(WCAG_TAGS), list(NHSUK_KNOWN)])
    return found


def describe(found: list[dict[str, Any]], nodes: int = 5) -> str:
    """Each violation's rule, impact, help and help URL, then the elements it names (their
    target selectors, and the start of their HTML): the first ``nodes`` of them."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:nodes]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else t
                              for t in node["target"])
            html = " ".join(node["html"].split())
            lines.append(f"    {target}: {html[:160]}")
        if len(v["nodes"]) > nodes:
            lines.append(f"    ... and {len(v['nodes']) - nodes} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str | None = None) -> None:
    """No WCAG 2.2 A/AA violation on the page; the message lists each one."""
    found = violations(page)
    assert not found, (f"axe-core found {len(found)} WCAG 2.2 A/AA violation(s) on "
                       f"{where or page.url}:\n{describe(found)}")

"""The hazard log (docs/safety/hazard-log.md) is kept honest by the suite: every hazard has its
sections and at least one test; every test it names exists; every rating follows the DCB0129
matrix in docs/safety/README.md, and no residual risk is above the initial one."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
#: The DCB0129 implementation guidance matrix: MATRIX[likelihood][severity] = risk (1-5).
MATRIX = {
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
SECTIONS = ("Cause", "Effect", "Harm", "Initial risk", "Controls", "Residual risk", "Status")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
RATING = re.compile(r"severity (?P<severity>[A-Z][a-z]+), likelihood (?P<likelihood>[A-Z][a-z]+"
                    r"(?: [a-z]+)?), risk (?P<risk>\d)")


def hazards() -> dict[str, str]:
    text = LOG.read_text(encoding="utf-8")
    parts = re.split(r"^### (H-\d\d) ", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@cache
def functions_in(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     and node.name.startswith("test_"))


def test_the_log_has_hazards_with_unique_ids() -> None:
    text = LOG.read_text(encoding="utf-8")
    ids = re.findall(r"^### (H-\d\d) ", text, flags=re.MULTILINE)
    assert len(ids) >= 10 and len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("hazard_id", sorted(hazards()))
def test_each_hazard_is_complete_and_its_tests_exist(hazard_id: str) -> None:
    body = hazards()[hazard_id]
    for section in SECTIONS:
        assert f"**{section}:**" in body, f"{hazard_id} has no {section}"
    controls = body.split("**Controls:**")[1].split("**Residual risk:**")[0]
    refs = TEST_REF.findall(controls)
    assert refs, f"{hazard_id} names no test for its controls"
    for number, control in enumerate(re.split(r"\n  \d+\. ", controls)[1:], start=1):
        assert TEST_REF.search(control), f"{hazard_id} control {number} names no test"
    missing = [f"{path}::{name}" for path, name in refs
               if not (ROOT / path).is_file() or name not in functions_in(path)]
    assert not missing, f"{hazard_id} names tests that do not exist: {missing}"


@pytest.mark.parametrize("hazard_id", sorted(hazards()))
def test_each_rating_follows_the_matrix_and_controls_never_raise_it(hazard_id: str) -> None:
    body = hazards()[hazard_id]
    ratings = []
    for section in ("Initial risk", "Residual risk"):
        line = body.split(f"**{section}:**")[1].split("\n")[0]
        found = RATING.search(line)
        assert found, f"{hazard_id} {section}: write 'severity S, likelihood L, risk N'"
        severity, likelihood = found["severity"], found["likelihood"]
        assert severity in SEVERITIES and likelihood in LIKELIHOODS, (hazard_id, line)
        expected = MATRIX[likelihood][SEVERITIES.index(severity)]
        assert int(found["risk"]) == expected, f"{hazard_id} {section}: matrix says {expected}"
        ratings.append(expected)
    initial, residual = ratings
    assert residual <= initial, f"{hazard_id}: residual risk above the initial risk"
    if residual > 2:
        # Only with the reason for accepting it, in the entry itself.
        assert "accepted" in body.split("**Residual risk:**")[1], (
            f"{hazard_id}: residual risk {residual} needs the reason it is accepted")


def test_the_matrix_here_is_the_one_the_safety_case_publishes() -> None:
    readme = (ROOT / "docs" / "safety" / "README.md").read_text(encoding="utf-8")
    for likelihood, row in MATRIX.items():
        assert f"| {likelihood} | " + " | ".join(str(r) for r in row) + " |" in readme


def test_a_missing_test_would_be_caught() -> None:
    """The checker itself can fail: a made-up name is not found."""
    assert "test_that_does_not_exist" not in functions_in("tests/test_news2.py")
    assert "test_band_edges_scale_1" in functions_in("tests/test_news2.py")

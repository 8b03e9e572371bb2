"""Defects found by outside testers (issue 8), on the pages: page numbers typed into the
address bar, and care-home staff running the MDT's part of the home round."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import World

Browser = Callable[[str], TestClient]


def test_the_residents_page_shows_the_nearest_page_for_any_number(
    browser_for: Browser, world: World, admit: Callable[..., object],
) -> None:
    """?p=9223372036854775807 was a 500 ("bigint out of range")."""
    admit(family_name="Abbott")
    client = browser_for("coord")
    for p in ("9223372036854775807", "99999999999999999999999", "-5", "0", "2"):
        r = client.get("/residents", params={"p": p})
        assert r.status_code == 200, (p, r.text[:300])
        assert "Abbott" in r.text, p
    # Not a number at all: the pages' "Page not found" (their answer to a malformed address).
    assert client.get("/residents", params={"p": "x"}).status_code == 404

"""GET /api/v1/pathway and /api/v1/pathway.svg: the declared pathway as JSON and drawn, for
anyone signed in; another installed version by ?version=; in the OpenAPI contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from care.journeys import pathway as pathways
from care.journeys.ledger import DEFAULT_PATHWAY
from care.journeys.registry import step_type
from tests.api.conftest import Headers
from tests.test_pathway_drawing import INSERTED, TRIAL, svg_part, trial_pathway

Login = Callable[[str], Headers]
CLINICAL = ["mdt_member", "clinical_lead", "care_home_staff"]


def _stages(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["id"], [k["kind"] for k in s["steps"]]) for s in body["stages"]]


def test_the_pathway_lists_its_stages_and_steps_in_order_with_who_and_deadline(
    client: TestClient, login: Login
) -> None:
    r = client.get("/api/v1/pathway", headers=login("staff.a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["version"], body["current"]) == ("ehch", 1, True)
    assert body["title"] == "Enhanced Health in Care Homes: a resident's journey"
    assert body["source"].startswith("NHS England, EHCH framework")
    assert body["changes"].startswith("First declared version")
    assert _stages(body) == [("assessment", ["holistic_assessment"]),
                             ("care_planning", ["pcsp"]), ("under_mdt_care", [])]
    assert [s["rest"] for s in body["stages"]] == [False, False, True]
    assert body["rest_stage"] == "under_mdt_care"
    assert [s["label"] for s in body["stages"]] == [
        "Holistic assessment", "Care planning", "Under MDT care"]
    assessment = body["stages"][0]["steps"][0]
    assert assessment == {
        "kind": "holistic_assessment", "title": "Person-centred holistic assessment",
        "domain": "assessments", "performer_roles": CLINICAL,
        "who": "MDT members, the clinical lead or care-home staff", "priority": 2,
        "deadline": step_type("holistic_assessment").deadline,
    }
    assert body["versions"] == [{"version": 1, "title": body["title"],
                                 "changes": body["changes"], "current": True}]


def test_the_reactions_name_their_safety_floors(client: TestClient, login: Login) -> None:
    body = client.get("/api/v1/pathway", headers=login("nurse.a")).json()
    reactions = {r["on"]: ([k["kind"] for k in r["opens"]], r["floors"])
                 for r in body["reactions"]}
    assert list(reactions) == ["deterioration.escalated", "observations.recorded",
                               "deterioration.hospital_attendance", "round.preparing",
                               "round.decided", "round.review_completed"]
    assert reactions["deterioration.escalated"] == (["urgent_response"], ["urgent_response"])
    assert reactions["observations.recorded"] == (["repeat_observations"],
                                                  ["repeat_observations"])
    assert reactions["deterioration.hospital_attendance"] == (["ae_review"], ["ae_review"])
    assert reactions["round.decided"] == (["clinical_review", "referral"], [])
    for reaction in body["reactions"]:
        trigger = pathways.triggers()[reaction["on"]]
        assert reaction["when"] == trigger.description
        assert set(reaction["floors"]) == trigger.must_open
    urgent = body["reactions"][0]["opens"][0]
    assert (urgent["title"], urgent["priority"]) == ("Urgent response", 1)


def test_another_version_by_number_and_an_unknown_one_is_a_404_problem(
    client: TestClient, login: Login
) -> None:
    headers = login("coord")
    assert client.get("/api/v1/pathway?version=1", headers=headers).json()["version"] == 1
    r = client.get(f"/api/v1/pathway?version={TRIAL}", headers=headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == f"pathway ehch has no version {TRIAL}"
    assert client.get("/api/v1/pathway?version=0", headers=headers).status_code == 422
    assert client.get("/api/v1/pathway?version=two", headers=headers).status_code == 422
    assert client.get(f"/api/v1/pathway.svg?version={TRIAL}",
                      headers=headers).status_code == 404


def test_signed_in_only(client: TestClient) -> None:
    for path in ("/api/v1/pathway", "/api/v1/pathway.svg"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"


def test_a_trial_version_is_served_with_its_inserted_step(
    client: TestClient, login: Login
) -> None:
    headers = login("nurse.a")
    with trial_pathway():
        body = client.get("/api/v1/pathway", headers=headers).json()
        assert (body["version"], body["current"]) == (TRIAL, True)
        assert _stages(body)[1] == ("care_planning", ["pcsp", INSERTED])
        assert [(v["version"], v["current"]) for v in body["versions"]] == [(1, False),
                                                                           (TRIAL, True)]
        older = client.get("/api/v1/pathway?version=1", headers=headers).json()
        assert (older["version"], older["current"]) == (1, False)
        assert _stages(older)[1] == ("care_planning", ["pcsp"])
        drawn = client.get("/api/v1/pathway.svg", headers=headers).text
        assert drawn.count(step_type(INSERTED).title) == 2
    body = client.get("/api/v1/pathway", headers=headers).json()
    assert (body["version"], len(body["versions"])) == (1, 1)


def test_the_drawing_is_an_svg_generated_from_the_definition(
    client: TestClient, login: Login
) -> None:
    r = client.get("/api/v1/pathway.svg", headers=login("lead"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    svg = svg_part(r.text)
    assert 'role="img"' in svg and "viewBox" in svg
    for kind in pathways.current(DEFAULT_PATHWAY).sequence_kinds:
        assert step_type(kind).title in svg


def test_openapi_documents_both(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    data = spec["paths"]["/api/v1/pathway"]["get"]
    assert data["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PathwayOut"}
    assert {"401", "404", "422"} <= set(data["responses"])
    assert [p["name"] for p in data["parameters"]] == ["version"]
    drawn = spec["paths"]["/api/v1/pathway.svg"]["get"]
    assert list(drawn["responses"]["200"]["content"]) == ["image/svg+xml"]
    assert drawn["responses"]["503"]["content"]["application/problem+json"]
    assert {"401", "404"} <= set(drawn["responses"])
    assert "PathwayOut" in spec["components"]["schemas"]

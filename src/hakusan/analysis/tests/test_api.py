"""The analysis API: who may create campaigns (a role matrix written out by hand), campaign
detail without invisible cases, suggestions, actors and knowledge by alias, the case graph and
similar cases (404 when the case is invisible, counts for invisible neighbours), the schema."""

import json
from typing import Any

import pytest
from tests.api import anonymous_client, token_client

from .conftest import C2_IP, RANSOM_MAIL

pytestmark = pytest.mark.django_db

WHO = ("reception", "analyst", "investigator", "supervisor", "csirt", "admin", "anonymous")
# campaign creation:  reception analyst investigator supervisor csirt admin anonymous
CREATE = (403, 201, 403, 201, 403, 201, 401)


@pytest.fixture
def world(make_user, file_case, departments) -> dict[str, Any]:
    users = {
        role: make_user(
            role, "station" if role in ("reception", "investigator", "supervisor") else "cyber"
        )
        for role in WHO
        if role != "anonymous"
    }
    # led by the station: the station's supervisor sees them too
    a = file_case(
        f"C2 {C2_IP} 連絡先 {RANSOM_MAIL}",
        opener=users["investigator"],
        lead_department=departments["station"],
    )
    b = file_case(
        f"通信先 {C2_IP}", opener=users["investigator"], lead_department=departments["station"]
    )
    return {"users": users, "a": a, "b": b}


def _client(world, who):
    return anonymous_client() if who == "anonymous" else token_client(world["users"][who])


@pytest.mark.parametrize(("who", "expected"), list(zip(WHO, CREATE, strict=True)))
def test_campaign_creation_role_matrix(world, who, expected):
    response = _client(world, who).post(
        "/api/analysis/campaigns/",
        {
            "name": f"攻撃群-{who}",
            "cases": [world["a"].number, world["b"].number],
            "actor": "APT10",
        },
        format="json",
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        data = response.json()
        assert set(data["cases"]) == {world["a"].number, world["b"].number}
        assert data["actor"] == "APT10"
        assert data["shared_infrastructure"][0]["value"] == "45[.]137[.]21[.]9"


def test_campaign_detail_and_list(world, make_user, file_case):
    analyst = world["users"]["analyst"]
    hidden = file_case(f"本部案件 {C2_IP}", opener=analyst)
    client = token_client(analyst)
    created = client.post(
        "/api/analysis/campaigns/",
        {"name": "三件", "cases": [world["a"].number, world["b"].number, hidden.number]},
        format="json",
    ).json()
    listing = client.get("/api/analysis/campaigns/").json()
    assert [c["name"] for c in listing["results"]] == ["三件"]
    investigator = token_client(world["users"]["investigator"])
    detail = investigator.get(f"/api/analysis/campaigns/{created['id']}/").json()
    assert set(detail["cases"]) == {world["a"].number, world["b"].number}
    assert detail["hidden_cases"] == 1 and hidden.number not in json.dumps(detail)
    bad = client.post(
        "/api/analysis/campaigns/", {"name": "x", "cases": [], "extra": 1}, format="json"
    )
    assert bad.status_code == 400 and "extra" in bad.json()
    unknown = client.post(
        "/api/analysis/campaigns/", {"name": "y", "cases": ["C2099-00001"]}, format="json"
    )
    assert unknown.status_code == 400 and "cases" in unknown.json()


def test_suggestions_graph_and_similar(world, make_user):
    analyst = token_client(world["users"]["analyst"])
    suggestions = analyst.get("/api/analysis/suggestions/").json()
    assert [set(s["cases"]) for s in suggestions] == [{world["a"].number, world["b"].number}]
    assert suggestions[0]["ties"][0]["value"] == "45[.]137[.]21[.]9"

    graph = analyst.get(f"/api/analysis/case-graph/{world['a'].pk}/")
    assert graph.status_code == 200
    ids = {n["id"] for n in graph.json()["nodes"]}
    assert f"case:{world['b'].pk}" in ids

    outsider = token_client(make_user("investigator", "other"))
    assert outsider.get(f"/api/analysis/case-graph/{world['a'].pk}/").status_code == 404
    assert outsider.get(f"/api/analysis/similar-cases/{world['a'].pk}/").status_code == 404
    assert outsider.get("/api/analysis/suggestions/").json() == []

    similar = analyst.get(f"/api/analysis/similar-cases/{world['a'].pk}/").json()
    assert similar[0]["case"] == world["b"].number
    assert "ipv4: 45[.]137[.]21[.]9" in similar[0]["shared_observables"]
    assert anonymous_client().get("/api/analysis/suggestions/").status_code == 401


def test_actors_and_knowledge_by_alias(world):
    client = token_client(world["users"]["analyst"])
    knowledge = client.get("/api/analysis/knowledge/", {"q": "APT10"}).json()
    names = {(k["galaxy"], k["name"]) for k in knowledge}
    assert ("mitre-intrusion-set", "menuPass") in names and ("threat-actor", "APT10") in names
    techniques = client.get("/api/analysis/knowledge/", {"q": "T1486", "kind": "technique"}).json()
    assert techniques[0]["external_id"] == "T1486"
    assert client.get("/api/analysis/knowledge/").status_code == 400  # q is required
    assert client.get("/api/analysis/actors/", {"q": "APT10"}).json() == []
    client.post(
        "/api/analysis/campaigns/",
        {"name": "z", "cases": [world["a"].number], "actor": "Stone Panda"},
        format="json",
    )
    actors = client.get("/api/analysis/actors/", {"q": "menupass team"}).json()
    assert [a["name"] for a in actors] == ["APT10"]


def test_schema_describes_the_analysis_endpoints(world):
    import yaml

    schema = yaml.safe_load(token_client(world["users"]["analyst"]).get("/api/schema/").content)
    paths = schema["paths"]
    assert set(paths["/api/analysis/campaigns/"]) >= {"get", "post"}
    for path in (
        "/api/analysis/campaigns/{id}/",
        "/api/analysis/suggestions/",
        "/api/analysis/actors/",
        "/api/analysis/knowledge/",
        "/api/analysis/case-graph/{id}/",
        "/api/analysis/similar-cases/{id}/",
    ):
        assert "get" in paths[path], path

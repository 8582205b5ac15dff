"""``POST /api/observables/{id}/do-not-share/``: the analyst's veto on sharing. Analysts,
supervisors and administrators; audited with the reason; the policy obeys it at once."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from hakusan.core.models import AuditEntry
from hakusan.core.services import issue_api_token
from hakusan.indicators.models import Observable
from hakusan.partners import policy

pytestmark = pytest.mark.django_db

URL = "delivery-check.example.jp"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        _token, key = issue_api_token(user, label="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def world(make_user, draft, departments) -> dict[str, Any]:
    from hakusan.indicators.models import Sighting
    from hakusan.intake.services import create_report, route_report

    filer = make_user("reception", "station")
    report = create_report(filer, draft()).report
    route_report(report, filer, department=departments["cyber"], reason="サイバー部門へ")
    obs = Observable.objects.get(type="url", value__contains=URL)
    # A feed saw it too (TLP:GREEN): shareable until vetoed.
    Sighting.objects.create(
        observable=obs, source_kind="feed", source_id=1, seen_at=obs.first_seen,
        last_seen=obs.last_seen, tlp="green",
    )  # fmt: skip
    users = {
        role: make_user(role, dept)
        for role, dept in [
            ("reception", "station"),
            ("analyst", "cyber"),
            ("investigator", "station"),
            ("supervisor", "station"),
            ("csirt", "cyber"),
            ("admin", "cyber"),
        ]
    }
    users["outsider"] = make_user("reception", "other")
    users["outside_analyst"] = make_user("analyst", "other")
    users["anonymous"] = None
    return {"observable": obs, "users": users}


def post(client: APIClient, obs_id: int, body: Any) -> Any:
    return client.post(f"/api/observables/{obs_id}/do-not-share/", body, format="json")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("reception", 403),
        ("analyst", 200),
        ("investigator", 403),
        ("supervisor", 200),
        ("csirt", 403),
        ("admin", 200),
        ("outsider", 403),
        ("outside_analyst", 404),  # may veto, but may not see this one: 404, not 403
        ("anonymous", 401),
    ],
)
def test_who_may_veto(world, who: str, expected: int) -> None:
    obs = world["observable"]
    response = post(client_for(world["users"][who]), obs.pk, {"do_not_share": True})
    assert response.status_code == expected, response.content[:300]
    obs.refresh_from_db()
    assert obs.do_not_share is (expected == 200)


def test_veto_and_allow_again(world, make_partner) -> None:
    obs, analyst = world["observable"], world["users"]["analyst"]
    partner, _key = make_partner("Vendor", max_tlp="green")
    assert obs in policy.shareable_for(partner)
    api = client_for(analyst)
    response = post(api, obs.pk, {"do_not_share": True, "reason": "被害者の特定につながる"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == obs.pk and body["do_not_share"] is True
    assert body["sightings"] == {"report": 1, "feed": 1}
    assert obs not in policy.shareable_for(partner)
    entry = AuditEntry.objects.get(action="do_not_share", object_id=str(obs.pk))
    assert entry.actor == analyst and entry.detail == {"reason": "被害者の特定につながる"}
    # The flag shows in the list and the detail.
    assert api.get(f"/api/observables/{obs.pk}/").json()["do_not_share"] is True
    listed = api.get("/api/observables/", {"q": URL}).json()["results"]
    flags = {o["id"]: o["do_not_share"] for o in listed}
    assert flags[obs.pk] is True
    assert not any(v for k, v in flags.items() if k != obs.pk)  # the derived host: not vetoed
    # Allowed again.
    response = post(api, obs.pk, {"do_not_share": False, "reason": "確認済み"})
    assert response.status_code == 200 and response.json()["do_not_share"] is False
    assert obs in policy.shareable_for(partner)
    assert AuditEntry.objects.filter(action="may_share", object_id=str(obs.pk)).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "do_not_share"),
        ({"do_not_share": "maybe"}, "do_not_share"),
        ({"do_not_share": True, "reason": "x" * 501}, "reason"),
        ({"do_not_share": True, "resaon": "typo"}, "resaon"),
    ],
)
def test_bad_bodies(world, body: dict[str, Any], field: str) -> None:
    obs = world["observable"]
    response = post(client_for(world["users"]["analyst"]), obs.pk, body)
    assert response.status_code == 400
    assert field in response.json()
    obs.refresh_from_db()
    assert obs.do_not_share is False


def test_unknown_observable_is_404(world) -> None:
    assert (
        post(client_for(world["users"]["admin"]), 999999, {"do_not_share": True}).status_code == 404
    )


def test_schema_describes_it(world) -> None:
    import yaml

    schema = yaml.safe_load(client_for(world["users"]["analyst"]).get("/api/schema/").content)
    op = schema["paths"]["/api/observables/{id}/do-not-share/"]
    assert set(op) >= {"post"}
    assert "do_not_share" in schema["components"]["schemas"]["Observable"]["properties"]

"""The partner-facing feed: partner tokens only, filtered to the partner's TLP, audited."""

import json

import pytest
from pymisp import MISPEvent

from hakusan.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(make_case, sight, clean, feed_source):
    case = make_case("green")
    sight("case", case.pk, [("domain", "evil.example")], tlp="green")
    sight("case", case.pk, [("url", "https://evil.example/amber")], tlp="amber")
    sight("feed", feed_source.pk, [("sha256", "b" * 64)], tlp="clear")
    clean()
    return case


def get(client, path, key=None, scheme="Token"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {key}"} if key else {}
    return client.get(path, **headers)


def test_no_token_is_401(client, data):
    assert get(client, "/misp/feed/manifest.json").status_code == 401
    assert get(client, "/misp/feed/manifest.json", "not-a-token").status_code == 401


def test_staff_session_is_not_enough(data, login, analyst):
    staff = login(analyst)
    assert staff.get("/misp/feed/manifest.json").status_code == 401


def test_partner_without_indicators_or_cases_is_403(client, data, make_partner):
    _partner, key = make_partner("Phish", receives=["phishing"])
    response = get(client, "/misp/feed/manifest.json", key)
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="misp_feed_denied").exists()


def test_green_partner_reads_the_feed(client, data, make_partner):
    _partner, key = make_partner("CSIRT", max_tlp="green", receives=["indicators", "cases"])
    response = get(client, "/misp/feed/manifest.json", key)
    assert response.status_code == 200
    manifest = response.json()
    assert manifest
    seen = set()
    for uuid in manifest:
        r = get(client, f"/misp/feed/{uuid}.json", key)
        assert r.status_code == 200
        event = MISPEvent()
        event.load(r.content)
        assert event.uuid == uuid
        seen |= {a.value for a in event.attributes}
    assert {"evil.example", "b" * 64} <= seen
    assert "https://evil.example/amber" not in seen
    hashes = get(client, "/misp/feed/hashes.csv", key)
    assert hashes.status_code == 200 and hashes["Content-Type"].startswith("text/csv")
    assert all(line.split(",")[1] in manifest for line in hashes.content.decode().splitlines())
    entries = AuditEntry.objects.filter(action="misp_feed")
    assert entries.count() == len(manifest) + 2
    assert {e.detail["partner_name"] for e in entries} == {"CSIRT"}
    assert all(e.actor_id is None for e in entries)


def test_amber_partner_sees_amber_and_indicators_only_partner_no_cases(client, data, make_partner):
    _, amber_key = make_partner("Amber", max_tlp="amber", receives=["cases"])
    manifest = get(client, "/misp/feed/manifest.json", amber_key).json()
    assert manifest and all("Hakusan case" in m["info"] for m in manifest.values())
    uuid = next(iter(manifest))
    event = get(client, f"/misp/feed/{uuid}.json", amber_key).json()["Event"]
    assert "https://evil.example/amber" in {a["value"] for a in event["Attribute"]}
    # a green indicators-only partner cannot fetch the amber case event by uuid
    _, green_key = make_partner("Green", max_tlp="green", receives=["indicators"])
    assert get(client, f"/misp/feed/{uuid}.json", green_key).status_code == 404
    manifest = get(client, "/misp/feed/manifest.json", green_key).json()
    assert all("shared indicators" in m["info"] for m in manifest.values())


def test_basic_auth_and_unknown_event(client, data, make_partner):
    import base64

    _, key = make_partner("Basic", max_tlp="green", receives=["indicators"])
    basic = base64.b64encode(f"misp:{key}".encode()).decode()
    assert get(client, "/misp/feed/manifest.json", basic, "Basic").status_code == 200
    r = get(client, "/misp/feed/00000000-0000-4000-8000-000000000000.json", key)
    assert r.status_code == 404
    assert json.loads(r.content)["detail"]

"""The TAXII endpoints through Django's test client: authentication, media types, access per
partner, paging, filters, errors, the audit trail."""

import base64
import json

import pytest

from hakusan.core.models import AuditEntry
from hakusan.taxii.models import SharedObject

ACCEPT = "application/taxii+json;version=2.1"


def domains(prefix: str, n: int) -> list[tuple[str, str]]:
    return [("domain", f"{prefix}{i}.phish-kit.example.jp") for i in range(n)]


@pytest.fixture
def taxii(client):
    def call(method, path, key=None, accept=ACCEPT, **extra):
        headers = {}
        if key is not None:
            token = base64.b64encode(f"partner:{key}".encode()).decode()
            headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
        if accept is not None:
            headers["HTTP_ACCEPT"] = accept
        return getattr(client, method)(path, **headers, **extra)

    return call


@pytest.fixture
def green_partner(make_partner):
    return make_partner("Green prefecture", max_tlp="green")


def url(collection, suffix=""):
    return f"/taxii2/hakusan/collections/{collection.pk}/{suffix}"


def test_unauthenticated_is_401_with_a_basic_challenge(taxii, collections):
    response = taxii("get", "/taxii2/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response["Content-Type"] == ACCEPT
    body = response.json()
    assert body["http_status"] == "401" and body["title"] == "Unauthorized"
    assert taxii("get", "/taxii2/", key="not-a-token").status_code == 401


def test_staff_session_is_not_accepted(taxii, login, analyst, collections):
    login(analyst)
    assert taxii("get", "/taxii2/").status_code == 401


def test_discovery_and_api_root(taxii, collections, green_partner):
    _partner, key = green_partner
    response = taxii("get", "/taxii2/", key=key)
    assert response.status_code == 200 and response["Content-Type"] == ACCEPT
    body = response.json()
    assert body["api_roots"] == ["http://testserver/taxii2/hakusan/"]
    assert body["default"] == "http://testserver/taxii2/hakusan/"
    root = taxii("get", "/taxii2/hakusan/", key=key).json()
    assert root["versions"] == [ACCEPT] and root["max_content_length"] > 0
    assert taxii("get", "/taxii2/nowhere/", key=key).status_code == 404


def test_accept_header_checked(taxii, collections, green_partner):
    _partner, key = green_partner
    assert taxii("get", "/taxii2/", key=key, accept="application/json").status_code == 406
    assert taxii("get", "/taxii2/", key=key, accept=None).status_code == 406
    bad = taxii("get", "/taxii2/", key=key, accept="application/taxii+json;version=2.0")
    assert bad.status_code == 406 and bad.json()["http_status"] == "406"
    assert taxii("get", "/taxii2/", key=key, accept="application/taxii+json").status_code == 200
    assert taxii("get", "/taxii2/", key=key, accept="*/*").status_code == 200  # curl
    assert (
        taxii("get", "/taxii2/", key=key, accept="text/html, application/json").status_code == 406
    )


def test_collections_per_partner(taxii, collections, make_partner):
    _g, green_key = make_partner("Green", max_tlp="green")
    _a, amber_key = make_partner("Amber writer", max_tlp="amber", can_write=True)
    _n, none_key = make_partner("Cases only", max_tlp="red", receives=["cases"])
    listed = taxii("get", "/taxii2/hakusan/collections/", key=green_key).json()["collections"]
    assert {c["alias"] for c in listed} == {"indicators-clear", "indicators-green"}
    assert all(c["can_read"] and not c["can_write"] for c in listed)
    assert listed[0]["media_types"] == ["application/stix+json;version=2.1"]
    amber = {
        c["alias"]: c
        for c in taxii("get", "/taxii2/hakusan/collections/", key=amber_key).json()["collections"]
    }
    assert set(amber) == {"indicators-clear", "indicators-green", "indicators-amber", "inbound"}
    assert amber["inbound"]["can_write"] and not amber["indicators-amber"]["can_write"]
    assert taxii("get", "/taxii2/hakusan/collections/", key=none_key).json() == {}
    # the amber collection does not exist for a green partner, by id or alias
    for ident in (collections["indicators-amber"].pk, "indicators-amber"):
        path = f"/taxii2/hakusan/collections/{ident}/objects/"
        assert taxii("get", path, key=green_key).status_code == 404
    one = taxii("get", url(collections["indicators-green"]), key=green_key).json()
    assert one["id"] == str(collections["indicators-green"].pk) and one["can_read"]


def test_partner_list_restricts_a_collection(taxii, collections, make_partner):
    green = collections["indicators-green"]
    listed_partner, listed_key = make_partner("Listed")
    _other, other_key = make_partner("Other")
    green.partners.add(listed_partner)
    assert taxii("get", url(green), key=listed_key).status_code == 200
    assert taxii("get", url(green), key=other_key).status_code == 404


def test_objects_paging_filters_headers(taxii, collections, green_partner, feed):
    _partner, key = green_partner
    feed(domains("p", 30), tlp="green")
    green = collections["indicators-green"]
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 25, "match[type]": "indicator,domain-name"}
        if token:
            params["next"] = token
        response = taxii("get", url(green, "objects/"), key=key, data=params)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        objects = body.get("objects", [])
        assert response["X-TAXII-Date-Added-First"].endswith("Z")
        assert len(response["X-TAXII-Date-Added-Last"]) == len("2026-11-26T07:46:38.123456Z")
        seen += objects
        if not body["more"]:
            assert "next" not in body
            break
        token = body["next"]
    assert pages == 3 and len(seen) == 60 and len({o["id"] for o in seen}) == 60
    assert {o["type"] for o in seen} == {"indicator", "domain-name"}

    one = next(o for o in seen if o["type"] == "indicator")
    by_id = taxii("get", url(green, "objects/"), key=key, data={"match[id]": one["id"]}).json()
    assert by_id["objects"] == [one]
    # added_after: everything added after the last header of a full listing is nothing
    full = taxii("get", url(green, "objects/"), key=key)
    last = full["X-TAXII-Date-Added-Last"]
    after = taxii("get", url(green, "objects/"), key=key, data={"added_after": last})
    assert after.json() == {"more": False} and "X-TAXII-Date-Added-First" not in after
    spec = taxii("get", url(green, "objects/"), key=key, data={"match[spec_version]": "2.0"})
    assert spec.json() == {"more": False}


def test_bad_parameters_are_400(taxii, collections, green_partner):
    _partner, key = green_partner
    path = url(collections["indicators-green"], "objects/")
    for params in (
        {"limit": "ten"},
        {"limit": "0"},
        {"added_after": "yesterday"},
        {"next": "!!"},
        {"match[version]": "newest"},
    ):
        response = taxii("get", path, key=key, data=params)
        assert response.status_code == 400, params
        assert response.json()["description"]


def test_versions_manifest_single_object(taxii, collections, green_partner, feed):
    from django.utils import timezone

    from hakusan.taxii import services

    _partner, key = green_partner
    green = collections["indicators-green"]
    feed(domains("v", 2), tlp="green")
    services.publish(green)
    feed(domains("v", 1), tlp="green", when=timezone.now())  # new version of v0's indicator
    services.publish(green)
    indicator = SharedObject.objects.filter(collection=green, type="indicator", first=False).get()
    base = url(green, f"objects/{indicator.stix_id}/")
    versions = taxii("get", base + "versions/", key=key).json()
    assert len(versions["versions"]) == 2 and versions["more"] is False
    latest = taxii("get", base, key=key).json()["objects"]
    every = taxii("get", base, key=key, data={"match[version]": "all"}).json()["objects"]
    first = taxii("get", base, key=key, data={"match[version]": "first"}).json()["objects"]
    assert len(latest) == 1 and len(every) == 2 and len(first) == 1
    assert latest[0]["modified"] == versions["versions"][-1]
    assert first[0]["modified"] == versions["versions"][0]
    exact = taxii("get", base, key=key, data={"match[version]": first[0]["modified"]}).json()
    assert exact["objects"] == first
    assert taxii("get", url(green, "objects/indicator--nope/"), key=key).status_code == 404

    manifest = taxii("get", url(green, "manifest/"), key=key, data={"match[type]": "indicator"})
    records = manifest.json()["objects"]
    assert len(records) == 2
    assert set(records[0]) == {"id", "date_added", "version", "media_type"}
    assert records[0]["media_type"] == "application/stix+json;version=2.1"
    # outbound collections are read-only: no delete, no post
    assert taxii("delete", base, key=key).status_code == 403


def test_post_checks(taxii, collections, make_partner, settings):
    _reader, reader_key = make_partner("Reader")
    _writer, writer_key = make_partner("Writer", can_write=True)
    inbound = url(collections["inbound"], "objects/")
    envelope = json.dumps({"objects": []})
    assert (
        taxii("post", inbound, key=writer_key, data=envelope, content_type="application/json")
    ).status_code == 415
    assert (
        taxii("post", inbound, key=reader_key, data=envelope, content_type=ACCEPT)
    ).status_code == 404  # a reader does not see the inbound collection
    green = url(collections["indicators-green"], "objects/")
    assert (
        taxii("post", green, key=writer_key, data=envelope, content_type=ACCEPT)
    ).status_code == 403
    settings.HAKUSAN_TAXII_MAX_CONTENT_LENGTH = 100
    big = json.dumps({"objects": [{"type": "x", "id": "x--" + "0" * 200}]})
    response = taxii("post", inbound, key=writer_key, data=big, content_type=ACCEPT)
    assert response.status_code == 413 and "100" in response.json()["description"]
    settings.HAKUSAN_TAXII_MAX_CONTENT_LENGTH = 10_000
    for body in ("not json", json.dumps([1]), json.dumps({"objects": [{"type": "indicator"}]})):
        response = taxii("post", inbound, key=writer_key, data=body, content_type=ACCEPT)
        assert response.status_code in (400, 422), body
        assert response.json()["description"]


@pytest.mark.parametrize(
    ("envelope", "problem"),
    [
        ({"foo": 1}, "unknown member(s) 'foo'"),
        ({}, "has no 'objects'"),
        ([{"type": "indicator"}], "got a JSON array"),
        ({"objects": {"type": "indicator"}}, "'objects' must be a list (got a JSON object)"),
        ({"objects": "indicator"}, "'objects' must be a list (got a JSON string)"),
        ({"objects": [1]}, "objects[0] is not a STIX object (got a JSON number)"),
        ({"objects": [{"id": "x"}]}, "objects[0] has no 'type'"),
        ({"type": "bundle", "id": "bundle--1", "objects": []}, "is a STIX bundle"),
    ],
)
def test_post_of_something_not_an_envelope_is_422(
    taxii, collections, make_partner, envelope, problem
):
    _writer, key = make_partner("Writer", can_write=True)
    inbound = url(collections["inbound"], "objects/")
    response = taxii("post", inbound, key=key, data=json.dumps(envelope), content_type=ACCEPT)
    assert response.status_code == 422
    body = response.json()
    assert body["http_status"] == "422" and problem in body["description"], body
    assert not SharedObject.objects.filter(collection=collections["inbound"]).exists()
    # an empty envelope is an envelope: accepted, nothing to import
    empty = taxii("post", inbound, key=key, data='{"objects": []}', content_type=ACCEPT)
    assert empty.status_code == 202 and empty.json()["status"] == "complete"


def test_partner_facing_messages_are_english_whatever_the_locale(
    taxii, collections, green_partner, settings
):
    settings.LANGUAGE_CODE = "ja"
    response = taxii("get", "/taxii2/", key="not-a-token", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 401
    assert response.json()["description"] == "invalid partner token"
    assert response["Content-Language"] == "en"
    _partner, key = green_partner
    missing = taxii("get", "/taxii2/nowhere/", key=key, HTTP_ACCEPT_LANGUAGE="ja")
    assert missing.status_code == 404 and missing["Content-Language"] == "en"
    # the message has a Japanese translation (what a partner got before), so the check above
    # can fail
    from django.utils import translation

    with translation.override("ja"):
        assert translation.gettext("invalid partner token") != "invalid partner token"


def test_every_partner_request_is_audited_once(taxii, collections, green_partner):
    partner, key = green_partner
    before = AuditEntry.objects.filter(action="taxii.request").count()
    taxii("get", url(collections["indicators-green"], "objects/"), key=key)
    taxii("get", url(collections["indicators-amber"], "objects/"), key=key)
    taxii("get", "/taxii2/")  # unauthenticated: no partner to name
    entries = list(AuditEntry.objects.filter(action="taxii.request").order_by("id"))[before:]
    assert len(entries) == 2
    ok, refused = (e.detail for e in entries)
    assert ok["partner"] == partner.pk and ok["partner_name"] == "Green prefecture"
    assert ok["endpoint"] == "objects" and ok["collection"] == "indicators-green"
    assert ok["status"] == 200 and "objects" in ok
    assert refused["status"] == 404 and refused["collection"] == "indicators-amber"

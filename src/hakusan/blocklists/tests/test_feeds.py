import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils.http import http_date

from hakusan.blocklists import selectors
from hakusan.core.models import AuditEntry
from hakusan.indicators.models import Observable, Sighting
from hakusan.indicators.services import record_sightings, set_do_not_share

from .conftest import basic_header, body, obs, sighting, token_header

GREEN_PHISHING = {"https://phish-green.example.jp/login", "https://phish-clear.example.jp/"}


def fetch(client, key, path, **headers):
    return client.get(path, **token_header(key), **headers)


@pytest.fixture
def green(make_partner):
    return make_partner("Vendor", max_tlp="green", kind="vendor")


def test_phishing_csv_for_a_green_partner(client, feed_data, green):
    _partner, key = green
    response = fetch(client, key, "/feeds/phishing.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert {r["value"] for r in rows} == GREEN_PHISHING
    assert list(rows[0]) == [
        "type",
        "value",
        "brand",
        "first_seen",
        "last_seen",
        "tlp",
        "confidence",
    ]
    by_value = {r["value"]: r for r in rows}
    login = by_value["https://phish-green.example.jp/login"]
    # two verified sightings: both brands, the widest span, the highest confidence
    assert login["brand"] == "Example Bank|Example Card"
    assert login["first_seen"] == "2024-04-21T03:00:00Z"
    assert login["last_seen"] == "2024-05-02T03:00:00Z"
    assert login["confidence"] == "90"
    assert login["tlp"] == "green"
    clear = by_value["https://phish-clear.example.jp/"]
    assert (clear["brand"], clear["tlp"], clear["type"]) == ("例示銀行", "clear", "url")


def test_amber_partner_also_gets_amber(client, feed_data, make_partner):
    _partner, key = make_partner("Amber vendor", max_tlp="amber")
    values = set(body(fetch(client, key, "/feeds/phishing.txt")).split("\n"))
    assert {"https://phish-amber.example.jp/", "https://mixed.example.jp/"} <= values
    # still never: warninglisted, expired, do-not-share, false positive, low, report, untagged
    for left_out in (
        "listed",
        "expired",
        "dns",
        "fp",
        "low",
        "report",
    ):
        assert f"https://phish-{left_out}.example.jp/" not in values
    assert "https://not-tagged.example.jp/" not in values


def test_plain_text(client, feed_data, green):
    _partner, key = green
    text = body(fetch(client, key, "/feeds/phishing.txt"))
    lines = text.splitlines()
    assert lines[0].startswith("# Hakusan blocklist: phishing")
    assert "# source: Example CERT" in lines
    values = [line for line in lines if line and not line.startswith("#")]
    assert set(values) == GREEN_PHISHING
    assert lines[-1] == "# count: 2"


def test_json(client, feed_data, green):
    _partner, key = green
    response = fetch(client, key, "/feeds/phishing.json")
    assert response["Content-Type"] == "application/json"
    doc = json.loads(body(response))
    assert doc["count"] == 2 == len(doc["items"])
    assert doc["tlp"] == "green"  # the most restrictive item
    assert doc["max_tlp"] == "green"
    assert doc["attribution"] == ["Example CERT"]
    assert doc["generated_at"].endswith("Z")
    item = next(i for i in doc["items"] if i["value"].endswith("/login"))
    assert item["brands"] == ["Example Bank", "Example Card"]
    assert set(item) == {
        "type",
        "value",
        "brands",
        "first_seen",
        "last_seen",
        "tlp",
        "confidence",
    }


def test_smishing_and_c2(client, feed_data, green):
    _partner, key = green
    rows = list(csv.DictReader(io.StringIO(body(fetch(client, key, "/feeds/smishing.csv")))))
    assert {(r["type"], r["value"]) for r in rows} == {
        ("phone", "+819012345678"),
        ("tel_sms_sender", "+818098765432"),
        ("url", "https://smish.example.jp/a"),
    }
    c2 = body(fetch(client, key, "/feeds/c2.txt")).splitlines()
    assert {v for v in c2 if not v.startswith("#")} == {"192.0.2.10", "c2.example.jp"}
    # a phishing-tagged IP is not a phishing feed type
    assert "198.51.100.7" not in body(fetch(client, key, "/feeds/phishing.txt"))


def test_confidence_threshold(client, feed_data, green, settings):
    _partner, key = green
    settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = 85
    values = {
        r["value"]
        for r in csv.DictReader(io.StringIO(body(fetch(client, key, "/feeds/phishing.csv"))))
    }
    assert values == {"https://phish-green.example.jp/login"}  # the 90 sighting only
    settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = 20
    values = {
        r["value"]
        for r in csv.DictReader(io.StringIO(body(fetch(client, key, "/feeds/phishing.csv"))))
    }
    assert values == GREEN_PHISHING | {"https://phish-low.example.jp/"}


def test_empty_feed(client, db, green):
    _partner, key = green
    doc = json.loads(body(fetch(client, key, "/feeds/c2.json")))
    assert (doc["count"], doc["items"], doc["tlp"]) == (0, [], "clear")
    assert body(fetch(client, key, "/feeds/c2.csv")) == (
        "type,value,brand,first_seen,last_seen,tlp,confidence\n"
    )


# --- authentication, authorisation, routing ----------------------------------------------------


def test_authentication(client, feed_data, green):
    _partner, key = green
    assert client.get("/feeds/phishing.csv").status_code == 401
    assert client.get("/feeds/phishing.csv", **token_header("not-a-token")).status_code == 401
    assert client.get("/feeds/phishing.csv", **basic_header("wrong")).status_code == 401
    assert client.get("/feeds/phishing.csv", **basic_header(key)).status_code == 200
    bearer = client.get("/feeds/phishing.csv", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.status_code == 200
    body(bearer)


def test_staff_session_is_not_a_partner(client, feed_data, analyst):
    from conftest import verified_client

    verified_client(client, analyst)
    assert client.get("/feeds/phishing.csv").status_code in (401, 403)


def test_revoked_and_inactive(client, feed_data, green):
    partner, key = green
    partner.active = False
    partner.save()
    assert fetch(client, key, "/feeds/phishing.csv").status_code == 401


def test_kind_not_received_is_403_and_audited(client, feed_data, make_partner):
    partner, key = make_partner("Carrier", receives=["smishing"], kind="carrier")
    response = fetch(client, key, "/feeds/phishing.csv")
    assert response.status_code == 403
    assert fetch(client, key, "/feeds/c2.json").status_code == 403
    assert fetch(client, key, "/feeds/smishing.json").status_code == 200
    entry = AuditEntry.objects.filter(action="blocklist.fetch").order_by("pk").first()
    assert entry.detail["status"] == 403
    assert entry.detail["partner"] == partner.pk


def test_unknown_format_or_feed_is_404(client, feed_data, green):
    _partner, key = green
    assert fetch(client, key, "/feeds/phishing.xml").status_code == 404
    assert fetch(client, key, "/feeds/spam.csv").status_code == 404
    assert client.get("/feeds/phishing.xml").status_code == 401  # credentials first


# --- caching ----------------------------------------------------------------------------------


def test_etag_and_if_none_match(client, feed_data, green, django_capture_on_commit_callbacks):
    _partner, key = green
    first = fetch(client, key, "/feeds/phishing.csv")
    content = body(first)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first["Vary"]
    again = fetch(client, key, "/feeds/phishing.csv")
    assert again["ETag"] == etag and body(again) == content  # same tag, same bytes
    not_modified = fetch(client, key, "/feeds/phishing.csv", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag
    assert not_modified.content == b""
    # each format has its own tag
    assert fetch(client, key, "/feeds/phishing.txt", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # a new verified sighting: a new tag, the old one no longer matches
    with django_capture_on_commit_callbacks(execute=True):
        record_sightings([sighting(feed_data["source"].pk, "url", "https://new.example.jp/")])
    changed = fetch(client, key, "/feeds/phishing.csv", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "https://new.example.jp/" in body(changed)
    # do-not-share (announced by the service) changes it again
    etag2 = changed["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        set_do_not_share(obs("url", "https://new.example.jp/"), None, do_not_share=True)
    after = fetch(client, key, "/feeds/phishing.csv", HTTP_IF_NONE_MATCH=etag2)
    assert after.status_code == 200
    assert "https://new.example.jp/" not in body(after)


def test_expiry_changes_the_etag_without_a_signal(client, feed_data, green):
    _partner, key = green
    etag = fetch(client, key, "/feeds/phishing.txt")["ETag"]
    login = obs("url", "https://phish-green.example.jp/login")
    Observable.objects.filter(pk=login.pk).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    response = fetch(client, key, "/feeds/phishing.txt", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert login.value not in body(response)


def test_etag_depends_on_clearance(client, feed_data, green, make_partner):
    _partner, key = green
    _amber, amber_key = make_partner("Amber", max_tlp="amber")
    etag = fetch(client, key, "/feeds/phishing.csv")["ETag"]
    assert (
        fetch(client, amber_key, "/feeds/phishing.csv", HTTP_IF_NONE_MATCH=etag).status_code == 200
    )


def test_if_modified_since(client, feed_data, green):
    _partner, key = green
    first = fetch(client, key, "/feeds/phishing.json")
    body(first)
    last_modified = first["Last-Modified"]
    assert (
        fetch(client, key, "/feeds/phishing.json", HTTP_IF_MODIFIED_SINCE=last_modified).status_code
        == 304
    )
    earlier = http_date(selectors.feed_state().changed_at.timestamp() - 3600)
    response = fetch(client, key, "/feeds/phishing.json", HTTP_IF_MODIFIED_SINCE=earlier)
    assert response.status_code == 200
    body(response)


def test_change_signal_bumps_the_state(feed_data, django_capture_on_commit_callbacks):
    before = selectors.feed_state().generation
    with django_capture_on_commit_callbacks(execute=True):
        record_sightings([sighting(feed_data["source"].pk, "url", "https://other.example.jp/")])
    assert selectors.feed_state().generation == before + 1


# --- audit ------------------------------------------------------------------------------------


def test_every_fetch_is_audited(client, feed_data, green):
    partner, key = green
    response = fetch(client, key, "/feeds/phishing.csv")
    body(response)
    fetch(client, key, "/feeds/phishing.csv", HTTP_IF_NONE_MATCH=response["ETag"])
    entries = list(AuditEntry.objects.filter(action="blocklist.fetch").order_by("pk"))
    assert [e.detail["status"] for e in entries] == [200, 304]
    full, cached = (e.detail for e in entries)
    assert full["count"] == 2
    assert (full["partner"], full["partner_name"], full["feed"], full["format"]) == (
        partner.pk,
        "Vendor",
        "phishing",
        "csv",
    )
    assert "count" not in cached and cached["etag"] == response["ETag"]
    assert entries[0].actor_id is None


def test_head(client, feed_data, green):
    _partner, key = green
    response = client.head("/feeds/phishing.csv", **token_header(key))
    assert response.status_code == 200
    assert response["ETag"]
    assert AuditEntry.objects.filter(action="blocklist.fetch", detail__method="HEAD").exists()


def test_chunked_reading_matches(feed_data, green):
    partner, _key = green
    from hakusan.domain.blocklists import FEEDS

    spec = FEEDS["phishing"]
    small = [i.value for i in selectors.feed_items(partner, spec, 50, window=1)]
    large = [i.value for i in selectors.feed_items(partner, spec, 50)]
    assert small == large and set(large) == GREEN_PHISHING
    assert Sighting.objects.count() > len(large)


def test_bad_threshold_setting(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = "high"
    with pytest.raises(ImproperlyConfigured, match="expected an integer from 0 to 100"):
        selectors.min_confidence()
    settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = 101
    with pytest.raises(ImproperlyConfigured):
        selectors.min_confidence()
    settings.HAKUSAN_BLOCKLIST_MIN_CONFIDENCE = "70"
    assert selectors.min_confidence() == 70

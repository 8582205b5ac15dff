"""MISP feed export: what goes in (only what the sharing policy lets out), the format MISP's
feed fetcher reads, stable uuids and timestamps."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pymisp import MISPEvent

from hakusan.core.models import AuditEntry
from hakusan.misp.models import FeedEventState
from hakusan.misp.services import build_feed, export_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_case, sight, clean, feed_source):
    green = make_case("green")
    amber = make_case("amber")
    sight("case", green.pk, [("domain", "evil.example"), ("ipv4", "192.0.2.10")], tlp="green")
    sight("case", green.pk, [("url", "https://evil.example/login")], tlp="amber")
    sight("case", amber.pk, [("domain", "amber-only.example")], tlp="amber")
    sight("feed", feed_source.pk, [("md5", "a" * 32), ("domain", "evil.example")], tlp="clear")
    sight("report", 1, [("email", "victim@example.jp")], tlp="clear")
    clean()
    return {"green": green, "amber": amber}


def values(feed):
    return {a["value"] for doc in feed.events.values() for a in doc["Event"].get("Attribute", [])}


def test_green_feed_holds_only_green_and_clear(world):
    feed = build_feed("green")
    got = values(feed)
    assert {"evil.example", "192.0.2.10", "a" * 32} <= got
    assert "https://evil.example/login" not in got  # amber sighting
    assert "amber-only.example" not in got  # amber case
    assert "victim@example.jp" not in got  # report sightings never leave
    for doc in feed.events.values():
        for attr in doc["Event"]["Attribute"]:
            tlps = [t["name"] for t in attr["Tag"] if t["name"].startswith("tlp:")]
            assert tlps in (["tlp:clear"], ["tlp:green"]), attr


def test_amber_feed_adds_amber_with_event_tlp_most_restrictive(world):
    feed = build_feed("amber")
    case_event = next(
        d["Event"] for d in feed.events.values() if world["green"].number in d["Event"]["info"]
    )
    tags = {a["value"]: [t["name"] for t in a["Tag"]] for a in case_event["Attribute"]}
    assert tags["https://evil.example/login"] == ["tlp:amber"]
    assert tags["evil.example"] == ["tlp:green"]
    assert [t["name"] for t in case_event["Tag"]] == ["tlp:amber"]
    assert "amber-only.example" in values(feed)


def test_event_info_is_number_and_type_only(world):
    feed = build_feed("amber")
    infos = [d["Event"]["info"] for d in feed.events.values()]
    assert any(world["green"].number in i for i in infos)
    dumped = json.dumps(feed.events, ensure_ascii=False)
    assert "山田" not in dumped and "被害者" not in dumped and "概要" not in dumped


def test_excluded_warninglisted_expired_do_not_share(world):
    from hakusan.indicators.models import Observable

    Observable.objects.filter(value="evil.example").update(
        warninglist_hits=[{"slug": "x", "name": "x"}]
    )
    Observable.objects.filter(value="192.0.2.10").update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    Observable.objects.filter(value="a" * 32).update(do_not_share=True)
    got = values(build_feed("red"))
    assert not {"evil.example", "192.0.2.10", "a" * 32} & got
    assert "https://evil.example/login" in got


def test_false_positive_sighting_not_exported(world, feed_source):
    from hakusan.indicators.models import Sighting

    Sighting.objects.filter(observable__value="a" * 32).update(false_positive=True)
    assert "a" * 32 not in values(build_feed("red"))


def test_every_event_loads_in_pymisp_and_keeps_values(world):
    feed = build_feed("amber")
    assert feed.events
    for uuid, doc in feed.events.items():
        event = MISPEvent()
        event.load(json.dumps(doc))
        assert event.uuid == uuid
        assert event.Orgc.name
        ours = {(a["type"], a["value"]) for a in doc["Event"]["Attribute"]}
        assert {(a.type, a.value) for a in event.attributes} == ours
        assert all(a.category for a in event.attributes)


def test_manifest_and_hashes_match_pymisp(world, tmp_path):
    feed = export_feed(tmp_path, max_tlp="amber")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == set(feed.events)
    expected_hashes = []
    for uuid, meta in manifest.items():
        assert {
            "info",
            "Orgc",
            "Tag",
            "date",
            "analysis",
            "threat_level_id",
            "timestamp",
            "publish_timestamp",
        } <= set(meta)
        event = MISPEvent()
        event.load_file(str(tmp_path / f"{uuid}.json"))
        # the manifest entry PyMISP's feed generator would write for this event
        generated = event.manifest[uuid]
        for key in ("info", "Orgc", "Tag", "date", "analysis", "threat_level_id", "timestamp"):
            assert str(meta[key]) == str(generated[key]), key
        expected_hashes += [f"{h},{uuid}" for h in event.attributes_hashes("md5")]
    lines = (tmp_path / "hashes.csv").read_text().splitlines()
    assert sorted(lines) == sorted(expected_hashes)
    md5 = hashlib.md5(b"evil.example").hexdigest()
    assert any(line.startswith(md5 + ",") for line in lines)


def test_uuids_and_timestamps_stable_until_content_changes(world, sight):
    first = build_feed("green")
    later = timezone.now() + timedelta(hours=1)
    again = build_feed("green", now=later)
    assert first.manifest == again.manifest
    sight("case", world["green"].pk, [("ipv4", "198.51.100.20")], tlp="green")
    from hakusan.indicators.models import Observable

    Observable.objects.filter(value="198.51.100.20").update(warninglist_hits=[])
    changed = build_feed("green", now=later)
    case_uuid = next(u for u, k in changed.keys.items() if k.startswith("case:"))
    assert changed.manifest[case_uuid]["timestamp"] == str(int(later.timestamp()))
    old_attrs = {a["uuid"]: a["timestamp"] for a in first.events[case_uuid]["Event"]["Attribute"]}
    for attr in changed.events[case_uuid]["Event"]["Attribute"]:
        if attr["uuid"] in old_attrs:
            assert attr["timestamp"] == old_attrs[attr["uuid"]]  # unchanged attribute
        else:
            assert attr["value"] == "198.51.100.20"
    # events whose content did not change keep their timestamp
    kept = 0
    for uuid, meta in changed.manifest.items():
        attrs = changed.events[uuid]["Event"]["Attribute"]
        if uuid in first.manifest and "198.51.100.20" not in {a["value"] for a in attrs}:
            assert meta["timestamp"] == first.manifest[uuid]["timestamp"]
            kept += 1
    assert kept >= 1  # the TLP:CLEAR shared indicators
    assert FeedEventState.objects.filter(audience="green").count() == len(changed.events)


def test_campaign_event(world, analyst):
    from hakusan.analysis.models import Campaign, CampaignCase

    campaign = Campaign.objects.create(name="秘密の作戦名", tlp="green", created_by=analyst)
    CampaignCase.objects.create(campaign=campaign, case=world["green"], added_by=analyst)
    CampaignCase.objects.create(campaign=campaign, case=world["amber"], added_by=analyst)
    feed = build_feed("green", kinds=["cases"])
    event = next(
        d["Event"] for u, d in feed.events.items() if feed.keys[u] == f"campaign:{campaign.pk}"
    )
    assert event["info"] == f"Hakusan campaign {campaign.pk}"
    assert {a["value"] for a in event["Attribute"]} == {"evil.example", "192.0.2.10"}
    assert "秘密" not in json.dumps(feed.events, ensure_ascii=False)


def test_cli_export_feed_is_audited(world, tmp_path, make_partner):
    _partner, _key = make_partner("CSIRT-A", max_tlp="green", receives=["indicators"])
    call_command("misp", "export-feed", str(tmp_path / "out"), "--partner", "CSIRT-A")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    infos = [m["info"] for m in manifest.values()]
    assert infos and all(i.startswith("Hakusan shared indicators") for i in infos)
    entry = AuditEntry.objects.filter(action="export", object_type="misp.feed").latest("id")
    assert entry.detail["partner_name"] == "CSIRT-A" and entry.detail["tlp"] == "green"
    call_command("misp", "export-feed", str(tmp_path / "all"), "--tlp", "clear")
    manifest = json.loads((tmp_path / "all" / "manifest.json").read_text())
    assert len(manifest) == 1  # only the TLP:CLEAR shared indicators


def test_cli_export_refuses_partner_without_feed_content(db, make_partner, tmp_path):
    from django.core.management.base import CommandError

    make_partner("Phish-only", receives=["phishing"])
    with pytest.raises(CommandError, match="neither indicators nor cases"):
        call_command("misp", "export-feed", str(tmp_path), "--partner", "Phish-only")

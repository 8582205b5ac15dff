"""export_bundle: cases, campaigns, actors and sightings, all through partners.policy, strictly
valid STIX, and nothing narrative (case titles, summaries, descriptions) in it."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from hakusan.analysis.models import Campaign, CampaignCase, ThreatActor
from hakusan.cases.models import Case, CaseType
from hakusan.domain.sharing.tlp import STIX_MARKING_IDS
from hakusan.indicators.models import Observable, Sighting
from hakusan.sharing import stix_export
from hakusan.sharing.stix_export import ExportStats, export_bundle

from .conftest import strictly_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stix_schemas")]

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


def observe(type_, value, *, kind="feed", source_id=1, tlp="green", count=1, **kwargs):
    obs, _ = Observable.objects.get_or_create(
        type=type_, value=value, defaults={"first_seen": T0, "last_seen": T1}
    )
    Sighting.objects.create(
        observable=obs,
        source_kind=kind,
        source_id=source_id,
        seen_at=T0,
        last_seen=T1,
        tlp=tlp,
        count=count,
        confidence=70,
        **kwargs,
    )
    return obs


@pytest.fixture
def world(analyst):
    case_type = CaseType.objects.first()
    case = Case.objects.create(
        number="C2026-00001",
        title="被害者 山田太郎 様の件",
        summary="秘密の被害者情報",
        case_type=case_type,
        lead_department=analyst.department,
        opened_by=analyst,
        opened_at=T0,
        tlp="green",
    )
    red_case = Case.objects.create(
        number="C2026-00002",
        title="Red case",
        case_type=case_type,
        lead_department=analyst.department,
        opened_by=analyst,
        opened_at=T0,
        tlp="red",
    )
    actor = ThreatActor.objects.create(
        name="Example Spider",
        aliases=["EXAMPLE-1"],
        description="analyst notes, secret",
        galaxy_uuid=uuid.UUID("0a1b2c3d-0000-4000-8000-000000000001"),
        galaxy="mitre-intrusion-set",
        external_id="G9999",
    )
    campaign = Campaign.objects.create(
        name="Smishing wave 2026-01",
        description="internal notes",
        tlp="green",
        actor=actor,
        created_by=analyst,
    )
    CampaignCase.objects.create(campaign=campaign, case=case)
    shared = observe("domain", "phish.example.jp", kind="case", source_id=case.pk, count=3)
    observe("domain", "phish.example.jp", kind="feed", source_id=9, count=2)
    observe("ipv4", "192.0.2.44", kind="case", source_id=case.pk, tlp="amber")
    observe("url", "https://phish.example.jp/x", kind="case", source_id=red_case.pk, tlp="red")
    observe("email", "victim@example.jp", kind="report", source_id=1, tlp="clear")
    observe("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    observe("cve", "CVE-2021-44228")
    observe("ipv4", "198.51.100.9", kind="partner", source_id=5, tlp="clear")
    return {
        "case": case,
        "red_case": red_case,
        "actor": actor,
        "campaign": campaign,
        "shared": shared,
    }


def objects_by_type(bundle):
    out = {}
    for obj in bundle["objects"]:
        out.setdefault(obj["type"], []).append(obj)
    return out


def test_full_export_at_green_is_policy_filtered_and_valid(world):
    stats = ExportStats()
    bundle = export_bundle(max_tlp="green", stats=stats)
    strictly_valid(bundle)
    found = objects_by_type(bundle)
    values = {o.get("value") for o in bundle["objects"]}
    assert "phish.example.jp" in values
    assert "192.0.2.44" not in values  # amber sighting only
    assert "victim@example.jp" not in values  # reports are never shared
    assert "198.51.100.9" not in values  # partner data is never relayed
    assert "https://phish.example.jp/x" not in values  # red
    assert {v["name"] for v in found["vulnerability"]} == {"CVE-2021-44228"}
    assert {m["id"] for m in found["marking-definition"]} == {STIX_MARKING_IDS["green"]}
    # one sighting per indicator: the eligible sightings summed
    sightings = {s["sighting_of_ref"]: s for s in found["sighting"]}
    domain_ref = stix_export.indicator_id("domain", "phish.example.jp")
    assert sightings[domain_ref]["count"] == 5
    assert sightings[domain_ref]["where_sighted_refs"] == [stix_export.identity_id()]
    assert stats.observables == 3 and stats.sightings == 2
    assert len({o["id"] for o in bundle["objects"]}) == len(bundle["objects"])


def test_cases_campaigns_actors(world):
    stats = ExportStats()
    bundle = export_bundle(
        max_tlp="amber",
        cases=[world["case"], world["red_case"]],
        campaigns=[world["campaign"]],
        actors=[world["actor"]],
        stats=stats,
    )
    strictly_valid(bundle)
    found = objects_by_type(bundle)
    (grouping,) = found["grouping"]
    assert grouping["name"] == f"C2026-00001 {world['case'].case_type.name_en}"
    assert grouping["context"] == "suspicious-activity"
    assert set(grouping["object_refs"]) == {
        stix_export.indicator_id("domain", "phish.example.jp"),
        stix_export.indicator_id("ipv4", "192.0.2.44"),
    }
    assert any("C2026-00002" in reason and "RED" in reason for reason in stats.omitted)
    # scoped: only the cases' observables
    assert "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" not in json.dumps(
        bundle
    )
    (campaign,) = found["campaign"]
    assert campaign["name"] == "Smishing wave 2026-01"
    (actor,) = found["intrusion-set"]
    assert actor["name"] == "Example Spider" and actor["aliases"] == ["EXAMPLE-1"]
    rels = {
        (r["source_ref"], r["relationship_type"], r["target_ref"]) for r in found["relationship"]
    }
    assert (
        stix_export.indicator_id("domain", "phish.example.jp"),
        "indicates",
        campaign["id"],
    ) in rels
    assert (campaign["id"], "attributed-to", actor["id"]) in rels
    text = json.dumps(bundle, ensure_ascii=False)
    for secret in ("山田", "被害者", "Red case", "internal notes", "analyst notes"):
        assert secret not in text


def test_partner_export_uses_the_partners_tlp(world, make_partner):
    partner, _ = make_partner("CSIRT Example", max_tlp="clear")
    bundle = export_bundle(partner=partner, cases=[world["case"]])
    # the case is TLP:GREEN: above a TLP:CLEAR partner, so no grouping and no observable
    assert "grouping" not in objects_by_type(bundle)
    assert "indicator" not in objects_by_type(bundle)
    partner.active = False
    with pytest.raises(ValueError, match="not active"):
        export_bundle(partner=partner)


def test_export_is_deterministic_but_for_the_bundle_id(world):
    a = export_bundle(max_tlp="amber", cases=[world["case"]])
    b = export_bundle(max_tlp="amber", cases=[world["case"]])
    assert a["id"] != b["id"] and a["objects"] == b["objects"]

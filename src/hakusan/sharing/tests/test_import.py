"""import_bundle: what maps becomes sightings (feed or partner), the rest is kept verbatim,
bad objects are skipped with reasons; pending bundles wait for accept/reject."""

import copy

import pytest
import stix2
from django.core.exceptions import ValidationError
from django.utils import translation

from hakusan.core.models import AuditEntry
from hakusan.domain.sharing.tlp import STIX_MARKING_IDS
from hakusan.indicators.models import IndicatorSource, Observable, Sighting
from hakusan.partners import policy
from hakusan.sharing import services
from hakusan.sharing.models import InboundBundle, RawStixObject

pytestmark = pytest.mark.django_db

GREEN2 = STIX_MARKING_IDS["green"]
WHITE1 = stix2.v21.TLP_WHITE.id


def indicator(n: int, pattern: str, **extra):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-01-05T00:00:00.000Z",
        "modified": "2026-01-06T00:00:00.000Z",
        "valid_from": "2026-01-05T00:00:00Z",
        "pattern": pattern,
        "pattern_type": "stix",
        **extra,
    }


def sample_bundle():
    return {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [
            indicator(
                1,
                "[domain-name:value = 'Phish.Example.JP']",
                confidence=85,
                object_marking_refs=[GREEN2],
                labels=["phishing"],
            ),
            indicator(
                2,
                "[ipv4-addr:value = '192.0.2.1'] OR [url:value = 'http://example.com/a']",
                object_marking_refs=[WHITE1],
            ),
            indicator(
                3, "[x509-certificate:issuer = 'CN=a' AND x509-certificate:serial_number = '1']"
            ),
            indicator(4, "[domain-name:value = 'not a domain']"),
            {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": "ipv4-addr--9cbd7e1c-6c4e-5d45-a0ae-3cfb7a9a4d88",
                "value": "198.51.100.7",
            },
            {
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": "vulnerability--00000000-0000-4000-8000-000000000005",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": "Log4Shell",
                "external_references": [{"source_name": "cve", "external_id": "CVE-2021-44228"}],
            },
            {
                "type": "malware",
                "spec_version": "2.1",
                "id": "malware--00000000-0000-4000-8000-000000000006",
                "name": "Example RAT",
                "is_family": True,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
            },
            {
                "type": "threat-actor",
                "spec_version": "2.1",
                "id": "threat-actor--00000000-0000-4000-8000-000000000007",
                "name": "Example Panda",
                "aliases": ["EXAMPLE-7"],
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
            },
            {"type": "indicator", "spec_version": "2.1", "pattern": "[url:value = 'x']"},
            {"id": "indicator--00000000-0000-4000-8000-000000000009"},
            "not an object",
        ],
    }


def test_file_import_maps_keeps_and_skips_with_reasons(analyst):
    from hakusan.analysis.models import ThreatActor

    ThreatActor.objects.create(name="Panda of Example", aliases=["example-7"])
    report = services.import_bundle(
        sample_bundle(),
        source_name="Example feed",
        tlp_default="amber",
        user=analyst,
        provenance="file example.json",
    )
    outcomes = {o.stix_id: (o.outcome, o.reason) for o in report.objects}
    assert (report.imported, report.merged, report.kept, report.skipped) == (4, 0, 3, 4)
    assert outcomes["indicator--00000000-0000-4000-8000-000000000003"] == (
        "kept",
        "kept as pattern: AND inside an observation (only OR of = comparisons is a list of values)",
    )
    assert outcomes["indicator--00000000-0000-4000-8000-000000000004"] == (
        "skipped",
        "domain 'not a domain': contains characters that cannot be in a host name",
    )
    assert outcomes["threat-actor--00000000-0000-4000-8000-000000000007"][1].startswith(
        "kept: matches threat actor Panda of Example"
    )
    reasons = [o.reason for o in report.objects if o.outcome == "skipped"]
    assert "no id" in reasons and "no type" in reasons
    assert any("not a JSON object" in r for r in reasons)

    source = IndicatorSource.objects.get(name="Example feed")
    sightings = {
        (s.observable.type, s.observable.value): s
        for s in Sighting.objects.filter(source_kind="feed", source_id=source.pk)
    }
    assert set(sightings) == {
        ("domain", "phish.example.jp"),
        ("ipv4", "192.0.2.1"),
        ("url", "http://example.com/a"),
        ("ipv4", "198.51.100.7"),
        ("cve", "CVE-2021-44228"),
    }
    phish = sightings[("domain", "phish.example.jp")]
    assert (phish.tlp, phish.confidence, phish.original) == ("green", 85, "Phish.Example.JP")
    assert "phishing" in phish.tags and f"STIX #{report.bundle.pk}" in phish.provenance
    assert phish.seen_at.isoformat().startswith("2026-01-05")
    assert phish.last_seen.isoformat().startswith("2026-01-06")
    assert sightings[("ipv4", "192.0.2.1")].tlp == "clear"  # TLP 1.0 WHITE
    assert sightings[("ipv4", "198.51.100.7")].tlp == "amber"  # no marking: the default

    bundle = InboundBundle.objects.get()
    assert bundle.state == "accepted" and bundle.object_count == 11
    assert bundle.report["imported"] == 4
    # every JSON object is kept verbatim, the unusable ones too
    assert RawStixObject.objects.filter(bundle=bundle).count() == 10
    raw = RawStixObject.objects.get(stix_id="malware--00000000-0000-4000-8000-000000000006")
    assert raw.body == sample_bundle()["objects"][6] and raw.outcome == "kept"
    assert AuditEntry.objects.filter(action="import", object_id=str(bundle.pk)).exists()


def test_reimport_is_merged_and_updates_the_sighting():
    services.import_bundle(sample_bundle(), source_name="Feed A")
    again = copy.deepcopy(sample_bundle())
    again["objects"][0]["modified"] = "2026-01-09T00:00:00.000Z"
    report = services.import_bundle(again, source_name="Feed A")
    assert (report.imported, report.merged) == (0, 4)
    assert report.new_observables == 0
    assert Sighting.objects.filter(observable__value="phish.example.jp").count() == 1


def test_partner_bundle_pending_then_accepted(make_partner, supervisor):
    partner, _key = make_partner("CSIRT Example", max_tlp="amber")
    report = services.import_bundle(sample_bundle(), partner=partner, pending=True)
    bundle = report.bundle
    assert bundle.state == "pending" and report.imported == 4
    assert not Sighting.objects.exists()  # nothing until an analyst accepts

    accepted = services.accept_bundle(bundle, supervisor)
    bundle.refresh_from_db()
    assert bundle.state == "accepted" and bundle.reviewed_by == supervisor
    assert accepted.sightings == 5
    kinds = set(Sighting.objects.values_list("source_kind", "source_id"))
    assert kinds == {("partner", bundle.pk)}
    # what a partner sent is never relayed
    assert not policy.shareable_observables("red").exists()
    with translation.override("en"), pytest.raises(ValidationError, match="not pending"):
        services.accept_bundle(bundle, supervisor)


def test_rejected_bundle_writes_nothing(make_partner, supervisor):
    partner, _key = make_partner("CSIRT Example")
    report = services.import_bundle(sample_bundle(), partner=partner, pending=True)
    services.reject_bundle(report.bundle, supervisor, reason="unsolicited")
    report.bundle.refresh_from_db()
    assert report.bundle.state == "rejected"
    assert report.bundle.report["rejected_reason"] == "unsolicited"
    assert not Sighting.objects.exists() and not Observable.objects.exists()
    with translation.override("en"), pytest.raises(ValidationError, match="not pending"):
        services.reject_bundle(report.bundle, supervisor)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hello": "world"}, "not a STIX bundle"),
        ({"type": "bundle", "id": "bundle--1", "objects": {}}, "not a list"),
    ],
)
def test_not_a_bundle(data, message):
    with pytest.raises(ValidationError, match=message):
        services.import_bundle(data, source_name="Feed")
    assert not InboundBundle.objects.exists()


def test_needs_a_source_and_a_known_tlp():
    with translation.override("en"), pytest.raises(ValidationError, match="partner or a source"):
        services.import_bundle(sample_bundle())
    with pytest.raises(ValidationError, match="unknown TLP"):
        services.import_bundle(sample_bundle(), source_name="Feed", tlp_default="purple")


def test_list_of_objects_is_accepted():
    report = services.import_bundle(sample_bundle()["objects"][:2], source_name="Feed")
    assert report.imported == 2 and report.bundle.stix_id == ""

"""observable_objects / identity_object / marking_objects: every type, strictly valid STIX."""

import uuid

import pytest

from hakusan.domain.observables import canonicalize
from hakusan.domain.sharing.tlp import LEVELS, STIX_MARKING_IDS
from hakusan.indicators.models import Observable
from hakusan.sharing import stix_export

from .conftest import FIRST, LAST, SAMPLES, strictly_valid

pytestmark = pytest.mark.usefixtures("stix_schemas")


def observable(our_type: str, **kwargs) -> Observable:
    return Observable(
        type=our_type,
        value=canonicalize(our_type, SAMPLES[our_type]),
        first_seen=FIRST,
        last_seen=LAST,
        **kwargs,
    )


def by_type(objects):
    out = {}
    for obj in objects:
        out.setdefault(obj["type"], []).append(obj)
    return out


def test_identity_and_markings_are_strictly_valid(settings):
    settings.HAKUSAN_ORGANISATION = "Example Prefectural Police"
    identity = stix_export.identity_object()
    assert identity["name"] == "Example Prefectural Police"
    assert identity["id"] == stix_export.identity_id()
    strictly_valid(identity)
    markings = stix_export.marking_objects(["red", "TLP:CLEAR", "amber+strict", "green", "amber"])
    assert [m["id"] for m in markings] == [STIX_MARKING_IDS[level] for level in LEVELS]
    strictly_valid(markings)
    settings.HAKUSAN_ORGANISATION = "Other"
    assert stix_export.identity_id() != identity["id"]


@pytest.mark.parametrize("our_type", sorted(SAMPLES))
def test_every_type_is_strictly_valid_and_deterministic(our_type):
    obs = observable(our_type)
    obs.share_confidence = 80
    objects = stix_export.observable_objects(obs, "green")
    strictly_valid(objects)
    assert objects == stix_export.observable_objects(obs, "green")  # deterministic
    green = STIX_MARKING_IDS["green"]
    for obj in objects:
        if obj["type"] != "extension-definition":
            assert obj["object_marking_refs"] == [green]
    found = by_type(objects)
    if our_type == "cve":
        (vuln,) = found["vulnerability"]
        assert vuln["name"] == obs.value and "indicator" not in found
        assert vuln["created_by_ref"] == stix_export.identity_id()
        return
    (indicator,) = found["indicator"]
    assert indicator["id"] == stix_export.indicator_id(obs.type, obs.value)
    assert indicator["pattern_type"] == "stix"
    assert indicator["valid_from"] == indicator["created"] == "2026-01-02T03:04:05.678Z"
    assert indicator["modified"] == "2026-02-03T04:05:06.000Z"
    assert indicator["confidence"] == 80
    assert indicator["created_by_ref"] == stix_export.identity_id()
    (rel,) = found["relationship"]
    scos = [o for o in objects if o["type"] not in ("indicator", "relationship")]
    scos = [o for o in scos if o["type"] != "extension-definition"]
    assert len(scos) == 1
    assert (rel["relationship_type"], rel["source_ref"], rel["target_ref"]) == (
        "related-to",
        indicator["id"],
        scos[0]["id"],
    )
    assert "created_by_ref" not in scos[0]  # SCOs have no author


def test_patterns_escape_quotes_and_backslashes():
    objects = stix_export.observable_objects(observable("mutex"), "amber")
    (indicator,) = by_type(objects)["indicator"]
    assert indicator["pattern"] == "[mutex:name = 'Global\\\\Evil\\'Mutex']"
    (url,) = by_type(stix_export.observable_objects(observable("url"), "amber"))["indicator"]
    assert url["pattern"] == "[url:value = 'https://phish.example.jp/it\\'s/login']"


def test_type_specific_shapes():
    def sco(our_type):
        objects = stix_export.observable_objects(observable(our_type), "amber")
        return [o for o in objects if o["type"] not in ("indicator", "relationship")]

    assert sco("sha1")[0]["hashes"] == {"SHA-1": SAMPLES["sha1"]}
    assert sco("tlsh")[0]["hashes"] == {"TLSH": "A0" * 35}  # without the T1 version
    assert sco("asn")[0]["number"] == 64500
    assert sco("cidr")[0] == {**sco("cidr")[0], "type": "ipv4-addr", "value": "198.51.100.0/24"}
    account = sco("sns_account")[0]
    assert (account["account_type"], account["user_id"]) == ("twitter", "x:example_jp")
    ext, phone = sco("phone")
    assert ext["type"] == "extension-definition" and ext["extension_types"] == ["new-sco"]
    assert phone["type"] == "phone-number" and phone["value"] == "+81312345678"
    assert phone["extensions"] == {ext["id"]: {"extension_type": "new-sco"}}
    assert sco("eth")[1]["type"] == sco("btc")[1]["type"] == "cryptocurrency-wallet"


def test_modified_follows_last_seen_and_valid_until_expiry():
    obs = observable("domain")
    first = stix_export.observable_objects(obs, "amber")
    obs.last_seen = LAST.replace(month=3)
    obs.expires_at = LAST.replace(month=4)
    second = stix_export.observable_objects(obs, "amber")
    ind1, ind2 = by_type(first)["indicator"][0], by_type(second)["indicator"][0]
    assert ind1["id"] == ind2["id"] and ind2["modified"] > ind1["modified"]
    assert ind2["valid_until"] == "2026-04-03T04:05:06.000Z"
    strictly_valid(second)
    assert uuid.UUID(ind1["id"].split("--")[1]).version == 4

"""The pure mapping: types both ways, TLP tags, event documents, feed hashes."""

import hashlib

import pytest

from hakusan.domain.misp import (
    EXPORT_TYPES,
    InvalidMispDocument,
    UnsupportedMispType,
    canonical_value,
    events_in,
    export_target,
    import_parts,
    is_manifest,
    parse_event,
    tlp_of_tags,
    value_hashes,
)
from hakusan.domain.observables import InvalidObservable, ObservableType


def test_every_observable_type_has_a_misp_type_known_to_pymisp():
    from pymisp import MISPAttribute

    known = MISPAttribute().known_types
    categories = MISPAttribute().describe_types["category_type_mappings"]
    for t in ObservableType:
        target = EXPORT_TYPES[str(t)]
        assert target.type in known, t
        assert target.type in categories[target.category], (t, target)


@pytest.mark.parametrize(
    ("our", "value", "misp"),
    [
        ("domain", "evil.example", "domain"),
        ("domain", "login.evil.example", "hostname"),
        ("ipv4", "192.0.2.7", "ip-dst"),
        ("cve", "CVE-2024-3400", "vulnerability"),
        ("asn", "AS64500", "AS"),
    ],
)
def test_export_target(our, value, misp):
    assert export_target(our, value)[0].type == misp


@pytest.mark.parametrize(
    ("misp_type", "value", "expected"),
    [
        ("ip-src", "192.0.2.1", [("ipv4", "192.0.2.1")]),
        ("ip-dst|port", "192.0.2.1|8080", [("ipv4", "192.0.2.1")]),
        ("hostname", "WWW.Example.JP", [("domain", "www.example.jp")]),
        ("email-dst", "Info@Example.JP", [("email", "info@example.jp")]),
        ("filename|md5", "a|b.exe|" + "A" * 32, [("filename", "a|b.exe"), ("md5", "a" * 32)]),
        ("malware-sample", "x.exe|" + "b" * 32, [("filename", "x.exe"), ("md5", "b" * 32)]),
        ("AS", "64500", [("asn", "AS64500")]),
        ("vulnerability", "cve-2024-3400", [("cve", "CVE-2024-3400")]),
        ("ja3-fingerprint-md5", "C" * 32, [("ja3", "c" * 32)]),
        ("phone-number", "03-1234-5678", [("phone", "+81312345678")]),
        ("github-username", "someone", [("sns_account", "github:someone")]),
        ("ip-dst", "198.51.100.0/24", [("cidr", "198.51.100.0/24")]),
    ],
)
def test_import_parts(misp_type, value, expected):
    got = [canonical_value(p.type, p.raw) for p in import_parts(misp_type, value)]
    assert got == expected


def test_port_goes_to_the_note():
    (part,) = import_parts("ip-dst|port", "192.0.2.1|8080")
    assert part.note == "port 8080"


@pytest.mark.parametrize("misp_type", ["link", "regkey", "text", "yara", "sha512"])
def test_unsupported_types_raise_naming_the_type(misp_type):
    with pytest.raises(UnsupportedMispType, match=misp_type):
        import_parts(misp_type, "x")


def test_typed_text_round_trips():
    target, tags = export_target("eth", "0x" + "ab" * 20)
    assert target.type == "text" and tags == ['hakusan:observable-type="eth"']
    (part,) = import_parts("text", "0x" + "ab" * 20, tags)
    assert canonical_value(part.type, part.raw) == ("eth", "0x" + "ab" * 20)


def test_ip_type_rejects_a_domain():
    with pytest.raises(InvalidObservable, match="not an IP"):
        canonical_value("ip", "example.jp")


@pytest.mark.parametrize(
    ("tags", "level"),
    [
        (["tlp:white"], "clear"),
        (["TLP:GREEN", "type:OSINT"], "green"),
        (["tlp:amber+strict"], "amber+strict"),
        (["tlp:green", "tlp:red"], "red"),
        (["tlp:ex:chr", "osint:lifetime"], None),
        ([], None),
    ],
)
def test_tlp_of_tags(tags, level):
    assert tlp_of_tags(tags) == level


def test_value_hashes_split_composites_like_misp():
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    assert value_hashes("domain", "evil.example") == [md5("evil.example")]
    assert value_hashes("ip-dst|port", "192.0.2.1|80") == [md5("192.0.2.1"), md5("80")]


def test_documents():
    event = {"uuid": "0b3c8a8e-2c5a-4f4e-9c1e-0f2f0d7e1a11", "info": "x", "Attribute": []}
    assert list(events_in({"Event": event})) == [event]
    assert list(events_in([{"Event": event}, event])) == [event, event]
    assert list(events_in({"response": [{"Event": event}]})) == [event]
    assert is_manifest({event["uuid"]: {"info": "x", "timestamp": "1"}})
    assert not is_manifest({"Event": event})
    with pytest.raises(InvalidMispDocument, match="not a MISP event"):
        list(events_in({"type": "bundle"}))
    with pytest.raises(InvalidMispDocument, match="item 1"):
        list(events_in([event, 3]))


def test_parse_event_flattens_objects_and_reads_galaxies():
    record = parse_event(
        {
            "uuid": "0b3c8a8e-2c5a-4f4e-9c1e-0f2f0d7e1a11",
            "info": "x",
            "Orgc": {"name": "CIRCL"},
            "Tag": [{"name": "tlp:green"}, {"name": 'misp-galaxy:threat-actor="APT10"'}],
            "Attribute": [
                {
                    "uuid": "a",
                    "type": "domain",
                    "value": "evil.example",
                    "to_ids": "0",
                    "timestamp": "1700000000",
                }
            ],
            "Object": [
                {
                    "name": "file",
                    "Attribute": [{"uuid": "b", "type": "md5", "value": "a" * 32, "to_ids": True}],
                }
            ],
            "Galaxy": [
                {
                    "type": "mitre-attack-pattern",
                    "GalaxyCluster": [
                        {"uuid": "c", "value": "Phishing - T1566", "type": "mitre-attack-pattern"}
                    ],
                }
            ],
        }
    )
    assert record.orgc == "CIRCL"
    assert [(a.type, a.object_name, a.to_ids) for a in record.attributes] == [
        ("domain", "", False),
        ("md5", "file", True),
    ]
    assert {g.galaxy for g in record.galaxies} == {"threat-actor", "mitre-attack-pattern"}
    assert record.attributes[0].timestamp.year == 2023

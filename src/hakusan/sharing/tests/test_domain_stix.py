"""The pure STIX mapping: ids as the stix2 library computes them, pattern writing and reading,
markings, every observable type both ways."""

import json
import uuid

import pytest
import stix2

from hakusan.domain.observables import ObservableType, canonicalize
from hakusan.domain.sharing.tlp import STIX_MARKING_IDS
from hakusan.domain.stix import ids, mapping, markings, patterns
from hakusan.domain.stix.loading import BundleError, loads, objects_of

from .conftest import SAMPLES

IDENTITY = "identity--5b2f7a29-52e4-4a52-9a44-0a1c9f1f0a11"


def test_samples_cover_every_observable_type():
    assert set(SAMPLES) == {t.value for t in ObservableType}


@pytest.mark.parametrize(
    ("stix_object", "our_type", "value"),
    [
        (stix2.v21.IPv4Address(value="192.0.2.10"), "ipv4", "192.0.2.10"),
        (stix2.v21.IPv4Address(value="198.51.100.0/24"), "cidr", "198.51.100.0/24"),
        (stix2.v21.IPv6Address(value="2001:db8::1"), "ipv6", "2001:db8::1"),
        (stix2.v21.DomainName(value="phish.example.jp"), "domain", "phish.example.jp"),
        (stix2.v21.URL(value="https://phish.example.jp/a"), "url", "https://phish.example.jp/a"),
        (stix2.v21.EmailAddress(value="alice@example.jp"), "email", "alice@example.jp"),
        (stix2.v21.File(hashes={"MD5": SAMPLES["md5"]}), "md5", SAMPLES["md5"]),
        (stix2.v21.File(hashes={"SHA-1": SAMPLES["sha1"]}), "sha1", SAMPLES["sha1"]),
        (stix2.v21.File(hashes={"SHA-256": SAMPLES["sha256"]}), "sha256", SAMPLES["sha256"]),
        (stix2.v21.File(name="invoice.pdf.exe"), "filename", "invoice.pdf.exe"),
        (stix2.v21.Mutex(name="Global\\m"), "mutex", "Global\\m"),
        (stix2.v21.AutonomousSystem(number=64500), "asn", "AS64500"),
        (
            stix2.v21.UserAccount(
                account_type="twitter", user_id="x:example_jp", account_login="example_jp"
            ),
            "sns_account",
            "x:example_jp",
        ),
    ],
)
def test_sco_ids_are_the_stix2_librarys(stix_object, our_type, value):
    form = mapping.to_stix(our_type, value, identity_id=IDENTITY)
    assert form.scos[0]["id"] == stix_object.id
    assert uuid.UUID(form.scos[0]["id"].split("--")[1]).version == 5


def test_our_ids_are_deterministic_v4_shaped_and_distinct():
    a = ids.our_id("indicator", "ipv4:192.0.2.1")
    assert a == ids.our_id("indicator", "ipv4:192.0.2.1")
    assert a != ids.our_id("indicator", "ipv4:192.0.2.2")
    assert uuid.UUID(a.split("--")[1]).version == 4
    custom = mapping.to_stix("phone", "+81312345678", identity_id=IDENTITY).scos[0]
    assert custom["id"].startswith("phone-number--")
    assert uuid.UUID(custom["id"].split("--")[1]).version == 4


def test_escape_and_parse_round_trip():
    value = "Global\\Evil'Mutex \\' end"
    pattern = patterns.equals("mutex", ("name",), value)
    assert pattern == "[mutex:name = 'Global\\\\Evil\\'Mutex \\\\\\' end']"
    assert patterns.parse_simple(pattern) == [patterns.Comparison("mutex", ("name",), value)]


def test_parse_or_of_comparisons_and_quoted_paths():
    found = patterns.parse_simple(
        "[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1'] "
        "OR [file:hashes.'SHA-256' = 'ab'] OR [autonomous-system:number = 64500]"
    )
    assert [(c.object_type, c.path, c.value) for c in found] == [
        ("domain-name", ("value",), "a.example"),
        ("ipv4-addr", ("value",), "192.0.2.1"),
        ("file", ("hashes", "SHA-256"), "ab"),
        ("autonomous-system", ("number",), 64500),
    ]


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("[x509-certificate:issuer = 'CN=a' AND x509-certificate:serial_number = '1']", "AND"),
        ("[ipv4-addr:value ISSUBSET '192.0.2.0/24']", "ISSUBSET"),
        ("[url:value = 'a'] FOLLOWEDBY [url:value = 'b']", "FOLLOWEDBY"),
        ("[url:value = 'a'] WITHIN 5 SECONDS", "WITHIN"),
        ("[url:value != 'a']", "!"),
        ("[file:name MATCHES '^a']", "MATCHES"),
        ("[url:value = 'a'", "ends"),
        ("", "empty"),
    ],
)
def test_complex_patterns_are_not_simple(pattern, why):
    with pytest.raises(patterns.NotSimple, match=why):
        patterns.parse_simple(pattern)


@pytest.mark.parametrize("our_type", sorted(SAMPLES))
def test_every_type_round_trips_through_its_pattern_and_sco(our_type):
    value = canonicalize(our_type, SAMPLES[our_type])
    form = mapping.to_stix(our_type, value, identity_id=IDENTITY)
    if our_type == "cve":
        assert form.pattern is None and form.sdo is not None
        assert mapping.from_sco(form.sdo) == [("cve", value)]
        return
    assert form.pattern is not None
    pairs = [mapping.from_comparison(c) for c in patterns.parse_simple(form.pattern)]
    assert [(t, canonicalize(t, v)) for t, v in pairs] == [(our_type, value)]
    from_sco = [(t, canonicalize(t, v)) for t, v in mapping.from_sco(form.scos[0])]
    assert from_sco == [(our_type, value)]


def test_tlp_markings_both_versions():
    for level, marking_id in STIX_MARKING_IDS.items():
        obj = markings.marking_definition(level)
        assert obj["id"] == marking_id and obj["name"] == f"TLP:{level.upper()}"
        assert obj["extensions"][markings.TLP2_EXTENSION_ID]["tlp_2_0"] == level
        assert markings.tlp_of_marking(obj) == level
    # TLP 1.0 markings as the stix2 library defines them (TLP:WHITE is TLP:CLEAR).
    assert markings.tlp_of_refs([stix2.v21.TLP_WHITE.id]) == "clear"
    assert markings.tlp_of_refs([stix2.v21.TLP_GREEN.id]) == "green"
    assert markings.tlp_of_refs([stix2.v21.TLP_AMBER.id]) == "amber"
    assert markings.tlp_of_refs([stix2.v21.TLP_RED.id]) == "red"
    assert markings.tlp_of_refs([STIX_MARKING_IDS["green"], STIX_MARKING_IDS["red"]]) == "red"
    assert markings.tlp_of_refs(["marking-definition--unknown"]) is None
    assert markings.tlp_of_marking(json.loads(stix2.v21.TLP_WHITE.serialize())) == "clear"


def test_loading_errors_name_line_and_column():
    with pytest.raises(BundleError, match="line 3, column 5"):
        loads('{\n "type": "bundle",\n    oops}')
    with pytest.raises(BundleError, match="not a STIX bundle"):
        objects_of({"hello": "world"})
    with pytest.raises(BundleError, match="got str"):
        objects_of("bundle")
    assert objects_of({"type": "bundle", "id": "bundle--1", "objects": []}) == ([], "bundle--1")

"""OfflineAsnEnricher: on fixture data laid out as the npm packages, and on the real data
installed by `make install` (skipped, with the reason, when frontend/node_modules lacks it)."""

import json
import shutil
from pathlib import Path

import pytest

from hakusan.domain.enrichment import (
    Enricher,
    EnrichmentFact,
    IpDataMissing,
    IpIntervalIndex,
    OfflineAsnEnricher,
    data_dir_candidates,
    find_data_dir,
)
from hakusan.domain.enrichment import asn as asn_module

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "enrichment"
REAL = asn_module.REPO_ROOT / "frontend" / "node_modules" / "@ip-location-db"


def lay_out(root: Path) -> Path:
    """The fixture CSVs in the packages' layout (IPv4 and IPv6 lines share the -ipv4 file)."""
    for package, fixture, stem in (
        ("asn", "asn.csv", "asn"),
        ("geo-whois-asn-country", "country.csv", "geo-whois-asn-country"),
    ):
        folder = root / package
        folder.mkdir(parents=True)
        shutil.copy(FIXTURES / fixture, folder / f"{stem}-ipv4.csv")
        (folder / f"{stem}-ipv6.csv").write_text("", encoding="utf-8")
        (folder / "package.json").write_text(json.dumps({"version": "9.9.9"}), encoding="utf-8")
    return root


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    return lay_out(tmp_path / "@ip-location-db")


def facts(found: list[EnrichmentFact]) -> dict[str, str]:
    return {f.key: f.value for f in found}


def test_documentation_and_private_addresses_give_nothing_even_if_the_data_has_them(
    fixture_dir: Path,
):
    enricher = OfflineAsnEnricher(fixture_dir)
    for ip in ("192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "::ffff:192.0.2.1"):
        assert enricher.enrich("ipv4" if "." in ip else "ipv6", ip) == []


def test_facts_from_the_data(fixture_dir: Path, monkeypatch: pytest.MonkeyPatch):
    # treat nothing as special-purpose, so that the documentation ranges act as public ones
    nothing = IpIntervalIndex.from_rows([], columns=("range",))
    monkeypatch.setattr(asn_module, "special_purpose_index", lambda: nothing)
    enricher: Enricher = OfflineAsnEnricher(fixture_dir)

    found = enricher.enrich("ipv4", "192.0.2.130")
    assert [(f.enricher, f.key, f.value) for f in found] == [
        ("offline-asn", "asn", "AS64497"),
        ("offline-asn", "as_org", "Example, Inc."),
        ("offline-asn", "country", "JP"),
    ]
    assert "DB-IP" in found[0].attribution and "@ip-location-db/asn 9.9.9" in found[0].attribution
    assert found[0].attribution == found[1].attribution
    assert "NRO" in found[2].attribution
    assert "@ip-location-db/geo-whois-asn-country 9.9.9" in found[2].attribution

    assert facts(enricher.enrich("ipv6", "2001:db8:1::1")) == {
        "asn": "AS65536",
        "as_org": "Example IPv6 small",
        "country": "AU",
    }
    assert facts(enricher.enrich("ipv6", "2001:db8:8000::1")) == {"country": "NZ"}
    assert facts(enricher.enrich("ipv4", "203.0.113.200")) == {  # ASN data only
        "asn": "AS64499",
        "as_org": "例示ネットワーク株式会社",
    }
    assert facts(enricher.enrich("ipv4", "198.51.100.200")) == {"country": "DE"}  # country only

    items = [
        ("ipv4", "192.0.2.1"),
        ("domain", "example.jp"),  # not an IP type: nothing
        ("ipv4", "not an address"),  # malformed: nothing, and no error
        ("ipv6", "2001:db8:1::1"),
        ("ipv4", "192.0.2.1"),
        ("ipv6", "::ffff:192.0.2.1"),
    ]
    many = enricher.enrich_many(items)
    assert many == [enricher.enrich(t, v) for t, v in items]
    assert many[1] == [] and many[2] == [] and many[0] == many[4] == many[5]
    assert enricher.enrich_many([]) == []
    assert enricher.enrich("url", "http://192.0.2.1/") == []


def test_missing_data_names_the_paths_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(asn_module.ENV_VAR, str(tmp_path / "from-env"))
    monkeypatch.setattr(asn_module, "REPO_ROOT", tmp_path / "repo")
    assert data_dir_candidates() == [
        tmp_path / "from-env",
        tmp_path / "repo" / "frontend" / "node_modules" / "@ip-location-db",
    ]
    with pytest.raises(IpDataMissing) as caught:
        OfflineAsnEnricher()
    message = str(caught.value)
    assert str(tmp_path / "from-env") in message
    assert str(tmp_path / "repo" / "frontend" / "node_modules" / "@ip-location-db") in message
    assert "asn/asn-ipv4.csv" in message and "HAKUSAN_IPDB_DIR" in message
    with pytest.raises(IpDataMissing, match="explicit"):
        OfflineAsnEnricher(tmp_path / "explicit")


def test_environment_variable_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chosen = lay_out(tmp_path / "chosen")
    monkeypatch.setenv(asn_module.ENV_VAR, str(chosen))
    assert data_dir_candidates()[0] == chosen
    assert find_data_dir() == chosen
    monkeypatch.delenv(asn_module.ENV_VAR)
    assert data_dir_candidates() == [REAL]


# --- the real data ---------------------------------------------------------------------

needs_real_data = pytest.mark.skipif(
    not (REAL / "asn" / "asn-ipv4.csv").is_file(),
    reason=f"{REAL} is absent: run `make install` (npm ci in frontend/) for the IP data",
)


@pytest.fixture(scope="module")
def real() -> OfflineAsnEnricher:
    enricher = OfflineAsnEnricher(REAL)
    enricher.load()
    return enricher


@needs_real_data
@pytest.mark.parametrize(
    ("kind", "ip", "expected"),
    [
        ("ipv4", "8.8.8.8", {"asn": "AS15169", "as_org": "Google LLC", "country": "US"}),
        ("ipv6", "2001:4860:4860::8888", {"asn": "AS15169", "as_org": "Google LLC"}),
        ("ipv4", "1.1.1.1", {"asn": "AS13335", "as_org": "Cloudflare, Inc."}),
        # IIJ: 202.232.0.0/16 in asn-ipv4.csv; NTT Communications (OCN): 60.32.0.0/12
        (
            "ipv4",
            "202.232.2.1",
            {"asn": "AS2497", "as_org": "Internet Initiative Japan Inc.", "country": "JP"},
        ),
        (
            "ipv4",
            "60.32.0.1",
            {"asn": "AS4713", "as_org": "NTT Communications Corporation", "country": "JP"},
        ),
        ("ipv6", "2001:240::1", {"asn": "AS2497", "country": "JP"}),
    ],
)
def test_real_data(real: OfflineAsnEnricher, kind: str, ip: str, expected: dict[str, str]):
    got = facts(real.enrich(kind, ip))
    assert {k: got.get(k) for k in expected} == expected


@needs_real_data
@pytest.mark.parametrize(
    "ip", ["192.0.2.1", "10.0.0.1", "127.0.0.1", "100.64.0.1", "::1", "fe80::1", "2001:db8::1"]
)
def test_real_data_special_purpose(real: OfflineAsnEnricher, ip: str):
    assert real.enrich("ipv6" if ":" in ip else "ipv4", ip) == []


@needs_real_data
def test_real_attribution_names_sources_licence_and_version(real: OfflineAsnEnricher):
    version = json.loads((REAL / "asn" / "package.json").read_text(encoding="utf-8"))["version"]
    asn_text, country_text = real.attributions
    for name in ("RouteViews", "NRO", "DB-IP", "https://db-ip.com", "CC BY 4.0", version):
        assert name in asn_text
    assert "NRO" in country_text and "CC BY 4.0" in country_text
    found = real.enrich("ipv4", "8.8.8.8")
    assert {f.attribution for f in found} == {asn_text, country_text}


@needs_real_data
def test_real_batch_equals_single(real: OfflineAsnEnricher):
    items = [("ipv4", f"{a}.{b}.7.9") for a in (1, 8, 43, 133, 202, 210) for b in (0, 99, 232)]
    items += [("ipv6", "2400:cb00::1"), ("ipv6", "2001:380::1"), ("ipv4", "192.168.0.1")]
    assert real.enrich_many(items) == [real.enrich(t, v) for t, v in items]

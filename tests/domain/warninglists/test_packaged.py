"""The lists shipped in pymispwarninglists 1.7.0 (pinned), matched with the real data.

The index is built once for the module (a few seconds: Tranco and CrUX hold a million
names each).
"""

import ipaddress
import random
from collections import Counter

import pytest

from hakusan.domain.warninglists import Hit, WarninglistIndex, load_packaged_lists
from hakusan.domain.warninglists.cidr import parse_prefix
from hakusan.domain.warninglists.load import packaged_lists_dir
from hakusan.domain.warninglists.text import normalise_host

TOP_SITES = {
    "alexa",
    "cisco_top1000",
    "cisco_top5k",
    "cisco_top10k",
    "cisco_top20k",
    "google-chrome-crux-1million",
    "majestic_million",
    "moz-top500",
    "tranco",
    "tranco10k",
}


@pytest.fixture(scope="module")
def lists():
    return load_packaged_lists()


@pytest.fixture(scope="module")
def index() -> WarninglistIndex:
    return WarninglistIndex.packaged()


def hits(index: WarninglistIndex, type_: str, value: str) -> dict[str, Hit]:
    return {hit.slug: hit for hit in index.match(type_, value)}


def test_the_lists_come_from_the_installed_wheel(lists, index):
    assert packaged_lists_dir().is_dir()
    assert len(lists) == len(index.lists) == 119
    assert [meta.slug for meta, _ in lists] == sorted(meta.slug for meta, _ in lists)
    assert Counter(meta.list_type for meta, _ in lists) == {
        "cidr": 69,
        "string": 26,
        "hostname": 19,
        "substring": 3,
        "regex": 2,
    }
    assert {meta.slug for meta in index.lists} >= TOP_SITES
    assert index.entries == sum(len(entries) for _, entries in lists) > 2_000_000
    # a handful of unusable entries, e.g. "corona helden" in a hostname list
    assert index.invalid and all(count < 10 for count in index.invalid.values())
    assert WarninglistIndex.packaged() is index  # cached, process-wide


def test_categories(lists):
    known = {meta.slug for meta, _ in lists if meta.category == "known"}
    assert known == {
        "disposable-email",
        "dynamic-dns",
        "link-in-bio",
        "lots-project",
        "public-ipfs-gateways",
        "url-shortener",
    }
    assert {meta.category for meta, _ in lists} == {"false-positive", "known"}
    without = load_packaged_lists(include_known=False)
    assert {meta.slug for meta, _ in without} == {meta.slug for meta, _ in lists} - known


def test_public_dns_resolvers(index):
    found = hits(index, "ipv4", "8.8.8.8")
    assert found["public-dns-v4"].name == "List of known IPv4 public DNS resolvers"
    assert found["public-dns-v4"].matched == "8.8.8.8"
    assert "public-dns-v4" in hits(index, "ipv4", "1.1.1.1")
    v6 = hits(index, "ipv6", "2001:4860:4860::8888")
    assert v6["public-dns-v6"].name == "List of known IPv6 public DNS resolvers"
    assert v6["public-dns-v6"].matched == "2001:4860:4860::8888"
    assert v6["google-gmail-sending-ips"].matched == "2001:4860:4000::/36"  # a wider block


def test_special_use_ranges(index):
    private = hits(index, "ipv4", "192.168.0.1")
    assert private["rfc1918"].name == "List of RFC 1918 CIDR blocks"
    assert private["rfc1918"].matched == "192.168.0.0/16"
    assert private["rfc5735"].matched == "192.168.0.0/16"
    assert set(hits(index, "ipv4", "10.20.30.40")) == {"rfc1918", "rfc5735"}
    # RFC 5737 documentation ranges are in the RFC 5735 list (TEST-NET-3 here)
    doc = hits(index, "ipv4", "203.0.113.5")
    assert set(doc) == {"rfc5735"}
    assert doc["rfc5735"].matched == "203.0.113.0/24"
    assert hits(index, "ipv4", "100.64.1.1")["rfc6598"].matched == "100.64.0.0/10"
    assert hits(index, "ipv6", "2001:db8::1")["rfc3849"].matched == "2001:DB8::/32"
    assert hits(index, "ipv6", "fe80::1")["ipv6-linklocal"].matched == "FE80::/10"
    assert {"multicast", "rfc5735"} <= set(hits(index, "ipv4", "224.0.0.251"))


def test_cloud_and_scanner_ranges(index):
    assert "cloudflare" in hits(index, "ipv4", "104.16.0.1")
    assert "shodan-scanning" in hits(index, "ipv4", "66.240.192.138")
    assert hits(index, "ipv4", "146.112.61.104").keys() >= {"umbrella-blockpage-v4", "sinkholes"}
    # the same address written as IPv4-mapped IPv6, and the list that writes it so
    mapped = hits(index, "ipv6", "::ffff:146.112.61.104")
    assert mapped["umbrella-blockpage-v6"].matched == "::ffff:9270:3d68"


def test_top_sites(index):
    apex = hits(index, "domain", "google.com")
    assert {"tranco", "tranco10k", "google", "google-chrome-crux-1million"} <= set(apex)
    assert apex["tranco"].name == "Top 1,000,000 most-used sites from Tranco"
    www = hits(index, "domain", "www.google.com")
    assert www["tranco"].matched == "google.com"  # hostname list: subdomains too
    assert www["google-chrome-crux-1million"].matched == "www.google.com"  # exact string
    assert "majestic_million" not in www  # string list, only "google.com" itself
    # a leading-dot entry in a string list (".google.ad") covers the name and below
    assert hits(index, "domain", "google.ad")["google"].matched == "google.ad"
    assert hits(index, "domain", "mail.google.ad")["google"].matched == "google.ad"


def test_fictional_names_are_not_top_sites(index):
    rng = random.Random(7)
    for _ in range(20):
        label = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=12))
        assert index.match("domain", f"{label}.example.jp") == []
        assert index.match("url", f"https://{label}.example.jp/login") == []
    assert index.match("domain", "example.jp") == []
    # example.com is reserved (RFC 2606/6761) and listed as such - and as a popular site
    reserved = hits(index, "domain", "example.com")
    assert {"rfc6761", "tranco"} <= set(reserved)
    assert "rfc6761" not in hits(index, "domain", "www.example.com")  # string list: exact


def test_platforms_are_known_not_false_positives(index):
    # github.io is a public suffix: a site under it is not "github.io, a top site"
    assert set(hits(index, "domain", "github.io")) >= {"tranco", "lots-project"}
    evil = hits(index, "domain", "kakin-kakunin.github.io")
    assert set(evil) == {"lots-project"}
    assert evil["lots-project"].category == "known"
    ddns = hits(index, "domain", "c2.duckdns.org")
    assert {h.category for h in ddns.values()} == {"known"} and "dynamic-dns" in ddns
    assert not any(h.category == "false-positive" for h in index.match("domain", "x.web.app"))


def test_urls(index):
    found = hits(index, "url", "https://www.google.com/search?q=hakusan")
    assert found["tranco"].matched == "google.com"
    assert "google-chrome-crux-1million" not in found  # a string list: the URL is not a name
    short = hits(index, "url", "http://bit.ly/3abcDEF")
    assert short["url-shortener"].category == "known"
    assert index.match("url", "http://192.168.0.1/admin") == []  # no host name to look up


def test_benign_hashes(index):
    empty = {
        "md5": "d41d8cd98f00b204e9800998ecf8427e",
        "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    for type_, value in empty.items():
        found = hits(index, type_, value)
        assert found["empty-hashes"].name == "List of known hashes for empty files"
        assert found["empty-hashes"].matched == value
    eicar = hits(index, "md5", "44d88612fea8a8f36de82e1278abb02f")
    assert set(eicar) == {"eicar.com"}
    assert index.match("md5", "0123456789abcdef0123456789abcdef") == []


def test_email_and_phone(index):
    assert hits(index, "email", "taro@mailinator.com")["disposable-email"].matched == (
        "mailinator.com"
    )
    assert "common-contact-emails" in hits(index, "email", "abuse@example.jp")
    assert index.match("email", "taro.yamada@example.jp") == []
    assert "phone_numbers" in hits(index, "phone", "+12125550123")  # 555-01xx, fictional
    assert index.match("phone", "+81312345678") == []


def test_every_entry_finds_its_own_list(lists, index):
    """A sample of entries of every cidr, hostname and hash list matches that list."""
    rng = random.Random(2026)
    checked = 0
    for meta, entries in lists:
        types = meta.observable_types
        for entry in rng.sample(entries, min(40, len(entries))):
            if meta.list_type == "cidr" and types & {"ipv4", "ipv6"}:
                prefix = parse_prefix(entry)
                if prefix is None:
                    continue
                version, first, _ = prefix
                value = str(ipaddress.ip_address(first))
                type_ = "ipv4" if version == 4 else "ipv6"
            elif meta.list_type == "hostname" and "domain" in types:
                parsed = normalise_host(entry)
                if parsed is None or "." not in parsed[0]:
                    continue
                value, type_ = parsed[0], "domain"
            elif meta.list_type == "string" and types & {"md5", "sha1", "sha256"}:
                value = entry.strip().lower()
                type_ = {32: "md5", 40: "sha1", 64: "sha256"}.get(len(value), "")
                if type_ not in types:
                    continue
            else:
                continue
            assert meta.slug in hits(index, type_, value), (meta.slug, entry)
            checked += 1
    assert checked > 2500

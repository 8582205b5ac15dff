"""WarninglistIndex on small hand-made lists: every list type, its edge cases, and its API."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusan.domain.warninglists import Hit, Warninglist, WarninglistIndex, applicable_types
from hakusan.domain.warninglists.cidr import CidrTable, parse_prefix
from hakusan.domain.warninglists.text import (
    SubstringMatcher,
    compile_misp_regex,
    normalise_host,
    normalise_hosts,
)

IP = ("ip-src", "ip-dst")
HOST = ("hostname", "domain")
HOST_URL = ("hostname", "domain", "url")
HASHES = ("md5", "sha1", "sha256")


def wl(
    slug: str,
    list_type: str,
    attributes: tuple[str, ...],
    *,
    category: str = "false-positive",
) -> Warninglist:
    return Warninglist(
        slug=slug,
        name=f"List {slug}",
        description=f"{slug} for tests",
        version=1,
        list_type=list_type,
        category=category,
        matching_attributes=attributes,
    )


def slugs(hits: list[Hit]) -> list[str]:
    return [hit.slug for hit in hits]


def matched(hits: list[Hit]) -> dict[str, str]:
    return {hit.slug: hit.matched for hit in hits}


# -- CIDR --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cidr_index() -> WarninglistIndex:
    return WarninglistIndex.build(
        [
            (wl("wide", "cidr", IP), ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"]),
            (wl("mid", "cidr", IP), ["10.1.0.0/16", "2001:db8::/32"]),
            (wl("single", "cidr", IP), ["10.1.2.3", "2001:db8:1::/48", "192.0.2.0/24"]),
            (wl("hostbits", "cidr", IP), ["172.16.5.9/12"]),
            (wl("mapped", "cidr", IP), ["::ffff:198.51.100.0/120"]),
            (wl("edges", "cidr", IP), ["0.0.0.0/32", "255.255.255.255", "::/128"]),
            (wl("broken", "cidr", IP), ["not-an-ip", "10.0.0.0/33", "1.2.3.4/x", "", "1.2.3"]),
        ]
    )


def test_nested_prefixes_return_every_list_with_its_most_specific_entry(cidr_index):
    hits = cidr_index.match("ipv4", "10.1.2.3")
    assert slugs(hits) == ["wide", "mid", "single"]  # list order
    assert matched(hits) == {"wide": "10.1.2.0/24", "mid": "10.1.0.0/16", "single": "10.1.2.3"}
    assert matched(cidr_index.match("ipv4", "10.1.3.1")) == {
        "wide": "10.1.0.0/16",
        "mid": "10.1.0.0/16",
    }
    assert matched(cidr_index.match("ipv4", "10.1.2.4")) == {
        "wide": "10.1.2.0/24",
        "mid": "10.1.0.0/16",
    }
    assert matched(cidr_index.match("ipv4", "10.200.0.1")) == {"wide": "10.0.0.0/8"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9.255.255.255", []),
        ("10.0.0.0", ["wide"]),
        ("10.255.255.255", ["wide"]),
        ("11.0.0.0", []),
        ("192.0.2.255", ["single"]),
        ("192.0.3.0", []),
        ("0.0.0.0", ["edges"]),
        ("0.0.0.1", []),
        ("255.255.255.255", ["edges"]),
        ("255.255.255.254", []),
    ],
)
def test_block_boundaries(cidr_index, value, expected):
    assert slugs(cidr_index.match("ipv4", value)) == expected
    assert slugs(cidr_index.match_many([("ipv4", value)])[0]) == expected
    assert [slugs(h) for h in cidr_index.match_many([("ipv4", value)] * 100)] == [expected] * 100


def test_host_bits_are_masked_and_hit_keeps_the_entry_as_written(cidr_index):
    hits = cidr_index.match("ipv4", "172.31.255.255")
    assert [(h.slug, h.matched) for h in hits] == [("hostbits", "172.16.5.9/12")]


def test_ipv6_and_ipv4_mapped(cidr_index):
    assert matched(cidr_index.match("ipv6", "2001:db8:1::5")) == {
        "mid": "2001:db8::/32",
        "single": "2001:db8:1::/48",
    }
    assert slugs(cidr_index.match("ipv6", "2001:db9::1")) == []
    assert slugs(cidr_index.match("ipv6", "::")) == ["edges"]
    # a mapped entry covers the IPv4 address, and a mapped value is looked up as IPv4
    assert slugs(cidr_index.match("ipv4", "198.51.100.77")) == ["mapped"]
    assert slugs(cidr_index.match("ipv6", "::ffff:198.51.100.77")) == ["mapped"]
    assert slugs(cidr_index.match("ipv6", "::ffff:10.1.2.3")) == ["wide", "mid", "single"]


def test_invalid_entries_are_skipped_and_counted(cidr_index):
    assert cidr_index.invalid == {"broken": 5}
    assert cidr_index.entries == 18


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("ipv4", "not an ip"),
        ("ipv4", "10.1.2"),
        ("ipv4", "2001:db8::1"),
        ("ipv6", "10.1.2.3"),
        ("ipv6", "zz::1"),
        ("ipv6", "fe80::1%eth0"),
        ("cve", "CVE-2024-0001"),
        ("no-such-type", "10.1.2.3"),
        ("url", "not a url"),
        ("domain", ""),
    ],
)
def test_bad_input_gives_no_hits_and_never_raises(cidr_index, type_, value):
    assert cidr_index.match(type_, value) == []
    assert cidr_index.match_many([(type_, value)]) == [[]]


def test_parse_prefix():
    assert parse_prefix("192.0.2.0/24") == (4, 0xC0000200, 0xC00002FF)
    assert parse_prefix(" 192.0.2.7 ") == (4, 0xC0000207, 0xC0000207)
    assert parse_prefix("FE80::/10") == (6, 0xFE80 << 112, (0xFE80 << 112) | ((1 << 118) - 1))
    assert parse_prefix("::ffff:9270:3d68") == (4, 0x92703D68, 0x92703D68)
    for bad in ("", "/24", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/33", "::/129", "a.b.c.d"):
        assert parse_prefix(bad) is None, bad


def _prefixes(version: int):
    bits = 32 if version == 4 else 128
    return st.tuples(
        st.integers(0, 3),  # list order
        st.integers(0, (1 << bits) - 1),
        st.integers(max(0, bits - 24), bits),  # rather long prefixes, often nested
    )


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(_prefixes(4), min_size=1, max_size=40),
    probes=st.lists(st.integers(0, (1 << 32) - 1), max_size=20),
)
def test_cidr_table_agrees_with_ipaddress(blocks, probes):
    """Random nested/overlapping blocks from four lists: the table finds what a scan finds."""
    networks = []
    rows = []
    for order, address, prefixlen in blocks:
        net = ipaddress.ip_network((address, prefixlen), strict=False)
        networks.append((order, net))
        rows.append((int(net.network_address), int(net.broadcast_address), order, str(net)))
    table = CidrTable.build(rows)
    # probe the edges of every block as well as random addresses
    points = list(probes)
    for _, net in networks:
        first, last = int(net.network_address), int(net.broadcast_address)
        points += [first, last, max(first - 1, 0), min(last + 1, (1 << 32) - 1)]
    for point in points:
        address = ipaddress.ip_address(point)
        expected: dict[int, int] = {}  # order -> longest prefix containing the point
        for order, net in networks:
            if address in net and net.prefixlen >= expected.get(order, -1):
                expected[order] = net.prefixlen
        got = table.lookup(point)
        assert [order for order, _ in got] == sorted(expected)
        for order, entry in got:
            assert ipaddress.ip_network(entry).prefixlen == expected[order]


# -- hostnames -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def host_index() -> WarninglistIndex:
    return WarninglistIndex.build(
        [
            (
                wl("hosts", "hostname", HOST_URL),
                ["example.jp", ".leading.jp", "*.wild.jp", "Upper.EXAMPLE.", "www.deep.jp"],
            ),
            (wl("deep", "hostname", HOST_URL), ["deep.jp", "www.deep.jp"]),
            (wl("strings", "string", HOST_URL), ["exact.jp", ".dotted.jp", "www.deep.jp"]),
            (wl("domain-only", "hostname", HOST), ["example.jp"]),
            (wl("top", "hostname", HOST_URL), ["github.io", "bigsite.jp"]),
            (wl("platforms", "hostname", HOST_URL, category="known"), ["github.io"]),
            (wl("full-urls", "string", ("url",)), ["http://exact.jp/path", "exact.jp"]),
            (wl("tld", "hostname", HOST, category="known"), ["onion"]),
            (wl("fp-tld", "hostname", HOST), ["onion"]),
            (wl("bad-hosts", "hostname", HOST), ["has space.jp", "ok.jp", "a..b.jp"]),
        ]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.jp", {"hosts": "example.jp", "domain-only": "example.jp"}),
        ("www.example.jp", {"hosts": "example.jp", "domain-only": "example.jp"}),
        ("a.b.c.example.jp", {"hosts": "example.jp", "domain-only": "example.jp"}),
        ("notexample.jp", {}),  # a label boundary, not a string suffix
        ("example.jp.evil.com", {}),
        ("jp", {}),
        ("leading.jp", {"hosts": "leading.jp"}),  # ".leading.jp": the name and below
        ("x.leading.jp", {"hosts": "leading.jp"}),
        ("wild.jp", {"hosts": "wild.jp"}),
        ("x.y.wild.jp", {"hosts": "wild.jp"}),
        ("upper.example", {"hosts": "upper.example"}),  # lower-cased, trailing dot dropped
        ("sub.upper.example", {"hosts": "upper.example"}),
        ("ok.jp", {"bad-hosts": "ok.jp"}),
        ("onion", {"tld": "onion", "fp-tld": "onion"}),
        # a single label works, but it is a public suffix: only the "known" list covers
        # the names under it (see test_public_suffix_entries_...)
        ("x.onion", {"tld": "onion"}),
    ],
)
def test_hostname_lists_match_the_name_and_its_subdomains(host_index, value, expected):
    assert matched(host_index.match("domain", value)) == expected


def test_one_hit_per_list_with_the_most_specific_entry(host_index):
    hits = host_index.match("domain", "a.www.deep.jp")
    assert matched(hits) == {"hosts": "www.deep.jp", "deep": "www.deep.jp"}
    assert slugs(hits) == ["hosts", "deep"]


def test_string_lists_are_exact_but_a_leading_dot_means_subdomains(host_index):
    assert matched(host_index.match("domain", "exact.jp")) == {"strings": "exact.jp"}
    assert host_index.match("domain", "www.exact.jp") == []
    assert matched(host_index.match("domain", "www.deep.jp")) == {
        "hosts": "www.deep.jp",
        "deep": "www.deep.jp",
        "strings": "www.deep.jp",
    }
    assert "strings" not in slugs(host_index.match("domain", "a.www.deep.jp"))
    assert matched(host_index.match("domain", "dotted.jp")) == {"strings": "dotted.jp"}
    assert matched(host_index.match("domain", "a.dotted.jp")) == {"strings": "dotted.jp"}


def test_public_suffix_entries_do_not_cover_other_peoples_names(host_index):
    # github.io is in the Public Suffix List: evil.github.io is its own registrable name
    assert slugs(host_index.match("domain", "github.io")) == ["top", "platforms"]
    assert slugs(host_index.match("domain", "evil.github.io")) == ["platforms"]  # known list
    assert slugs(host_index.match("domain", "www.bigsite.jp")) == ["top"]
    plain = WarninglistIndex.build(
        [(wl("top", "hostname", HOST_URL), ["github.io"])], psl_boundary=False
    )
    assert slugs(plain.match("domain", "evil.github.io")) == ["top"]


def test_url_hosts_use_hostname_lists_that_apply_to_urls(host_index):
    hits = host_index.match("url", "https://user:pw@www.example.jp:8443/login?next=/x#top")
    assert matched(hits) == {"hosts": "example.jp"}  # not "domain-only": no url attribute
    assert slugs(host_index.match("url", "http://x.leading.jp/")) == ["hosts"]
    assert slugs(host_index.match("url", "https://evil.github.io/")) == ["platforms"]
    # string entries are exact: the full URL, not its host (a leading dot is a hostname entry)
    assert matched(host_index.match("url", "http://exact.jp/path")) == {
        "full-urls": "http://exact.jp/path"
    }
    assert host_index.match("url", "http://exact.jp/") == []
    assert slugs(host_index.match("url", "http://a.dotted.jp/")) == ["strings"]
    # IP literals are not host names
    assert host_index.match("url", "http://10.1.2.3/example.jp") == []
    assert host_index.match("url", "http://[2001:db8::1]/") == []


def test_invalid_host_entries_are_counted(host_index):
    assert host_index.invalid == {"bad-hosts": 2}


def test_normalise_host():
    assert normalise_host(" *.Example.JP. ") == ("example.jp", True)
    assert normalise_host(".example.jp") == ("example.jp", True)
    assert normalise_host("example.jp") == ("example.jp", False)
    assert normalise_host("例え.jp") == ("xn--r8jz45g.jp", False)
    for bad in ("", ".", "a b.jp", "a..b", "x/y.jp", "a*.jp", "252/24.example.jp"):
        assert normalise_host(bad) is None, bad


def test_normalise_hosts_bulk_and_one_by_one_agree():
    fast = ["a.jp", "b.example.com", "c-d.jp"]
    assert normalise_hosts(fast) == (fast, [], 0)
    mixed = ["A.jp", ".b.jp", "c.jp.", "*.d.jp", "bad host", ""]
    assert normalise_hosts(mixed) == (["a.jp", "c.jp"], ["b.jp", "d.jp"], 2)


# -- strings, hashes, substrings, regexes --------------------------------------------------

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"


@pytest.fixture(scope="module")
def text_index() -> WarninglistIndex:
    disposable = [f"throwaway{i}.example" for i in range(20)] + ["mail.test", "ail.te"]
    return WarninglistIndex.build(
        [
            (wl("hashes", "string", HASHES), [EMPTY_MD5.upper(), f" {EMPTY_SHA1} ", "3::", "zz"]),
            (wl("disposable", "substring", ("email-src", "domain|ip")), disposable),
            (wl("sandboxes", "substring", ("domain", "url", "ip-src")), ["sandbox.test", "1.2.3"]),
            (
                wl("role", "regex", ("email-src",)),
                ["/^(security|noc|abuse)\\@.*\\..*$/i", "/(unclosed/", "^postmaster@"],
            ),
            (
                wl("phones", "regex", ("phone-number",)),
                ["/((?:\\+|00)1)?([0-9]{3})55501([0-9]{2})/g"],
            ),
            (wl("nothing-of-ours", "string", ("azure-application-id",)), ["abc"]),
            (wl("everything", "string", ()), ["CVE-2024-0001"]),
        ]
    )


def test_hash_lists_match_case_insensitively_and_only_their_own_length(text_index):
    assert matched(text_index.match("md5", EMPTY_MD5)) == {"hashes": EMPTY_MD5}
    assert matched(text_index.match("sha1", EMPTY_SHA1)) == {"hashes": EMPTY_SHA1}
    assert text_index.match("sha256", EMPTY_MD5) == []


def test_substring_lists_collect_overlapping_patterns(text_index):
    hits = text_index.match("email", "someone@throwaway7.example")
    assert matched(hits) == {"disposable": "throwaway7.example"}
    # MISP substring semantics: the pattern may sit anywhere in the value
    assert slugs(text_index.match("email", "x@mail.test.example.jp")) == ["disposable"]
    # domain|ip alone does not make a list apply to domains
    assert text_index.match("domain", "throwaway7.example") == []
    assert slugs(text_index.match("domain", "www.sandbox.test")) == ["sandboxes"]
    assert slugs(text_index.match("url", "http://example.jp/?r=SANDBOX.TEST")) == ["sandboxes"]
    # a pattern with letters cannot occur in an IPv4 address; "1.2.3" can
    assert slugs(text_index.match("ipv4", "11.2.3.4")) == ["sandboxes"]


def test_regex_lists(text_index):
    assert matched(text_index.match("email", "abuse@example.jp")) == {
        "role": "/^(security|noc|abuse)\\@.*\\..*$/i"
    }
    assert slugs(text_index.match("email", "postmaster@example.jp")) == ["role"]
    assert text_index.match("email", "taro@example.jp") == []
    assert slugs(text_index.match("phone", "+12125550123")) == ["phones"]
    assert text_index.invalid == {"role": 1}


def test_matching_attributes_decide_the_types(text_index):
    assert text_index.match("domain", "abc") == []
    assert slugs(text_index.match("cve", "CVE-2024-0001")) == ["everything"]  # no attributes
    assert applicable_types(("ip-dst|port",)) == {"ipv4", "ipv6"}
    assert applicable_types(("filename|sha256", "x509-fingerprint-md5")) == {"sha256", "md5"}
    assert applicable_types(("hostname", "uri")) == {"domain", "url"}
    assert applicable_types(("domain|ip", "ssdeep", "azure-application-id")) == set()


def test_substring_matcher_few_and_many():
    for count in (3, 50):  # a loop of `in` tests, or the trie and its regular expression
        patterns = {"abc": (0,), "bc": (1,), "c": (2,), "zzz": (3,)}
        patterns |= {f"filler{i}x": (9,) for i in range(count)}
        matcher = SubstringMatcher(patterns)
        assert sorted(matcher.find("xxabcxx")) == [("abc", (0,)), ("bc", (1,)), ("c", (2,))]
        assert matcher.find("nothing here") == []
        assert matcher.find("") == []
    assert not SubstringMatcher({})


def test_compile_misp_regex():
    assert compile_misp_regex("/^ABC$/i").search("abc")
    assert compile_misp_regex("/a.c/s").search("a\nc")
    assert compile_misp_regex("/x/g").search("yxy")
    assert compile_misp_regex("plain|body").search("a body")
    assert compile_misp_regex("/path/to/file").search("/path/to/file")  # not /body/flags
    assert compile_misp_regex("/(unclosed/") is None
    assert compile_misp_regex("//") is None


# -- the index as a whole ------------------------------------------------------------------


def test_match_many_is_match_in_order(cidr_index, host_index, text_index):
    for index in (cidr_index, host_index, text_index):
        items = [
            ("ipv4", "10.1.2.3"),
            ("domain", "www.example.jp"),
            ("ipv4", "bogus"),
            ("email", "abuse@throwaway1.example"),
            ("ipv4", "11.2.3.4"),
            ("md5", EMPTY_MD5),
            ("url", "http://x.leading.jp/"),
            ("ipv4", "255.255.255.255"),
        ]
        assert index.match_many(items) == [index.match(t, v) for t, v in items]
        assert index.match_many(iter(items)) == index.match_many(items)
        # big batches look IPv4 addresses up together (numpy), small ones one by one
        many = items * 40
        assert index.match_many(many) == [index.match(t, v) for t, v in many]
    assert cidr_index.match_many([]) == []


def test_version_is_a_digest_of_the_lists():
    lists = [(wl("a", "cidr", IP), ["10.0.0.0/8"]), (wl("b", "hostname", HOST), ["x.jp"])]
    first = WarninglistIndex.build(lists)
    assert first.version == WarninglistIndex.build(lists).version
    assert len(first.version) == 16 and int(first.version, 16) >= 0
    changed = [(wl("a", "cidr", IP), ["10.0.0.0/9"]), (wl("b", "hostname", HOST), ["x.jp"])]
    assert WarninglistIndex.build(changed).version != first.version
    assert first.lists == (lists[0][0], lists[1][0])


def test_entries_may_be_any_iterable_and_slugs_must_be_unique():
    index = WarninglistIndex.build([(wl("gen", "cidr", IP), (e for e in ["10.0.0.0/8"]))])
    assert slugs(index.match("ipv4", "10.9.9.9")) == ["gen"]
    with pytest.raises(ValueError, match="duplicate"):
        WarninglistIndex.build([(wl("x", "cidr", IP), []), (wl("x", "hostname", HOST), [])])


def test_hits_are_frozen_and_carry_the_list(cidr_index):
    (hit, *_) = cidr_index.match("ipv4", "10.200.0.1")
    assert hit == Hit("wide", "List wide", "false-positive", "10.0.0.0/8")
    with pytest.raises(AttributeError):
        hit.slug = "other"  # type: ignore[misc]
    # results are fresh lists: changing one does not change the next
    cidr_index.match("ipv4", "10.200.0.1").clear()
    assert cidr_index.match("ipv4", "10.200.0.1") == [hit]


def test_the_garbage_collector_is_restored(cidr_index):
    import gc

    assert gc.isenabled()
    cidr_index.match_many([("ipv4", "10.1.2.3")])
    WarninglistIndex.build([(wl("g", "cidr", IP), ["10.0.0.0/8"])])
    assert gc.isenabled()
    gc.disable()
    try:
        cidr_index.match_many([("ipv4", "10.1.2.3")])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()

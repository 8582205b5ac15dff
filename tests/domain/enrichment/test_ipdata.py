"""IpIntervalIndex on small fixture CSVs.

tests/data/enrichment/ holds documentation addresses only (RFC 5737 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24; RFC 3849 2001:db8::/32) and documentation AS numbers
(RFC 5398), in the layout of the @ip-location-db CSVs; country.csv has nested, overlapping
and out-of-order ranges on purpose.
"""

import contextlib
import ipaddress
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from hakusan.domain.enrichment import IpDataError, IpIntervalIndex, ipdata, pack_ips, parse_ip
from hakusan.domain.enrichment.ipdata import special_purpose_index

DATA = Path(__file__).resolve().parents[2] / "data" / "enrichment"


@pytest.fixture(scope="module")
def asn() -> IpIntervalIndex:
    return IpIntervalIndex.from_csv(DATA / "asn.csv", columns=("asn", "as_org"), cache=False)


@pytest.fixture(scope="module")
def country() -> IpIntervalIndex:
    return IpIntervalIndex.from_csv(DATA / "country.csv", columns=("country",), cache=False)


@pytest.mark.parametrize(
    ("ip", "row"),
    [
        ("192.0.2.0", ("64496", "Example Net A")),  # first address of the first range
        ("192.0.2.127", ("64496", "Example Net A")),  # last address of a range
        ("192.0.2.128", ("64497", "Example, Inc.")),  # first of the next, quoted comma
        ("192.0.2.255", ("64497", "Example, Inc.")),
        ("198.51.100.0", ("64498", 'Example "Quoted" Ltd')),  # doubled quotes
        ("198.51.100.63", ("64498", 'Example "Quoted" Ltd')),
        ("198.51.100.64", None),  # just past a range: a gap
        ("198.51.100.255", None),
        ("203.0.113.7", ("64499", "例示ネットワーク株式会社")),  # UTF-8
        ("192.0.1.255", None),  # just before the first range
        ("203.0.114.0", None),  # just after the last IPv4 range
        ("0.0.0.0", None),
        ("255.255.255.255", None),
        ("2001:db8::", ("64500", "Example IPv6")),
        ("2001:db8:0:ffff:ffff:ffff:ffff:ffff", ("64500", "Example IPv6")),
        ("2001:db8:1::", ("65536", "Example IPv6 small")),
        ("2001:db8:1::ffff", ("65536", "Example IPv6 small")),
        ("2001:db8:1::1:0", None),  # gap between IPv6 ranges
        ("2001:db8:0:1::", ("64500", "Example IPv6")),  # byte 0x01 after zero bytes
        ("2001:db8:ffff:ffff::", ("65551", "Example IPv6 top")),  # bytes >= 0x80
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", ("65551", "Example IPv6 top")),
        ("2001:db8:ffff:fffe:ffff:ffff:ffff:ffff", None),
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2001:db9::", None),
        ("::", None),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("::ffff:192.0.2.200", ("64497", "Example, Inc.")),  # IPv4-mapped: looked up as IPv4
        ("::ffff:c000:2c8", ("64497", "Example, Inc.")),
    ],
)
def test_lookup_boundaries_and_gaps(asn: IpIntervalIndex, ip: str, row: tuple[str, ...] | None):
    assert asn.lookup(ip) == row
    assert asn.lookup_many([ip]) == [row]


def test_shape(asn: IpIntervalIndex):
    assert asn.columns == ("asn", "as_org")
    assert len(asn) == 7
    assert "192.0.2.1" in asn and "198.51.100.200" not in asn and 42 not in asn
    assert "ipv4=4 ipv6=3" in repr(asn)
    assert asn.nbytes > 0


def test_nested_and_overlapping_ranges_narrowest_wins(country: IpIntervalIndex):
    expect = {
        "192.0.2.0": "JP",
        "192.0.2.63": "JP",
        "192.0.2.64": "US",  # a range nested inside a larger one
        "192.0.2.127": "US",
        "192.0.2.128": "JP",  # the larger range goes on after the nested one
        "192.0.2.255": "JP",
        "198.51.100.0": "FR",
        "198.51.100.127": "FR",
        "198.51.100.128": "DE",  # nested at the end, listed before its parent
        "198.51.100.255": "DE",
        "203.0.113.63": "GB",
        "203.0.113.64": "NL",  # partial overlap: the narrower range wins the overlap
        "203.0.113.127": "NL",
        "203.0.113.159": "NL",
        "203.0.113.160": None,
        "2001:db8::1": "AU",
        "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff": "AU",
        "2001:db8:8000::": "NZ",
        "2001:db8:8000::ff": "NZ",
        "2001:db8:8000::100": "AU",
        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff": "AU",
    }
    got = country.lookup_many(list(expect))
    assert {ip: row[0] if row else None for ip, row in zip(expect, got, strict=True)} == expect


def test_equal_ranges_the_later_line_wins():
    index = IpIntervalIndex.from_rows(
        [
            ("192.0.2.0", "192.0.2.255", "first"),
            ("192.0.2.0", "192.0.2.255", "second"),
            ("192.0.2.10", "192.0.2.19", "inner-a"),
            ("192.0.2.15", "192.0.2.24", "inner-b"),  # as wide as inner-a, later
        ],
        columns=("name",),
    )
    got = [index.lookup(f"192.0.2.{n}") for n in (0, 10, 14, 15, 19, 20, 24, 25, 255)]
    names = [row[0] if row else None for row in got]
    assert names == [
        "second",
        "inner-a",
        "inner-a",
        "inner-b",
        "inner-b",
        "inner-b",
        "inner-b",
        "second",
        "second",
    ]


@pytest.mark.parametrize("family", [4, 6])
def test_random_overlapping_ranges_match_brute_force(family: int):
    """Against the rule stated in the module doc, checked address by address."""
    rng = random.Random(1234 + family)
    base = int(ipaddress.ip_address("198.51.100.0" if family == 4 else "2001:db8:8000::"))
    size = 256
    spans: list[tuple[int, int, str]] = []
    for _ in range(60):
        a, b = sorted(rng.randrange(size) for _ in range(2))
        spans.append((a, b, f"v{len(spans) % 7}"))
    rows = [
        (str(ipaddress.ip_address(base + a)), str(ipaddress.ip_address(base + b)), v)
        for a, b, v in spans
    ]
    index = IpIntervalIndex.from_rows(rows, columns=("v",))

    def expected(offset: int) -> str | None:
        covering = [(b - a, -i, v) for i, (a, b, v) in enumerate(spans) if a <= offset <= b]
        return min(covering)[2] if covering else None

    ips = [str(ipaddress.ip_address(base + k)) for k in range(-2, size + 2)]
    got = index.lookup_many(ips)
    want = [expected(k) for k in range(-2, size + 2)]
    assert [row[0] if row else None for row in got] == want


def test_lookup_many_matches_lookup_and_keeps_order(asn: IpIntervalIndex):
    ips = ["2001:db8::5", "192.0.2.1", "198.51.100.99", "::ffff:203.0.113.1", "2001:db9::"] * 3
    assert asn.lookup_many(ips) == [asn.lookup(ip) for ip in ips]
    assert asn.lookup_many([]) == []
    rows = asn.find_rows(ips)
    assert rows.dtype == np.int32 and rows.tolist()[2] == -1


@pytest.mark.parametrize(
    "bad", ["", "192.0.2", "192.0.2.1/24", "192.0.2.256", "2001:db8::1%eth0", "example.jp", "127.1"]
)
def test_not_an_address(asn: IpIntervalIndex, bad: str):
    with pytest.raises(ValueError, match="not an IP address"):
        asn.lookup(bad)
    with pytest.raises(ValueError, match="not an IP address"):
        asn.lookup_many(["192.0.2.1", bad])
    assert asn.lookup_many(["192.0.2.1", bad], strict=False) == [("64496", "Example Net A"), None]


def test_parse_ip_and_pack():
    assert parse_ip("192.0.2.1") == (4, 0xC0000201)
    assert parse_ip("::ffff:192.0.2.1") == (4, 0xC0000201)
    assert parse_ip("2001:db8::1") == (6, 0x20010DB8 << 96 | 1)
    packed = pack_ips(["2001:db8::1", "192.0.2.1", "nope"], strict=False)
    assert packed.size == 3
    assert packed.v4_at.tolist() == [1] and packed.v6_at.tolist() == [0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("192.0.2.0,192.0.2.9,a\n192.0.2.10,192.0.2.x,b\n", r"bad\.csv:2: not an IPv4 address"),
        ("192.0.2.0,192.0.2.9,a\n\n192.0.2.20,192.0.2.10,b\n", r"bad\.csv:3: .* not a range"),
        ("192.0.2.0,2001:db8::,a\n", r"bad\.csv:1: not an IPv4 address"),
        ("192.0.2.0,192.0.2.9,a,extra\n", r"bad\.csv:1: expected 3 fields, found 4"),
        ("192.0.2.0,192.0.2.9,a\n192.0.2.10,192.0.2.19\n", r"bad\.csv:2: expected start,end"),
        ('"192.0.2.0","192.0.2.9",a\n2001:db8::,x,b\n', r"bad\.csv:2: not an IPv6 address"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, text: str, message: str):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(IpDataError, match=message):
        IpIntervalIndex.from_csv(path, columns=("v",), cache=False)


def test_csv_dialect_details(tmp_path: Path):
    """CRLF, blank lines, quoted addresses (the csv fallback), a quoted line break."""
    crlf = write(tmp_path / "crlf.csv", "192.0.2.0,192.0.2.9,a\r\n\r\n2001:db8::,2001:db8::9,b\r\n")
    quoted = write(tmp_path / "quoted.csv", '"198.51.100.0","198.51.100.9","c, d"\n')
    newline = write(tmp_path / "newline.csv", '203.0.113.0,203.0.113.9,"two\nlines"\n')
    empty = write(tmp_path / "empty.csv", "")
    index = IpIntervalIndex.from_csv([crlf, quoted, newline, empty], columns=("v",), cache=False)
    assert index.lookup("192.0.2.9") == ("a",)
    assert index.lookup("2001:db8::9") == ("b",)
    assert index.lookup("198.51.100.5") == ("c, d",)
    assert index.lookup("203.0.113.5") == ("two\nlines",)
    assert len(index) == 4


def test_empty_and_invalid_arguments(tmp_path: Path):
    index = IpIntervalIndex.from_rows([], columns=("v",))
    assert index.lookup("192.0.2.1") is None and index.lookup("2001:db8::1") is None
    with pytest.raises(ValueError, match="no data files"):
        IpIntervalIndex.from_csv([], columns=("v",))
    with pytest.raises(ValueError, match="at least one value column"):
        IpIntervalIndex.from_rows([("192.0.2.0", "192.0.2.1")], columns=())
    with pytest.raises(FileNotFoundError):
        IpIntervalIndex.from_csv(tmp_path / "absent.csv", columns=("v",))


# --- the .npz cache --------------------------------------------------------------------


def test_cache_is_written_used_and_invalidated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = tmp_path / "data" / "asn.csv"
    source.parent.mkdir()
    shutil.copy(DATA / "asn.csv", source)
    first = IpIntervalIndex.from_csv(source, columns=("asn", "as_org"))
    caches = list(source.parent.glob(".asn.hakusan-*.npz"))
    assert len(caches) == 1

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed the CSV although the cache is fresh")

    with monkeypatch.context() as patch:
        patch.setattr(IpIntervalIndex, "_build", no_parse)
        cached = IpIntervalIndex.from_csv(source, columns=("asn", "as_org"))
        ips = ["192.0.2.1", "192.0.2.200", "198.51.100.1", "2001:db8:1::1", "2001:db9::"]
        assert cached.lookup_many(ips) == first.lookup_many(ips)
        assert cached.values == first.values and cached.columns == first.columns
        with pytest.raises(AssertionError):  # other columns: another cache entry
            IpIntervalIndex.from_csv(source, columns=("a", "b"))

    with source.open("a", encoding="utf-8") as out:  # the data changes: size and mtime
        out.write("203.0.113.0,203.0.113.255,64511,Appended\n")
    os.utime(source, ns=(1, 1))
    changed = IpIntervalIndex.from_csv(source, columns=("asn", "as_org"))
    assert changed.lookup("203.0.113.1") == ("64511", "Appended")  # same range: later line
    assert len(list(source.parent.glob(".asn.hakusan-*.npz"))) == 1  # the stale one is gone


def test_cache_dir_unwritable_or_corrupt(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    source = DATA / "asn.csv"
    missing_dir = tmp_path / "no" / "such" / "dir"
    index = IpIntervalIndex.from_csv(source, columns=("asn", "as_org"), cache_dir=missing_dir)
    assert index.lookup("192.0.2.1") == ("64496", "Example Net A")
    assert not missing_dir.exists()

    IpIntervalIndex.from_csv(source, columns=("asn", "as_org"), cache_dir=tmp_path)
    (cache,) = tmp_path.glob(".asn.hakusan-*.npz")
    cache.write_bytes(b"not a zip file")
    again = IpIntervalIndex.from_csv(source, columns=("asn", "as_org"), cache_dir=tmp_path)
    assert again.lookup("2001:db8::1") == ("64500", "Example IPv6")
    assert "ignoring unreadable IP data cache" in caplog.text


def test_no_cache_writes_nothing(tmp_path: Path):
    IpIntervalIndex.from_csv(DATA / "asn.csv", columns=("v", "w"), cache=False, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- special-purpose ranges ------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "label"),
    [
        ("192.0.2.1", "documentation (RFC 5737)"),
        ("198.51.100.0", "documentation (RFC 5737)"),
        ("203.0.113.255", "documentation (RFC 5737)"),
        ("2001:db8::1", "documentation (RFC 3849)"),
        ("3fff::1", "documentation (RFC 9637)"),
        ("10.0.0.0", "private (RFC 1918)"),
        ("10.255.255.255", "private (RFC 1918)"),
        ("172.31.255.255", "private (RFC 1918)"),
        ("192.168.1.1", "private (RFC 1918)"),
        ("100.64.0.1", "shared address space (RFC 6598)"),
        ("127.0.0.1", "loopback (RFC 1122)"),
        ("169.254.169.254", "link-local (RFC 3927)"),
        ("224.0.0.251", "multicast (RFC 5771)"),
        ("255.255.255.255", "reserved (RFC 1112)"),
        ("::1", "loopback (RFC 4291)"),
        ("::", "unspecified (RFC 4291)"),
        ("fd00::1", "unique local (RFC 4193)"),
        ("fe80::1", "link-local (RFC 4291)"),
        ("ff02::1", "multicast (RFC 4291)"),
        ("2001::1", "IETF protocol assignments (RFC 2928)"),  # Teredo
        ("::ffff:10.1.2.3", "private (RFC 1918)"),
        ("2001:4:112::1", ""),  # AS112-v6: a global exception inside 2001::/23
        ("192.0.0.9", ""),
        ("8.8.8.8", None),
        ("172.32.0.0", None),
        ("100.128.0.0", None),
        ("2001:4860:4860::8888", None),
        ("2400:cb00::1", None),
    ],
)
def test_special_purpose_ranges(ip: str, label: str | None):
    row = special_purpose_index().lookup(ip)
    assert (row[0] if row else None) == label
    # Python's ipaddress agrees, except for what we add: multicast (which it calls global),
    # and prefixes newer than this Python (3fff::/20 from 2024)
    if label and not label.startswith(("multicast", "documentation (RFC 9637)")):
        assert not ipaddress.ip_address(ip).is_global
    if label is None:
        assert ipaddress.ip_address(ip).is_global


def test_special_purpose_table_is_consistent():
    for cidr, _ in ipdata.SPECIAL_PURPOSE:
        net = ipaddress.ip_network(cidr)
        for ip in (net[0], net[-1]):
            assert special_purpose_index().lookup(str(ip)), ip


def test_small_chunks_give_the_same_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Files are parsed a chunk of lines at a time; chunk edges change nothing."""
    whole = IpIntervalIndex.from_csv(DATA / "country.csv", columns=("c",), cache=False)
    monkeypatch.setattr(ipdata, "_CHUNK", 10)
    chunked = IpIntervalIndex.from_csv(DATA / "country.csv", columns=("c",), cache=False)
    ips = [f"192.0.2.{n}" for n in range(256)] + ["2001:db8:8000::1", "203.0.113.100"]
    assert chunked.lookup_many(ips) == whole.lookup_many(ips)

    bad = write(tmp_path / "bad.csv", "192.0.2.0,192.0.2.9,a\n" * 5 + "192.0.2.1,x,b\n")
    with pytest.raises(IpDataError, match=r"bad\.csv:6: not an IPv4 address"):
        IpIntervalIndex.from_csv(bad, columns=("v",), cache=False)
    quoted = write(tmp_path / "q.csv", '192.0.2.0,192.0.2.9,"a\n\nb"\n192.0.2.10,192.0.2.19,c\n')
    index = IpIntervalIndex.from_csv(quoted, columns=("v",), cache=False)
    assert index.lookup("192.0.2.5") == ("a\n\nb",)
    assert index.lookup("192.0.2.15") == ("c",)


@pytest.mark.parametrize(
    "text",
    [
        "192.0.2.0,192.0.2.9,a\x1fb,\n2001:db8::,2001:db8::1,c\x1ed,e\n",  # separators: JSON
        '192.0.2.0,192.0.2.9,,\n192.0.2.10,192.0.2.19,"x,y",""\n',  # empty values
        "",  # no values at all
    ],
)
def test_cache_round_trips_any_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str):
    source = write(tmp_path / "odd.csv", text)
    first = IpIntervalIndex.from_csv(source, columns=("a", "b"))
    assert len(list(tmp_path.glob(".odd.hakusan-*.npz"))) == 1
    monkeypatch.setattr(IpIntervalIndex, "_build", None)  # any parse now fails
    again = IpIntervalIndex.from_csv(source, columns=("a", "b"))
    assert again.values == first.values
    ips = ["192.0.2.5", "192.0.2.15", "2001:db8::1", "198.51.100.1"]
    assert again.lookup_many(ips) == first.lookup_many(ips)


@pytest.mark.parametrize(
    "ips",
    [
        ["192.0.2.1", "192.0.2.2"],  # all IPv4: one join
        ["2001:db8::1", "192.0.2.1", "2001:db8:1::5"],  # valid and mixed: split, two joins
        ["2001:db8::1", "::ffff:192.0.2.9", "192.0.2.1"],  # IPv4-mapped: the loop
        ["2001:db8::1", "bogus", "192.0.2.1"],  # invalid: the loop
    ],
)
def test_every_packing_path_agrees_with_parse_ip(asn: IpIntervalIndex, ips: list[str]):
    packed = pack_ips(ips, strict=False)
    got: dict[int, tuple[int, int]] = {}
    for i, key in zip(packed.v4_at.tolist(), packed.v4_keys.tolist(), strict=True):
        got[i] = (4, key)
    for i, key in zip(packed.v6_at.tolist(), packed.v6_keys.tolist(), strict=True):
        got[i] = (6, int.from_bytes(key.ljust(16, b"\0")))
    want = {}
    for i, ip in enumerate(ips):
        with contextlib.suppress(ValueError):
            want[i] = parse_ip(ip)
    assert got == want
    assert asn.lookup_many(ips, strict=False) == [
        asn.lookup(ip) if i in want else None for i, ip in enumerate(ips)
    ]

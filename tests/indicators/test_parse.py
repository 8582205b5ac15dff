"""Indicator file parsing (pure, no database): plain lists, CSV, JSON lines and MISP attribute
CSV; rejects carry their line and byte offset; memory stays flat on long files."""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hakusan.domain.indicators import (
    IndicatorRow,
    ParsedIndicator,
    RowError,
    UnsupportedMispType,
    parse_indicators,
    split_misp,
    write_rejects,
)

JST = timezone(timedelta(hours=9))
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def parse(data: bytes, fmt: str | None = None, **kwargs: str) -> list[ParsedIndicator]:
    return list(parse_indicators(io.BytesIO(data), fmt, **kwargs))


def rows(parsed: list[ParsedIndicator]) -> list[IndicatorRow]:
    return [r for _, r in parsed if isinstance(r, IndicatorRow)]


def errors(parsed: list[ParsedIndicator]) -> list[RowError]:
    return [r for _, r in parsed if isinstance(r, RowError) and not r.warning]


def offset_of(data: bytes, line: int) -> int:
    return sum(len(x) for x in data.splitlines(keepends=True)[: line - 1])


# -- plain lists -------------------------------------------------------------------------------


def test_plain_list_detects_types_and_undoes_defanging() -> None:
    data = (
        "# a feed\n"
        "\n"
        "hxxps://a[.]evil[.]example/x  # phishing kit\n"
        "１９２．０．２．１\n"
        f"{EMPTY_MD5.upper()}\n"
        "2001:DB8::1\n"
        "192.0.2.0/24\n"
        "AS15169\n"
    ).encode()
    got = rows(parse(data))
    assert [(r.type, r.value) for r in got] == [
        ("url", "https://a.evil.example/x"),
        ("ipv4", "192.0.2.1"),
        ("md5", EMPTY_MD5),
        ("ipv6", "2001:db8::1"),
        ("cidr", "192.0.2.0/24"),
        ("asn", "AS15169"),
    ]
    assert got[0].original == "hxxps://a[.]evil[.]example/x"
    assert got[0].comment == "phishing kit"
    assert [r.line for r in got] == [3, 4, 5, 6, 7, 8]
    assert got[0].byte_offset == offset_of(data, 3)


def test_plain_type_prefix_for_values_detection_cannot_tell() -> None:
    data = (
        f"ja3:{EMPTY_MD5}\n"
        "mutex:Global\\MsWinZonesCacheCounterMutexA\n"
        "filename:C:\\Users\\x\\請求書.pdf.exe\n"
        "user_agent:Mozilla/5.0 (Windows NT 10.0)\n"
        "ip-dst:198.51.100.7\n"
        "ip-dst|port:198.51.100.8|8080\n"
        "domain:EVIL.example\n"
    ).encode()
    got = rows(parse(data, "plain"))
    assert [(r.type, r.value) for r in got] == [
        ("ja3", EMPTY_MD5),
        ("mutex", "Global\\MsWinZonesCacheCounterMutexA"),
        ("filename", "請求書.pdf.exe"),
        ("user_agent", "Mozilla/5.0 (Windows NT 10.0)"),
        ("ipv4", "198.51.100.7"),
        ("ipv4", "198.51.100.8"),
        ("domain", "evil.example"),
    ]
    assert got[5].comment == "port 8080"


def test_plain_rejects_name_line_and_byte_offset() -> None:
    data = b"192.0.2.1\nnot an indicator\n\xff\xfe bad\nipv4:300.1.1.1\nb.evil.example\n"
    parsed = parse(data)
    assert [(r.type, r.value) for r in rows(parsed)] == [
        ("ipv4", "192.0.2.1"),
        ("domain", "b.evil.example"),
    ]
    bad = errors(parsed)
    assert [e.line for e in bad] == [2, 3, 4]
    assert bad[0].byte_offset == offset_of(data, 2)
    assert "not recognised" in bad[0].message and bad[0].field == "value"
    assert bad[1].byte_offset == offset_of(data, 3)  # the first bad byte
    assert "0xFF" in bad[1].message
    assert "above 255" in bad[2].message and bad[2].raw == "ipv4:300.1.1.1"


# -- CSV ---------------------------------------------------------------------------------------


def test_csv_with_columns() -> None:
    data = (
        b"Type,Value,First_Seen,Last_Seen,Confidence,Tags,Comment\n"
        b',evil.example,2026-11-01,2026-11-20T12:00:00Z,80,"phishing; kit, jp",seen by 3\n'
        b"ipv4,198.51.100.7,,,,,\n"
    )
    got = rows(parse(data, filename="feed.csv"))
    assert [(r.type, r.value) for r in got] == [
        ("domain", "evil.example"),
        ("ipv4", "198.51.100.7"),
    ]
    first = got[0]
    assert first.first_seen == datetime(2026, 11, 1, tzinfo=JST)
    assert first.last_seen == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert first.confidence == 80
    assert first.tags == ("phishing", "kit", "jp")
    assert first.comment == "seen by 3"
    assert got[1].first_seen is None and got[1].confidence is None


def test_csv_rejects_and_warnings() -> None:
    data = (
        b"type,value,confidence,last_seen,first_seen,colour\n"
        b"ipv4,192.0.2.1,101,,,red\n"
        b"colour,blue,,,,\n"
        b"domain,evil.example,,2026-01-01,2026-02-01,\n"
        b'url,"http://x.example/a\n'
        b"ipv4,192.0.2.2,,,,\n"
        b"ipv4,192.0.2.3,,,,,extra\n"
    )
    parsed = parse(data, "csv")
    warnings = [r for _, r in parsed if isinstance(r, RowError) and r.warning]
    assert warnings and warnings[0].field == "colour" and warnings[0].line == 1
    bad = errors(parsed)
    assert [(e.line, e.field) for e in bad] == [
        (2, "confidence"),
        (3, "type"),
        (4, "first_seen,last_seen"),
        (5, None),
        (7, None),
    ]
    assert "outside 0–100" in bad[0].message
    assert "unknown type 'colour'" in bad[1].message
    assert "unterminated" in bad[3].message and bad[3].byte_offset == offset_of(data, 5)
    # The stray quote swallows nothing: the next line is read on its own.
    assert [(r.line, r.value) for r in rows(parsed)] == [(6, "192.0.2.2")]


def test_csv_needs_a_value_column() -> None:
    with pytest.raises(ValueError, match="'value' column"):
        parse(b"192.0.2.1,b\n", filename="list.csv")
    with pytest.raises(ValueError, match="missing from header: value"):
        parse(b"type,indicator_value\nipv4,192.0.2.1\n", "csv")


def test_cp932_csv() -> None:
    data = "type,value,comment\nfilename,請求書.exe,添付\n".encode("cp932")
    got = rows(parse(data, "csv", encoding="shift_jis"))
    assert [(r.type, r.value, r.comment) for r in got] == [("filename", "請求書.exe", "添付")]


# -- JSON lines --------------------------------------------------------------------------------


def test_json_lines() -> None:
    data = (
        b'{"value": "hxxp://b.evil[.]example/", "tags": ["a", "b"], "confidence": 90}\n'
        b'{"type": "sha256", "value": "abc"}\n'
        b'{"value": "192.0.2.9", "colour": "x"}\n'
        b'{"value": 12\n'
        b"[1, 2]\n"
    )
    parsed = parse(data, filename="feed.jsonl")
    got = rows(parsed)
    assert [(r.type, r.value, r.tags, r.confidence) for r in got] == [
        ("url", "http://b.evil.example/", ("a", "b"), 90),
        ("ipv4", "192.0.2.9", (), None),
    ]
    bad = errors(parsed)
    assert [e.line for e in bad] == [2, 4, 5]
    assert "sha256" in bad[0].message
    assert bad[1].byte_offset is not None and bad[1].byte_offset > offset_of(data, 4)
    assert "invalid JSON" in bad[1].message
    assert "expected a JSON object" in bad[2].message


def test_json_array_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="JSON array"):
        parse(b'[{"value": "192.0.2.1"}]\n', "jsonl")


# -- MISP attribute CSV ------------------------------------------------------------------------

MISP_HEADER = (
    "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
    "object_uuid,object_name,object_meta_category\n"
)


def misp(*lines: str) -> bytes:
    return (MISP_HEADER + "".join(line + "\n" for line in lines)).encode()


def test_misp_types_map_to_ours() -> None:
    data = misp(
        'u1,7,Network activity,ip-dst,203.0.113.5,c2,1,20261120,,"tlp:amber,apt",,,',
        "u2,7,Network activity,domain,Evil.example,,1,20261120,,,,,",
        "u3,7,Network activity,hostname,www.evil.example,,1,20261120,,,,,",
        "u4,7,Network activity,url,hxxp://evil.example/a,,1,20261120,,,,,",
        "u5,7,Payload delivery,email-src,Bad@Evil.example,,1,20261120,,,,,",
        f"u6,7,Payload delivery,md5,{EMPTY_MD5},,0,20261120,,,,,",
        "u7,7,Financial fraud,btc,1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,,1,1763596800,,,,,",
        "u8,7,Network activity,AS,AS15169,,1,20261120,,,,,",
        "u9,7,Artifacts dropped,mutex,Global\\abc,,1,20261120,,,,,",
        "u10,7,Network activity,user-agent,Mozilla/5.0 x,,1,20261120,,,,,",
        f"u11,7,Network activity,ja3-fingerprint-md5,{EMPTY_MD5},,1,20261120,,,,,",
        "u12,7,Network activity,ip-src,10.0.0.0/8,,1,20261120,,,,,",
        "u13,7,Other,phone-number,03-1234-5678,,1,20261120,,,,,",
        "u14,7,External analysis,vulnerability,cve-2021-44228,,1,20261120,,,,,",
    )
    got = rows(parse(data))  # detected as MISP from the header
    assert [(r.type, r.value) for r in got] == [
        ("ipv4", "203.0.113.5"),
        ("domain", "evil.example"),
        ("domain", "www.evil.example"),
        ("url", "http://evil.example/a"),
        ("email", "bad@evil.example"),
        ("md5", EMPTY_MD5),
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("asn", "AS15169"),
        ("mutex", "Global\\abc"),
        ("user_agent", "Mozilla/5.0 x"),
        ("ja3", EMPTY_MD5),
        ("cidr", "10.0.0.0/8"),
        ("phone", "+81312345678"),
        ("cve", "CVE-2021-44228"),
    ]
    first = got[0]
    assert first.tags == ("apt", "misp-category:Network activity")
    assert first.tlp == "amber" and got[1].tlp is None  # tlp: tags give the row's TLP
    assert first.comment == "c2"
    assert first.first_seen == first.last_seen == datetime(2026, 11, 20, tzinfo=JST)
    assert "misp:to_ids=false" in got[5].tags
    assert got[6].first_seen == datetime(2025, 11, 20, tzinfo=UTC)  # a Unix time


def test_misp_composites_split_into_both() -> None:
    data = misp(
        "u1,7,Network activity,ip-dst|port,203.0.113.5|443,,1,20261120,,,,,",
        f"u2,7,Payload delivery,filename|md5,a|b.exe|{EMPTY_MD5},,1,20261120,,,,,",
        "u3,7,Network activity,domain|ip,evil.example|203.0.113.6,,1,20261120,,,,,",
        "u4,7,Network activity,hostname|port,www.evil.example|8443,,1,20261120,,,,,",
    )
    parsed = parse(data, "misp")
    assert [(line, r.type, r.value, r.comment) for line, r in parsed] == [
        (2, "ipv4", "203.0.113.5", "port 443"),
        (3, "filename", "a|b.exe", ""),
        (3, "md5", EMPTY_MD5, ""),
        (4, "domain", "evil.example", ""),
        (4, "ipv4", "203.0.113.6", ""),
        (5, "domain", "www.evil.example", "port 8443"),
    ]


def test_misp_unsupported_types_are_rejects_naming_the_type() -> None:
    data = misp(
        "u1,7,Other,text,hello,,0,20261120,,,,,",
        "u2,7,Network activity,ip-dst,not-an-ip,,1,20261120,,,,,",
        "u3,7,Network activity,ip-dst|port,203.0.113.5,,1,20261120,,,,,",
        "u4,7,Network activity,domain,ok.example,,1,2026-13-45,,,,,",
    )
    parsed = parse(data, "misp")
    bad = errors(parsed)
    assert [(e.line, e.field) for e in bad] == [
        (2, "type"),
        (3, "value"),
        (4, "value"),
        (5, "date"),
    ]
    assert "MISP type 'text' is not supported" in bad[0].message
    assert bad[1].message.startswith("ip-dst:")
    assert "'|'" in bad[2].message
    assert bad[0].byte_offset == offset_of(data, 2)
    with pytest.raises(UnsupportedMispType):
        split_misp("x509-fingerprint-sha1", "ab")


# -- rejects file, detection, memory -----------------------------------------------------------


def test_rejects_file_has_the_intake_shape() -> None:
    data = b"192.0.2.1\n=cmd|' /C calc'!A0\n"
    out = io.StringIO()
    assert write_rejects(errors(parse(data)), out, "csv") == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "line,byte_offset,field,message,raw"
    assert lines[1].startswith("2,10,value,") and ",'=cmd" in lines[1]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b'{"value": "192.0.2.1"}\n', "x.txt", "ipv4"),
        (MISP_HEADER.encode() + b"u,1,c,ip-dst,192.0.2.1,,1,20261120,,,,,\n", "x.csv", "ipv4"),
        (b"value\n192.0.2.1\n", "x.txt", "ipv4"),
        (b"192.0.2.1\n", "x.lst", "ipv4"),
    ],
)
def test_format_detection(data: bytes, name: str, expected: str) -> None:
    assert [r.type for r in rows(parse(data, filename=name))] == [expected]


def test_memory_stays_flat_on_a_long_file() -> None:
    line = b"hxxps://a[.]evil[.]example/login?id=0123456789\n"

    def consume(n: int) -> int:
        stream = io.BytesIO(line * n)
        tracemalloc.start()
        count = sum(1 for _ in parse_indicators(stream, "plain"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == n
        return peak

    small, large = consume(2_000), consume(40_000)
    assert large < small * 3  # twenty times the rows, nowhere near twenty times the memory

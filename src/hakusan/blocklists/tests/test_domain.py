"""The pure parts: brands, rendering, ETags, the JPCERT parser (no database)."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hakusan.domain.blocklists import (
    FEEDS,
    FeedItem,
    FeedMeta,
    JpcertFileError,
    brand_tag,
    brands_from_tags,
    compute_etag,
    feed_spec,
    normalise_brand,
    parse_jpcert,
    render,
)
from hakusan.domain.blocklists.feeds import UnknownFeed
from hakusan.domain.indicators import IndicatorRow, RowError

WHEN = datetime(2024, 12, 2, 1, 36, tzinfo=UTC)


def test_brands():
    assert normalise_brand("  ＡＢＣ　カード ") == "ABC カード"
    assert normalise_brand("ｴﾎﾟｽｶｰﾄﾞ") == "エポスカード"
    assert brand_tag("Apple  ID") == "brand:Apple ID"
    assert brand_tag("  ") is None
    assert brands_from_tags(["phishing", "Brand:au", "brand:三井住友カード", "brand:", 3]) == [
        "au",
        "三井住友カード",
    ]
    assert len(brand_tag("x" * 300)) == 100


def test_feed_specs():
    assert set(FEEDS) == {"phishing", "smishing", "c2"}
    assert "tel_sms_sender" in FEEDS["smishing"].types
    with pytest.raises(UnknownFeed, match="known: c2, phishing, smishing"):
        feed_spec("spam")


ITEMS = [
    FeedItem("url", "https://a.example.jp/x,y", ("Bank, Inc.", "Card"), WHEN, WHEN, "green", 80),
    FeedItem("url", "https://b.example.jp/", (), WHEN - timedelta(days=1), WHEN, "clear", 50),
]
META = FeedMeta(FEEDS["phishing"], WHEN, "green", ("Example CERT",))


def test_render_formats():
    text = "".join(render("txt", META, ITEMS))
    assert text.splitlines()[-3:] == [
        "https://a.example.jp/x,y",
        "https://b.example.jp/",
        "# count: 2",
    ]
    assert "# data as of: 2024-12-02T01:36:00Z" in text
    rows = list(csv.reader(io.StringIO("".join(render("csv", META, ITEMS)))))
    assert rows[1] == [
        "url",
        "https://a.example.jp/x,y",
        "Bank, Inc.|Card",
        "2024-12-02T01:36:00Z",
        "2024-12-02T01:36:00Z",
        "green",
        "80",
    ]
    doc = json.loads("".join(render("json", META, ITEMS)))
    assert doc["count"] == 2 and doc["tlp"] == "green"
    assert doc["items"][0]["brands"] == ["Bank, Inc.", "Card"]
    assert doc["attribution"] == ["Example CERT"]
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", META, ITEMS)


def test_render_streams():
    def endless():
        n = 0
        while True:
            n += 1
            yield FeedItem("domain", f"d{n}.example.jp", (), WHEN, WHEN, "clear", 50)

    chunks = render("csv", META, endless())
    first = [next(chunks) for _ in range(3)]
    assert first[0].startswith("type,value") and first[2].startswith("domain,d3.example.jp")


def test_etag():
    one = compute_etag("phishing", "csv", "green", 50, 7)
    assert one == compute_etag("phishing", "csv", "green", 50, 7)
    assert one.startswith('"') and one.endswith('"')
    assert one != compute_etag("phishing", "csv", "green", 50, 8)
    assert one != compute_etag("phishing", "txt", "green", 50, 7)


JPCERT = (
    "date,URL,description\r\n"
    "2024/12/02 10:36:00,https://181.214.58.104,じぶん銀行\r\n"
    "2024/12/02 10:40:00,HTTPS://Login.Example.JP/PURCHASE ORDER/index.php,ＡＢＣ　Card\r\n"
    '2024/12/03 09:00:00,"https://a.example.jp/x?p=1,2",\r\n'
    "not a date,https://b.example.jp/,X\r\n"
    "2024/12/03 09:00:00,https:///broken,X\r\n"
    "2024/12/03 09:00:00,https://c.example.jp/\r\n"
    "\r\n"
)


def test_parse_jpcert():
    parsed = list(parse_jpcert(io.BytesIO(JPCERT.encode()), filename="202412.csv", confidence=80))
    rows = [r for _l, r in parsed if isinstance(r, IndicatorRow)]
    errors = [r for _l, r in parsed if isinstance(r, RowError)]
    assert [r.value for r in rows] == [
        "https://181.214.58.104/",
        "https://login.example.jp/PURCHASE%20ORDER/index.php",
        "https://a.example.jp/x?p=1,2",
    ]
    first = rows[0]
    assert first.tags == ("phishing", "brand:じぶん銀行")
    assert first.first_seen == datetime(2024, 12, 2, 10, 36, tzinfo=timezone(timedelta(hours=9)))
    assert first.first_seen == datetime(2024, 12, 2, 1, 36, tzinfo=UTC)
    assert first.confidence == 80 and first.line == 2 and first.type == "url"
    assert rows[1].tags == ("phishing", "brand:ABC Card")
    assert rows[1].original == "HTTPS://Login.Example.JP/PURCHASE ORDER/index.php"
    assert rows[2].tags == ("phishing",)  # no brand
    assert [(e.line, e.field) for e in errors] == [(5, "date"), (6, "URL"), (7, None)]
    assert "expected 3" in errors[2].message
    assert errors[0].byte_offset == JPCERT.encode().index(b"not a date")


def test_parse_jpcert_bad_bytes_and_header():
    data = b"date,URL,description\n2024/12/02 10:36:00,https://a.example.jp/\xff,X\n"
    ((_line, error),) = list(parse_jpcert(io.BytesIO(data)))
    assert isinstance(error, RowError) and "invalid UTF-8 byte 0xFF" in error.message
    with pytest.raises(JpcertFileError, match="expected the header"):
        parse_jpcert(io.BytesIO(b"type,value\nurl,https://a.example.jp/\n"), filename="x.csv")
    with pytest.raises(JpcertFileError, match="empty"):
        parse_jpcert(io.BytesIO(b""))
    bom = "\ufeffdate,URL,description\n2024/12/02 10:36:00,https://a.example.jp/,X\n".encode()
    assert isinstance(next(parse_jpcert(io.BytesIO(bom)))[1], IndicatorRow)

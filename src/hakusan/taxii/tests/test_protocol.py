"""TAXII protocol helpers: media types, timestamps, paging tokens, filters."""

from datetime import UTC, datetime

import pytest

from hakusan.taxii import protocol
from hakusan.taxii.protocol import ProtocolError


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("application/taxii+json;version=2.1", True),
        ("application/taxii+json; version=2.1", True),
        ("application/taxii+json", True),
        ("application/json, application/taxii+json;version=2.1;q=0.9", True),
        ("*/*", True),
        ("application/taxii+json;version=2.0", False),
        ("application/json", False),
        ("application/stix+json;version=2.1", False),
        ("", False),
    ],
)
def test_accept(header, ok):
    assert protocol.accepts_taxii(header) is ok


def test_content_type():
    assert protocol.is_taxii_content_type("application/taxii+json;version=2.1")
    assert protocol.is_taxii_content_type("application/taxii+json")
    assert not protocol.is_taxii_content_type("application/json")
    assert not protocol.is_taxii_content_type("application/taxii+json;version=2.0")


def test_timestamps():
    parse = protocol.parse_timestamp
    assert parse("2026-11-26T07:46:38Z") == datetime(2026, 11, 26, 7, 46, 38, tzinfo=UTC)
    assert parse("2026-11-26T07:46:38.123Z").microsecond == 123000
    assert parse("2026-11-26T07:46:38.123456789Z").microsecond == 123456  # truncated
    assert parse("2026-11-26T16:46:38.5+09:00") == datetime(
        2026, 11, 26, 7, 46, 38, 500000, tzinfo=UTC
    )
    for bad in ("2026-11-26", "yesterday", "2026-13-40T00:00:00Z"):
        with pytest.raises(ProtocolError) as exc:
            parse(bad, "added_after")
        assert exc.value.status == 400 and "added_after" in exc.value.description
    moment = datetime(2026, 11, 26, 7, 46, 38, 120000, tzinfo=UTC)
    assert protocol.taxii_timestamp(moment) == "2026-11-26T07:46:38.120000Z"
    assert protocol.stix_timestamp(moment) == "2026-11-26T07:46:38.120Z"
    assert protocol.stix_timestamp(moment.replace(microsecond=120001)).endswith(".120001Z")


def test_next_token_round_trip():
    moment = datetime(2026, 11, 26, 7, 46, 38, 123456, tzinfo=UTC)
    assert protocol.decode_next(protocol.encode_next(moment)) == moment
    with pytest.raises(ProtocolError):
        protocol.decode_next("not-a-token")


def test_version_filter_and_limit():
    assert protocol.parse_version_filter(None).last
    assert protocol.parse_version_filter("all").all
    both = protocol.parse_version_filter("first,2026-11-26T07:46:38.123Z")
    assert both.first and not both.last and len(both.timestamps) == 1
    assert protocol.parse_limit(None, 100, 1000) == 100
    assert protocol.parse_limit("5000", 100, 1000) == 1000
    with pytest.raises(ProtocolError):
        protocol.parse_limit("-1", 100, 1000)


def test_spec_version_and_version_of_objects():
    assert protocol.object_spec_version({"type": "ipv4-addr", "id": "x"}) == "2.1"
    assert protocol.object_spec_version({"created": "2017-01-01T00:00:00Z"}) == "2.0"
    assert protocol.object_version({"created": "a", "modified": "b"}) == "b"
    assert protocol.object_version({"type": "url"}) is None

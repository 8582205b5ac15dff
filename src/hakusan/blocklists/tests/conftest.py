"""A fixture of indicators covering every rule of the feeds (fictional values only)."""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hakusan.domain.observables import canonicalize
from hakusan.indicators.ingest import SightingInput
from hakusan.indicators.models import Observable, Sighting
from hakusan.indicators.services import create_source, record_sightings

WHEN = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


def sighting(
    source_id: int,
    type_: str,
    value: str,
    *,
    tlp: str = "green",
    tags: tuple[str, ...] = ("phishing",),
    confidence: int = 80,
    kind: str = "feed",
    when: datetime = WHEN,
) -> SightingInput:
    canonical = canonicalize(type_, value)
    return SightingInput(
        kind,
        source_id,
        type_,
        canonical,
        value,
        when,
        tlp,
        last_seen=when + timedelta(days=1),
        confidence=confidence,
        tags=tags,
    )


def obs(type_: str, value: str) -> Observable:
    return Observable.objects.get(type=type_, value=canonicalize(type_, value))


@pytest.fixture
def feed_data(db, django_capture_on_commit_callbacks) -> dict[str, Any]:
    source = create_source(None, "Fixture feed", description="Attribution: Example CERT — test")
    other = create_source(None, "Other feed")
    s, o = source.pk, other.pk
    rows = [
        # in the phishing feed of a green partner
        sighting(
            s,
            "url",
            "https://phish-green.example.jp/login",
            tags=("phishing", "brand:Example Bank"),
        ),
        sighting(
            s,
            "url",
            "https://phish-clear.example.jp/",
            tlp="clear",
            tags=("Phishing", "brand:例示銀行"),
        ),
        # a second verified sighting adds a brand and widens the dates
        sighting(
            o,
            "url",
            "https://phish-green.example.jp/login",
            tags=("phishing", "brand:Example Card"),
            when=WHEN - timedelta(days=10),
            confidence=90,
        ),
        # left out for a green partner, each for one reason
        sighting(s, "url", "https://phish-amber.example.jp/", tlp="amber"),
        sighting(s, "url", "https://phish-listed.example.jp/"),
        sighting(s, "url", "https://phish-expired.example.jp/"),
        sighting(s, "url", "https://phish-dns.example.jp/"),
        sighting(s, "url", "https://phish-fp.example.jp/"),
        sighting(s, "url", "https://phish-low.example.jp/", confidence=30),
        sighting(s, "url", "https://not-tagged.example.jp/", tags=("malware",)),
        sighting(1, "url", "https://phish-report.example.jp/", kind="report", tlp="clear"),
        # a green tag-less sighting does not make an amber-tagged one green
        sighting(s, "url", "https://mixed.example.jp/", tlp="amber"),
        sighting(o, "url", "https://mixed.example.jp/", tags=()),
        # smishing and c2
        sighting(s, "phone", "090-1234-5678", tags=("smishing",)),
        sighting(s, "tel_sms_sender", "+81 80 9876 5432", tags=("smishing",)),
        sighting(s, "url", "https://smish.example.jp/a", tags=("smishing", "brand:Example Post")),
        sighting(s, "ipv4", "192.0.2.10", tags=("c2",)),
        sighting(s, "domain", "c2.example.jp", tags=("c2",)),
        sighting(s, "ipv4", "198.51.100.7", tags=("phishing",)),  # not a phishing type
    ]
    with django_capture_on_commit_callbacks(execute=True):
        record_sightings(rows)
    Observable.objects.filter(pk=obs("url", "https://phish-listed.example.jp/").pk).update(
        warninglist_hits=[
            {"slug": "fixture", "name": "Fixture list", "category": "list", "matched": "x"}
        ]
    )
    Observable.objects.filter(pk=obs("url", "https://phish-expired.example.jp/").pk).update(
        expires_at=datetime(2024, 6, 1, tzinfo=UTC)
    )
    Observable.objects.filter(pk=obs("url", "https://phish-dns.example.jp/").pk).update(
        do_not_share=True
    )
    Sighting.objects.filter(observable=obs("url", "https://phish-fp.example.jp/")).update(
        false_positive=True
    )
    # Documentation ranges are on the rfc5735 warninglist; these two stand for routable addresses.
    Observable.objects.filter(type="ipv4", value__in=["192.0.2.10", "198.51.100.7"]).update(
        warninglist_hits=[]
    )
    return {"source": source, "other": other}


def token_header(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def basic_header(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"any:{key}".encode()).decode()}


def body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()

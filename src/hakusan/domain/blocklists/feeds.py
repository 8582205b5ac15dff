"""The blocklist feeds and what puts an indicator in one.

An indicator (observable) is in feed ``F`` for a partner when the sharing policy lets it go to
that partner (``partners.policy``) and at least one of its sightings is *verified for F*: the
sighting is eligible for the partner (shareable source, not a false positive, TLP at or below
the partner's), carries the feed's tag (:attr:`FeedSpec.tag`, compared case-insensitively), and
has a confidence at or above the blocklist threshold. Only the types listed for the feed are
served. ``brand:<name>`` tags on those sightings give the brand column (phishing, smishing)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Final


@dataclass(frozen=True)
class FeedSpec:
    name: str  # the URL path: /feeds/<name>.<format>
    kind: str  # the partners.DataKind the partner must receive
    tag: str  # the sighting tag that puts an indicator in this feed
    types: tuple[str, ...]  # observable types served
    title: str  # for headers and documentation
    audience: str


FEEDS: Final[dict[str, FeedSpec]] = {
    spec.name: spec
    for spec in (
        FeedSpec(
            "phishing",
            "phishing",
            "phishing",
            ("url", "domain"),
            "Phishing URLs and domains with the imitated brand",
            "antivirus and web-filtering vendors",
        ),
        FeedSpec(
            "smishing",
            "smishing",
            "smishing",
            ("phone", "tel_sms_sender", "url", "domain"),
            "Smishing sender numbers and the URLs and domains they sent",
            "JC3 and mobile carriers",
        ),
        FeedSpec(
            "c2",
            "c2",
            "c2",
            ("ipv4", "ipv6", "domain"),
            "Command-and-control IP addresses and domains",
            "network operators and vendors",
        ),
    )
}

FORMATS: Final = ("txt", "csv", "json")


class UnknownFeed(LookupError):
    pass


def feed_spec(name: str) -> FeedSpec:
    try:
        return FEEDS[name]
    except KeyError:
        raise UnknownFeed(f"unknown feed {name!r} (known: {', '.join(sorted(FEEDS))})") from None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One line of a feed. ``first_seen``/``last_seen`` span the verified sightings only (not
    sightings the partner may not see); ``tlp`` is the level the sharing policy marks the
    indicator with; ``confidence`` the highest among the verified sightings."""

    type: str
    value: str
    brands: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    tlp: str
    confidence: int

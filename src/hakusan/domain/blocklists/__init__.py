"""Blocklist feeds for vendors and carriers, and the JPCERT/CC phishing URL import: pure logic.

- :mod:`.feeds`: the feeds (``phishing``, ``smishing``, ``c2``), the data kind a partner must
  receive for each, the observable types in it and the sighting tag that puts an indicator in it.
- :mod:`.brands`: brand names (the imitated brand of a phishing URL) and their ``brand:`` tags.
- :mod:`.render`: streaming rendering of a feed as plain text, CSV or JSON, and its ETag.
- :mod:`.jpcert`: the streaming parser of JPCERT/CC's phishurl-list CSV files.
"""

from .brands import BRAND_PREFIX, brand_tag, brands_from_tags, normalise_brand
from .feeds import FEEDS, FORMATS, FeedItem, FeedSpec, UnknownFeed, feed_spec
from .jpcert import JPCERT_ATTRIBUTION, JPCERT_DESCRIPTION, JpcertFileError, parse_jpcert
from .render import FeedMeta, compute_etag, content_type, render

__all__ = [
    "BRAND_PREFIX",
    "FEEDS",
    "FORMATS",
    "JPCERT_ATTRIBUTION",
    "JPCERT_DESCRIPTION",
    "FeedItem",
    "FeedMeta",
    "FeedSpec",
    "JpcertFileError",
    "UnknownFeed",
    "brand_tag",
    "brands_from_tags",
    "compute_etag",
    "content_type",
    "feed_spec",
    "normalise_brand",
    "parse_jpcert",
    "render",
]

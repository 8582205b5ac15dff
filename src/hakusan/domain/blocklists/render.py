"""Feeds rendered as plain text, CSV or JSON, streamed: each function yields ``str`` chunks
(one per item, plus header and trailer), so memory stays flat whatever the feed size.

Formats
    ``txt``: ``#`` comment lines (feed, data time, TLP, attribution), then one value per line,
    then ``# count: N`` (a truncated download is visible: the trailer is missing).
    ``csv``: header ``type,value,brand,first_seen,last_seen,tlp,confidence``; several brands
    are joined with ``|``; times in ISO 8601 UTC (``2024-12-02T01:36:00Z``).
    ``json``: one object: ``feed``, ``title``, ``generated_at``, ``attribution``, ``items`` (a
    list of objects with the CSV columns, ``brands`` a list), then ``count`` and ``tlp`` (the
    most restrictive level among the items; ``clear`` when empty) — after the items, because
    they are only known once every item has been written.

``generated_at`` is the time the data last changed (the response's ``Last-Modified``), not the
time of the request: two responses with the same ETag are byte for byte the same.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from hakusan.domain.sharing import tlp as tlp_rules

from .feeds import FORMATS, FeedItem, FeedSpec

CSV_COLUMNS = ("type", "value", "brand", "first_seen", "last_seen", "tlp", "confidence")
# Bump when the output of any format changes shape, so cached ETags are not reused.
RENDER_VERSION = 1

_CONTENT_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


@dataclass(frozen=True)
class FeedMeta:
    spec: FeedSpec
    generated_at: datetime  # when the data last changed (= Last-Modified)
    max_tlp: str  # the recipient's clearance
    attribution: tuple[str, ...] = ()  # credits of the sources in the feed


def content_type(fmt: str) -> str:
    return _CONTENT_TYPES[fmt]


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def compute_etag(*parts: object) -> str:
    """A strong ETag (quoted) for the state a feed is rendered from: the feed, the format, the
    recipient's clearance, the threshold and the data version. Cheap: no item is read."""
    text = "\x1f".join(str(p) for p in (RENDER_VERSION, *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


def render(fmt: str, meta: FeedMeta, items: Iterable[FeedItem]) -> Iterator[str]:
    if fmt == "txt":
        return _plain(meta, items)
    if fmt == "csv":
        return _csv(items)
    if fmt == "json":
        return _json(meta, items)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def _plain(meta: FeedMeta, items: Iterable[FeedItem]) -> Iterator[str]:
    head = [
        f"# Hakusan blocklist: {meta.spec.name} — {meta.spec.title}",
        f"# data as of: {_when(meta.generated_at)}",
        f"# TLP: at most {meta.max_tlp.upper()} (per-item levels in the CSV and JSON formats)",
    ]
    head += [f"# source: {credit}" for credit in meta.attribution]
    head.append("# one value per line; lines starting with # are comments")
    yield "\n".join(head) + "\n"
    count = 0
    for item in items:
        count += 1
        yield item.value + "\n"
    yield f"# count: {count}\n"


def _csv(items: Iterable[FeedItem]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(
            (
                item.type,
                item.value,
                "|".join(item.brands),
                _when(item.first_seen),
                _when(item.last_seen),
                item.tlp,
                item.confidence,
            )
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json(meta: FeedMeta, items: Iterable[FeedItem]) -> Iterator[str]:
    yield (
        "{"
        f'"feed": {_dump(meta.spec.name)}, "title": {_dump(meta.spec.title)}, '
        f'"generated_at": {_dump(_when(meta.generated_at))}, '
        f'"max_tlp": {_dump(meta.max_tlp)}, "attribution": {_dump(list(meta.attribution))}, '
        '"items": ['
    )
    count = 0
    worst = 0
    for item in items:
        worst = max(worst, tlp_rules.rank(item.tlp))
        obj = {
            "type": item.type,
            "value": item.value,
            "brands": list(item.brands),
            "first_seen": _when(item.first_seen),
            "last_seen": _when(item.last_seen),
            "tlp": item.tlp,
            "confidence": item.confidence,
        }
        yield ("\n" if count == 0 else ",\n") + _dump(obj)
        count += 1
    yield f'\n], "count": {count}, "tlp": {_dump(tlp_rules.LEVELS[worst])}' + "}\n"

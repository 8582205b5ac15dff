"""The JPCERT/CC phishing URL list (github.com/JPCERTCC/phishurl-list): one CSV a month with the
columns ``date,URL,description`` — the time JPCERT/CC confirmed the site (JST,
``YYYY/MM/DD HH:MM:SS``), the whole phishing URL, and the brand it imitates.

:func:`parse_jpcert` streams a file as ``(line, IndicatorRow | RowError)``: each row becomes a
``url`` indicator (canonical form; ``original`` as written) seen at the confirmation time (Asia
/Tokyo), tagged ``phishing`` and ``brand:<brand>`` (see :mod:`.brands`). Spaces after the host are
percent-encoded (``%20``, as a browser sends them). Bad rows (wrong number of columns, bad
date, invalid URL, undecodable bytes) are ``RowError`` with the line, the byte
offset of the record and the reason; the parser goes on. A file that is not such a list (no
``date,URL,description`` header) raises :class:`JpcertFileError` before any row.

The URLs are live phishing sites: they are data, never fetched."""

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, Final

from hakusan.domain.indicators import IndicatorRow, RowError
from hakusan.domain.intake.drafts import parse_datetime
from hakusan.domain.observables import InvalidObservable, canonicalize

from .brands import brand_tag

JPCERT_ATTRIBUTION: Final = "JPCERT/CC phishurl-list"
JPCERT_DESCRIPTION: Final = (
    "Phishing URLs confirmed by JPCERT/CC, with the imitated brand: the public dataset "
    "https://github.com/JPCERTCC/phishurl-list (one CSV a month; columns date, URL, "
    "description). Attribution: JPCERT/CC phishurl-list — credit it wherever data from this "
    "source is shown or shared. Licence: as published by JPCERT/CC in that repository (it "
    "states no licence terms of its own; check them before redistributing beyond partners). "
    "The URLs are live phishing sites: never fetch them."
)
HEADER: Final = ("date", "url", "description")
PHISHING_TAG: Final = "phishing"
MAX_RECORD_LINES: Final = 20
MAX_URL_CHARS: Final = 2048


class JpcertFileError(ValueError):
    """The file is not a JPCERT/CC phishing URL list (the message says why)."""


def _records(stream: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(first line number, byte offset, raw bytes) of each CSV record; a quoted field may span
    lines (an odd number of quotes so far means the record goes on)."""
    number = 0
    offset = 0
    while True:
        data = stream.readline()
        if not data:
            return
        start_line, start_offset = number + 1, offset
        number += 1
        offset += len(data)
        lines = 1
        while data.count(b'"') % 2 and lines < MAX_RECORD_LINES:
            more = stream.readline()
            if not more:
                break
            data += more
            number += 1
            offset += len(more)
            lines += 1
        yield start_line, start_offset, data


def _encode_spaces(url: str) -> str:
    """Spaces inside a URL as a browser sends them (``%20``): the list has URLs copied with
    spaces in their path or query (``/PURCHASE ORDER/index.php``). Only after the host: a space
    in the scheme or host is still an error."""
    scheme, sep, rest = url.partition("://")
    if not sep or " " not in rest:
        return url
    host, slash, tail = rest.partition("/")
    if " " in host or not slash:
        return url
    return f"{scheme}://{host}/{tail.replace(' ', '%20')}"


def _fields(text: str) -> list[str]:
    return next(csv.reader([text.rstrip("\r\n")]), [])


def parse_jpcert(
    stream: BinaryIO,
    *,
    filename: str = "",
    tags: tuple[str, ...] = (PHISHING_TAG,),
    confidence: int | None = None,
) -> Iterator[tuple[int, IndicatorRow | RowError]]:
    """Rows of one monthly file. ``tags`` are put on every row (before its brand tag);
    ``confidence`` on every row (None: the importer's default)."""
    name = filename or "file"
    records = _records(stream)
    first = next(records, None)
    if first is None:
        raise JpcertFileError(f"{name}: empty file (expected the header date,URL,description)")
    _line, _offset, raw = first
    header = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    columns = tuple(c.strip().lower() for c in _fields(header))
    if columns != HEADER:
        raise JpcertFileError(
            f"{name}: line 1 is {header.strip()[:80]!r}; expected the header "
            "date,URL,description of a JPCERT/CC phishurl-list file"
        )
    return _rows(records, tags, confidence)


def _rows(
    records: Iterator[tuple[int, int, bytes]], tags: tuple[str, ...], confidence: int | None
) -> Iterator[tuple[int, IndicatorRow | RowError]]:
    for line, offset, raw in records:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = raw.decode("utf-8", "replace").rstrip("\r\n")
            yield (
                line,
                RowError(
                    line,
                    f"invalid UTF-8 byte 0x{raw[exc.start]:02X} at byte offset "
                    f"{offset + exc.start}",
                    None,
                    offset + exc.start,
                    shown,
                ),
            )
            continue
        if not text.strip():
            continue
        yield line, _row(line, offset, text, tags, confidence)


def _row(
    line: int, offset: int, text: str, tags: tuple[str, ...], confidence: int | None
) -> IndicatorRow | RowError:
    shown = text.rstrip("\r\n")
    fields = _fields(text)
    if len(fields) != 3:
        return RowError(
            line,
            f"{len(fields)} column(s), expected 3 (date,URL,description)",
            None,
            offset,
            shown,
        )
    when_text, url_text, description = fields
    try:
        when: datetime = parse_datetime(when_text)
    except ValueError:
        return RowError(
            line,
            f"date {when_text.strip()[:40]!r} is not YYYY/MM/DD HH:MM:SS",
            "date",
            offset,
            shown,
        )
    raw_url = url_text.strip()
    if not raw_url:
        return RowError(line, "empty URL", "URL", offset, shown)
    if len(raw_url) > MAX_URL_CHARS:
        return RowError(line, f"URL longer than {MAX_URL_CHARS} characters", "URL", offset, shown)
    try:
        value = canonicalize("url", _encode_spaces(raw_url))
    except InvalidObservable as exc:
        return RowError(line, f"invalid URL: {exc}", "URL", offset, shown)
    if len(value) > MAX_URL_CHARS:
        return RowError(line, f"URL longer than {MAX_URL_CHARS} characters", "URL", offset, shown)
    brand = brand_tag(description)
    row_tags = tuple(dict.fromkeys((*tags, brand) if brand else tags))
    return IndicatorRow(
        line=line,
        byte_offset=offset,
        type="url",
        value=value,
        original=raw_url,
        first_seen=when,
        last_seen=when,
        confidence=confidence,
        tags=row_tags,
    )

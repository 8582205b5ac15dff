"""Streaming parser for indicator imports: plain lists, CSV, JSON Lines and MISP attribute CSV.

The file is read as bytes, one physical line at a time, and each line is decoded on its own
(the approach of ``hakusan.domain.intake.parse``): memory stays flat however large the file
is, and an invalid byte costs only the record that holds it. Every observable yields
``(line, IndicatorRow | RowError)``, ``line`` being the 1-based physical line where its record
starts; a MISP composite attribute (``filename|md5``) yields one row per half, on the same
line. ``RowError`` is the intake parser's: line, message, field, byte offset (of the bad byte,
else of the record start) and the raw text, so the rejects file has the same shape.

Formats
    ``plain``: one value per line, optionally ``type:value`` (``ipv4:192.0.2.1``,
    ``user_agent:Mozilla/5.0 …``, also MISP type names such as ``ip-dst:…``); without a
    prefix the type is detected (``detect``: defanged and full-width forms are fine).
    Blank lines and lines starting with ``#`` are skipped; ``value  # note`` keeps the note
    as the comment (a URL cannot hold white space, so `` #`` is never part of a value).
    ``csv``: a header naming the columns ``type, value, first_seen, last_seen, confidence,
    tags, comment`` (only ``value`` is required; a blank ``type`` means detect). Tab-separated
    when the header has tabs and no commas. Unknown columns: one warning on the header line.
    ``jsonl``: one JSON object per line with the same keys; ``tags`` a list or a string.
    ``misp`` (alias ``misp-csv``): MISP's attribute CSV export (``uuid, event_id, category,
    type, value, comment, to_ids, date, object_relation, attribute_tag, …`` and, with
    ``includeContext``, ``event_info, …, event_tag, event_timestamp``): MISP types map to
    ours (:mod:`.misp`), composites split, ``date`` (``YYYYMMDD`` or a Unix time) becomes
    first and last seen unless ``first_seen``/``last_seen`` columns say otherwise,
    ``attribute_tag`` and ``event_tag`` become tags, plus ``misp-category:<category>`` and,
    when ``to_ids`` is false, ``misp:to_ids=false``. Unsupported MISP types are rejected,
    naming the type.

TLP
    ``tlp:`` tags (TLP 2.0 names; ``tlp:white`` reads as ``clear``) in ``tags``,
    ``attribute_tag`` or ``event_tag``, and a ``tlp`` column/key (``amber`` or ``TLP:AMBER``),
    set ``IndicatorRow.tlp``: the most restrictive of them all (None when none is given).
    They are not kept as tags. An unknown level (``tlp:purple``, ``tlp:ex:chr``) rejects
    the row, naming the field: a level is never guessed lower. The importer combines the
    row's level with its own (``--tlp``): the most restrictive wins.

Values
    Canonicalised with ``hakusan.domain.observables`` (``canonicalize`` when the type is
    given, ``detect`` when not); an invalid value is a rejected row with the reason. Dates:
    ISO 8601, ``YYYY/MM/DD HH:MM``, a date alone, ``YYYYMMDD`` or a Unix time; without an
    offset, Asia/Tokyo. ``confidence``: an integer 0–100. ``tags``: comma or semicolon
    separated, at most :data:`MAX_TAGS` of at most :data:`MAX_TAG_CHARS` characters.

Problems that make the whole file unusable (unknown format or encoding, a CSV header without a
``value`` column, a JSON array instead of JSON Lines) raise ``ValueError`` from
:func:`parse_indicators` before any row. The returned iterator never raises for bad content.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import BinaryIO, Final

from hakusan.domain import safejson
from hakusan.domain.intake.drafts import parse_datetime
from hakusan.domain.intake.parse import (
    Line,
    LineSource,
    RowError,
    decode_line,
    resolve_encoding,
)
from hakusan.domain.observables import InvalidObservable, ObservableType, canonicalize, detect
from hakusan.domain.sharing import tlp as tlp_rules

from .misp import IP, UnsupportedMispType, split_misp

__all__ = [
    "CSV_FIELDS",
    "FORMAT_NAMES",
    "MAX_RECORD_BYTES",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "MAX_VALUE_CHARS",
    "IndicatorFormat",
    "IndicatorRow",
    "ParsedIndicator",
    "format_of",
    "parse_indicators",
    "parse_tags",
    "parse_tlp",
    "split_tlp",
]

MAX_RECORD_BYTES: Final = 1 << 20
MAX_RECORD_LINES: Final = 1_000
MAX_VALUE_CHARS: Final = 2048
MAX_COMMENT_CHARS: Final = 1000
MAX_TAGS: Final = 50
MAX_TAG_CHARS: Final = 100
MAX_RAW_CHARS: Final = 10_000

CSV_FIELDS: Final = (
    "type",
    "value",
    "first_seen",
    "last_seen",
    "confidence",
    "tags",
    "comment",
    "tlp",
)
_CSV_ALIASES: Final = {
    "indicator": "value",
    "ioc": "value",
    "observable": "value",
    "description": "comment",
    "note": "comment",
    "tag": "tags",
}
MISP_FIELDS: Final = (
    "uuid",
    "event_id",
    "category",
    "type",
    "value",
    "comment",
    "to_ids",
    "date",
    "object_relation",
    "attribute_tag",
    "object_uuid",
    "object_name",
    "object_meta_category",
    "first_seen",
    "last_seen",
    "timestamp",
    "event_info",
    "event_uuid",
    "event_date",
    "event_tag",
    # the rest of MISP's includeContext columns (read, not used)
    "event_member_org",
    "event_source_org",
    "event_distribution",
    "event_threat_level_id",
    "event_analysis",
    "event_timestamp",
)
_MISP_MARKERS: Final = frozenset({"uuid", "event_id", "category", "to_ids", "attribute_tag"})


class IndicatorFormat(StrEnum):
    PLAIN = "plain"
    CSV = "csv"
    JSONL = "jsonl"
    MISP = "misp"


_FORMAT_ALIASES: Final = {
    "plain": IndicatorFormat.PLAIN,
    "txt": IndicatorFormat.PLAIN,
    "text": IndicatorFormat.PLAIN,
    "list": IndicatorFormat.PLAIN,
    "csv": IndicatorFormat.CSV,
    "tsv": IndicatorFormat.CSV,
    "jsonl": IndicatorFormat.JSONL,
    "ndjson": IndicatorFormat.JSONL,
    "json": IndicatorFormat.JSONL,
    "misp": IndicatorFormat.MISP,
    "misp-csv": IndicatorFormat.MISP,
}
# The names the CLI offers (README: ``--format plain|csv|jsonl|misp-csv``).
FORMAT_NAMES: Final = ("plain", "csv", "jsonl", "misp", "misp-csv")


def format_of(name: str) -> IndicatorFormat:
    """The format a name or alias stands for (``misp-csv`` is ``misp``); ValueError if none."""
    resolved = _FORMAT_ALIASES.get(str(name).strip().lower().lstrip("."))
    if resolved is None:
        raise ValueError(f"unknown format {name!r}; expected plain, csv, jsonl or misp-csv")
    return resolved


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One observable to import: canonical ``type``/``value``, ``original`` as written, and
    what the file said about it (None/empty: not given)."""

    line: int
    byte_offset: int
    type: str
    value: str
    original: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    confidence: int | None = None
    tags: tuple[str, ...] = ()
    comment: str = ""
    tlp: str | None = None  # TLP 2.0 level the file gives the row (None: not given)


ParsedIndicator = tuple[int, IndicatorRow | RowError]


class _Bad(ValueError):
    """A row problem: message and the field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- types and values --------------------------------------------------------------------------

_TYPE_ALIASES: Final = {
    "ip": IP,
    "ip_address": IP,
    "hostname": "domain",
    "host": "domain",
    "fqdn": "domain",
    "tel": "phone",
    "phone_number": "phone",
    "as": "asn",
    "useragent": "user_agent",
    "hash": "",  # detect
    "": "",
}


def _our_types() -> frozenset[str]:
    return frozenset(str(t) for t in ObservableType)


def resolve_type(name: str) -> str:
    """Our type for a type name as written in a file ("" = detect, "ip" = an address or
    block). Accepts our names (``user_agent`` or ``user-agent``), a few aliases and the
    single-valued MISP types. Raises ``_Bad`` naming the type."""
    text = name.strip()
    key = text.lower().replace("-", "_").replace(" ", "_")
    if key in _our_types():
        return key
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    try:
        parts = split_misp(text, "x|x")
    except (UnsupportedMispType, ValueError):
        parts = []
    if len(parts) == 1 and not parts[0].note:
        return parts[0].type
    raise _Bad(
        f"unknown type {text!r} (expected one of: {', '.join(sorted(_our_types()))})", "type"
    )


def canonical(type_: str, raw: str) -> tuple[str, str]:
    """(type, canonical value); ``type_`` "" detects, "ip" accepts ipv4/ipv6/cidr."""
    if not raw.strip():
        raise _Bad("empty value", "value")
    if len(raw) > MAX_VALUE_CHARS:
        raise _Bad(f"value longer than {MAX_VALUE_CHARS} characters", "value")
    try:
        if type_ in ("", IP):
            found = detect(raw)
            kind, value = str(found.type), found.value
            if type_ == IP and kind not in ("ipv4", "ipv6", "cidr"):
                raise _Bad(f"{raw.strip()[:80]!r} is not an IP address (detected {kind})", "value")
        else:
            kind, value = type_, canonicalize(type_, raw)
    except InvalidObservable as exc:
        raise _Bad(str(exc), "value") from None
    if len(value) > MAX_VALUE_CHARS:
        raise _Bad(f"value longer than {MAX_VALUE_CHARS} characters", "value")
    return kind, value


_DIGITS = re.compile(r"^[0-9]+$")


def parse_when(text: str, field: str) -> datetime | None:
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    try:
        if _DIGITS.match(value) and len(value) in (9, 10):  # Unix time (MISP timestamps)
            return datetime.fromtimestamp(int(value), UTC)
        if _DIGITS.match(value) and len(value) == 8:  # MISP's date column: YYYYMMDD
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
        return parse_datetime(value)
    except (ValueError, OverflowError, OSError):
        raise _Bad(
            f"{field}: {text.strip()[:40]!r} is not a date/time (ISO 8601, YYYY/MM/DD HH:MM, "
            "YYYYMMDD or a Unix time)",
            field,
        ) from None


def parse_confidence(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Bad("confidence must be an integer 0–100", "confidence")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _DIGITS.match(value.strip().removesuffix("%")):
        digits = value.strip().removesuffix("%").lstrip("0") or "0"
        if len(digits) > 3:  # bounded before int(): 5,000 digits would abort the whole file
            raise _Bad(f"confidence {digits[:10]}… is outside 0–100", "confidence")
        number = int(digits)
    else:
        raise _Bad(f"confidence {str(value)[:20]!r} is not an integer 0–100", "confidence")
    if not 0 <= number <= 100:
        raise _Bad(f"confidence {number} is outside 0–100", "confidence")
    return number


_TAG_SPLIT = re.compile(r"[,;]")


def parse_tags(value: object) -> tuple[str, ...]:
    """Tags from a cell (comma/semicolon separated) or a JSON list; stripped, de-duplicated."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: Sequence[object] = _TAG_SPLIT.split(value)
    elif isinstance(value, list):
        items = value
    else:
        raise _Bad("tags must be text or a list of text", "tags")
    out: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise _Bad("tags must be text", "tags")
        tag = _no_nul(unicodedata.normalize("NFKC", item).strip(), "tags")
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise _Bad(f"tag {tag[:20]!r}… is longer than {MAX_TAG_CHARS} characters", "tags")
        out[tag] = None
    if len(out) > MAX_TAGS:
        raise _Bad(f"more than {MAX_TAGS} tags", "tags")
    return tuple(out)


def split_tlp(tags: Sequence[str], field: str) -> tuple[tuple[str, ...], str | None]:
    """(the tags without ``tlp:`` ones, the most restrictive level they name or None).
    An unknown ``tlp:`` value is a row problem: never guessed lower."""
    levels = []
    rest = []
    for tag in tags:
        if not tag.lower().startswith("tlp:"):
            rest.append(tag)
            continue
        try:
            levels.append(tlp_rules.normalise(tag))
        except tlp_rules.UnknownTLP:
            raise _Bad(
                f"{field}: unknown TLP tag {tag!r} (known: "
                f"{', '.join('tlp:' + level for level in tlp_rules.LEVELS)}, tlp:white)",
                field,
            ) from None
    return tuple(rest), tlp_rules.most_restrictive(levels)


def parse_tlp(value: object, field: str = "tlp") -> str | None:
    """A ``tlp`` cell or key: ``amber``, ``TLP:AMBER``, ``white`` (→ clear); blank: None."""
    text = _text(value, field).strip()
    if not text:
        return None
    try:
        return tlp_rules.normalise(text)
    except tlp_rules.UnknownTLP:
        raise _Bad(
            f"{field}: unknown TLP {text[:40]!r} (known: {', '.join(tlp_rules.LEVELS)})", field
        ) from None


def _strictest(*levels: str | None) -> str | None:
    return tlp_rules.most_restrictive(level for level in levels if level is not None)


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _Bad(f"{field} must be text", field)


def _no_nul(text: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL: the row is rejected rather than the whole import."""
    if "\x00" in text:
        raise _Bad(f"{field} contains a NUL character", field)
    return text


def _comment(value: object) -> str:
    text = _no_nul(_text(value, "comment").strip(), "comment")
    return text[:MAX_COMMENT_CHARS]


def _times(first: datetime | None, last: datetime | None) -> tuple[datetime | None, ...]:
    first, last = first or last, last or first
    if first is not None and last is not None and first > last:
        raise _Bad("first_seen is after last_seen", "first_seen,last_seen")
    return first, last


# -- physical lines ----------------------------------------------------------------------------


def _bad_byte(line: Line, offset: int, encoding: str) -> str:
    byte = line.data[offset - line.offset]
    return f"invalid {encoding} byte 0x{byte:02X} on line {line.number} at byte offset {offset}"


def _clip(text: str) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= MAX_RAW_CHARS else text[:MAX_RAW_CHARS] + " …[truncated]"


def _too_long(line: Line) -> RowError:
    raw = line.data[:2000].decode("utf-8", "replace")
    return RowError(
        line.number,
        f"line {line.number} is longer than {MAX_RECORD_BYTES:,} bytes; it was skipped",
        None,
        line.offset,
        _clip(raw),
    )


# -- entry point -------------------------------------------------------------------------------


def parse_indicators(
    stream: BinaryIO,
    fmt: IndicatorFormat | str | None = None,
    *,
    filename: str = "",
    encoding: str | None = None,
) -> Iterator[ParsedIndicator]:
    """Parse an indicator file, streaming (formats and rules in the module docstring).

    ``fmt`` None: ``.jsonl/.ndjson/.json`` is JSON Lines; otherwise the first non-blank,
    non-comment line decides: ``{`` is JSON Lines, a header naming MISP's columns is MISP,
    a header with a ``value`` column is CSV, anything else is a plain list.
    """
    enc = resolve_encoding(encoding)
    if isinstance(stream, io.RawIOBase):
        stream = io.BufferedReader(stream)
    lines = LineSource(stream)
    first = _first_content_line(lines)
    if (
        first is not None
        and first.number == 1
        and first.data.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        raise ValueError(
            "the file is UTF-16 (Excel 'Unicode text'); save it as UTF-8 and import again"
        )
    resolved = _resolve_format(fmt, filename, first, enc)
    if first is None:
        return iter(())
    if resolved is IndicatorFormat.JSONL:
        if first.data.lstrip().startswith(b"["):
            raise ValueError(
                f"line {first.number} starts a JSON array; expected JSON Lines "
                "(one JSON object per line)"
            )
        return _parse_jsonl(lines, enc)
    if resolved is IndicatorFormat.PLAIN:
        return _parse_plain(lines, enc)
    return _parse_csv(lines, enc, first, misp=resolved is IndicatorFormat.MISP)


def _first_content_line(lines: LineSource) -> Line | None:
    """Peek at the first line that is neither blank nor a ``#`` comment (pushed back)."""
    seen: list[Line] = []
    while (line := lines.next()) is not None:
        seen.append(line)
        stripped = line.data.strip()
        if line.too_long or (stripped and not stripped.startswith(b"#")):
            lines.push_back(seen)
            return line
        if len(seen) > MAX_RECORD_LINES:
            seen.clear()
    return None


def _header_names(line: Line, encoding: str) -> list[str]:
    text = line.data.decode(encoding, "replace").strip()
    delimiter = "\t" if "\t" in text and "," not in text else ","
    try:
        cells = next(csv.reader([text], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [c.strip().lower() for c in cells]


def _resolve_format(
    fmt: IndicatorFormat | str | None, filename: str, first: Line | None, encoding: str
) -> IndicatorFormat:
    if fmt is not None:
        return format_of(fmt)
    suffix = filename.rpartition(".")[2].lower() if "." in filename else ""
    if suffix in ("jsonl", "ndjson", "json"):
        return IndicatorFormat.JSONL
    if first is None:
        return IndicatorFormat.PLAIN
    if first.data.lstrip()[:1] in (b"{", b"["):
        return IndicatorFormat.JSONL
    names = set(_header_names(first, encoding))
    if "value" in names and "type" in names and names & _MISP_MARKERS:
        return IndicatorFormat.MISP
    if names & ({"value"} | {k for k, v in _CSV_ALIASES.items() if v == "value"}):
        return IndicatorFormat.CSV
    if suffix in ("csv", "tsv"):
        raise ValueError(
            f"line {first.number}: a CSV file needs a header naming a 'value' column "
            f"(columns: {', '.join(CSV_FIELDS)}); for a list of values use --format plain"
        )
    return IndicatorFormat.PLAIN


# -- plain -------------------------------------------------------------------------------------

_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_|\- ]{0,40}):(.*)$", re.DOTALL)
_NOTE = re.compile(r"\s+#\s?")


def _plain_row(text: str, line: Line) -> list[IndicatorRow | RowError]:
    note_at = _NOTE.search(text)
    body = (text[: note_at.start()] if note_at else text).strip()
    note = text[note_at.end() :].strip() if note_at else ""
    if "\x00" in note:
        return [
            RowError(
                line.number, "comment contains a NUL character", "comment", line.offset, _clip(text)
            )
        ]
    parts: list[tuple[str, str, str]] = [("", body, "")]
    match = _PREFIX.match(body)
    if match:
        prefix, rest = match[1], match[2]
        try:
            parts = [(resolve_type(prefix), rest, "")]
        except _Bad:
            try:  # a composite MISP type: "ip-dst|port:192.0.2.1|8080"
                parts = [(p.type, p.raw, p.note) for p in split_misp(prefix, rest)]
            except UnsupportedMispType:
                pass  # not a type prefix ("https://…", an IPv6 address): detect the whole
            except ValueError as exc:
                return [RowError(line.number, str(exc), "value", line.offset, _clip(text))]
    out: list[IndicatorRow | RowError] = []
    for kind, raw, extra in parts:
        try:
            type_, value = canonical(kind, raw)
        except _Bad as exc:
            out.append(RowError(line.number, str(exc), exc.field, line.offset, _clip(text)))
            continue
        comment = "; ".join(x for x in (note, extra) if x)[:MAX_COMMENT_CHARS]
        out.append(
            IndicatorRow(line.number, line.offset, type_, value, raw.strip(), comment=comment)
        )
    return out


def _parse_plain(lines: LineSource, encoding: str) -> Iterator[ParsedIndicator]:
    while (line := lines.next()) is not None:
        if line.too_long:
            yield line.number, _too_long(line)
            continue
        text, bad = decode_line(line, encoding)
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if bad is not None:
            message = _bad_byte(line, bad, encoding)
            yield line.number, RowError(line.number, message, None, bad, _clip(text))
            continue
        for row in _plain_row(stripped, line):
            yield line.number, row


# -- CSV and MISP CSV --------------------------------------------------------------------------


class _RecordTooLarge(Exception):
    pass


class _Feed:
    """Decoded lines for ``csv.reader``, remembering the lines of the current record."""

    def __init__(self, lines: LineSource, encoding: str) -> None:
        self.source = lines
        self.encoding = encoding
        self.lines: list[Line] = []
        self.texts: list[str] = []
        self.bad: tuple[Line, int] | None = None
        self.size = 0

    def start(self) -> None:
        self.lines, self.texts, self.bad, self.size = [], [], None, 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self.source.next()
        if line is None:
            raise StopIteration
        self.lines.append(line)
        self.size += len(line.data)
        if line.too_long:
            raise _RecordTooLarge(f"line {line.number} is longer than {MAX_RECORD_BYTES:,} bytes")
        if len(self.lines) > MAX_RECORD_LINES or self.size > MAX_RECORD_BYTES:
            raise _RecordTooLarge("the record is too long (unbalanced quote?)")
        text, bad = decode_line(line, self.encoding)
        if bad is not None and self.bad is None:
            self.bad = (line, bad)
        self.texts.append(text)
        return text

    def raw(self) -> str:
        return _clip("".join(self.texts))


@dataclass(slots=True)
class _Record:
    line: int
    offset: int
    cells: list[str]
    raw: str
    error: RowError | None = None


def _records(feed: _Feed, reader: Iterator[list[str]]) -> Iterator[_Record]:
    """Non-blank CSV records; broken ones carry an error. After a broken multi-line record,
    reading resumes on the line after its first line (a stray quote swallows nothing)."""
    while True:
        feed.start()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, _RecordTooLarge) as exc:
            if not feed.lines:  # pragma: no cover - csv raises only after reading a line
                return
            start = feed.lines[0]
            message = f"CSV: {exc}"
            if "unexpected end of data" in str(exc):
                message = f"CSV: unterminated quoted field starting on line {start.number}"
            raw = feed.raw().split("\n", 1)[0]
            if len(feed.lines) > 1:
                message += f"; only line {start.number} rejected, reading on from the next line"
            yield _Record(
                start.number,
                start.offset,
                [],
                raw,
                RowError(start.number, message, None, start.offset, raw),
            )
            feed.source.push_back(feed.lines[1:])
            continue
        if not feed.lines or all(not c.strip() for c in cells):
            continue
        start = feed.lines[0]
        record = _Record(start.number, start.offset, cells, feed.raw())
        if feed.bad is not None:
            bad_line, bad_offset = feed.bad
            record.error = RowError(
                start.number,
                _bad_byte(bad_line, bad_offset, feed.encoding),
                None,
                bad_offset,
                record.raw,
            )
        yield record


def _parse_csv(
    lines: LineSource, encoding: str, first: Line, *, misp: bool
) -> Iterator[ParsedIndicator]:
    header_text, _ = decode_line(first, encoding)
    delimiter = "\t" if "\t" in header_text and "," not in header_text else ","
    feed = _Feed(lines, encoding)
    records = _records(feed, csv.reader(feed, delimiter=delimiter, strict=True))
    header = next(records, None)
    if header is None or header.error is not None:
        raise ValueError(f"line {first.number}: cannot read the CSV header")
    known = MISP_FIELDS if misp else CSV_FIELDS
    names = [c.strip().lower() for c in header.cells]
    columns: list[str | None] = []
    unknown: list[str] = []
    for index, name in enumerate(names):
        name = name if misp else _CSV_ALIASES.get(name, name)
        if name in known and name not in columns:
            columns.append(name)
        else:
            columns.append(None)
            unknown.append(name or f"(blank column {index + 1})")
    required = ("type", "value") if misp else ("value",)
    missing = [r for r in required if r not in columns]
    if missing:
        raise ValueError(
            f"line {header.line}: required column(s) missing from header: {', '.join(missing)} "
            f"(expected {', '.join(known[:8])}, …)"
        )
    return _csv_rows(records, columns, unknown, header, misp)


def _csv_rows(
    records: Iterator[_Record],
    columns: list[str | None],
    unknown: list[str],
    header: _Record,
    misp: bool,
) -> Iterator[ParsedIndicator]:
    if unknown:
        yield (
            header.line,
            RowError(
                header.line,
                f"unknown column(s) ignored: {', '.join(unknown)}",
                ",".join(unknown),
                header.offset,
                header.raw,
                warning=True,
            ),
        )
    width = len(columns)
    build = _misp_rows if misp else _csv_row
    for record in records:
        if record.error is not None:
            yield record.line, record.error
            continue
        if len(record.cells) > width and any(c.strip() for c in record.cells[width:]):
            message = f"{len(record.cells)} values but the header has {width} columns"
            yield record.line, RowError(record.line, message, None, record.offset, record.raw)
            continue
        values = {n: c for n, c in zip(columns, record.cells, strict=False) if n}
        for row in build(values, record.line, record.offset, lambda r=record.raw: r):  # type: ignore[misc]
            yield record.line, row


def _row_or_error(
    line: int, offset: int, raw: Callable[[], str], make: Callable[[], list[IndicatorRow]]
) -> list[IndicatorRow | RowError]:
    try:
        return list(make())
    except _Bad as exc:
        return [RowError(line, str(exc), exc.field, offset, raw())]


def _csv_row(
    values: Mapping[str, object], line: int, offset: int, raw: Callable[[], str]
) -> list[IndicatorRow | RowError]:
    def make() -> list[IndicatorRow]:
        type_name = _text(values.get("type"), "type")
        kind, value = canonical(
            resolve_type(type_name) if type_name.strip() else "",
            _text(values.get("value"), "value"),
        )
        first, last = _times(
            parse_when(_text(values.get("first_seen"), "first_seen"), "first_seen"),
            parse_when(_text(values.get("last_seen"), "last_seen"), "last_seen"),
        )
        tags, tagged = split_tlp(parse_tags(values.get("tags")), "tags")
        level = _strictest(tagged, parse_tlp(values.get("tlp")))
        return [
            IndicatorRow(
                line,
                offset,
                kind,
                value,
                _text(values.get("value"), "value").strip(),
                first,
                last,
                parse_confidence(values.get("confidence")),
                tags,
                _comment(values.get("comment")),
                level,
            )
        ]

    return _row_or_error(line, offset, raw, make)


def _truthy(text: str) -> bool | None:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "t", "y"):
        return True
    if value in ("0", "false", "no", "f", "n"):
        return False
    return None


def _misp_rows(
    values: Mapping[str, object], line: int, offset: int, raw: Callable[[], str]
) -> list[IndicatorRow | RowError]:
    misp_type = _text(values.get("type"), "type").strip()
    try:
        parts = split_misp(misp_type, _text(values.get("value"), "value"))
    except UnsupportedMispType as exc:
        return [RowError(line, str(exc), "type", offset, raw())]
    except ValueError as exc:
        return [RowError(line, str(exc), "value", offset, raw())]

    def common() -> tuple[datetime | None, datetime | None, tuple[str, ...], str, str | None]:
        date = parse_when(_text(values.get("date"), "date"), "date")
        first = parse_when(_text(values.get("first_seen"), "first_seen"), "first_seen") or date
        last = parse_when(_text(values.get("last_seen"), "last_seen"), "last_seen") or date
        first, last = _times(first, last)
        own, own_tlp = split_tlp(parse_tags(values.get("attribute_tag")), "attribute_tag")
        event, event_tlp = split_tlp(parse_tags(values.get("event_tag")), "event_tag")
        tags = [*own, *event]
        category = _text(values.get("category"), "category").strip()
        if category:
            tags.append(f"misp-category:{category}"[:MAX_TAG_CHARS])
        if _truthy(_text(values.get("to_ids"), "to_ids")) is False:
            tags.append("misp:to_ids=false")
        return (
            first,
            last,
            tuple(dict.fromkeys(tags))[:MAX_TAGS],
            _comment(values.get("comment")),
            _strictest(own_tlp, event_tlp),
        )

    try:
        first, last, tags, comment, level = common()
    except _Bad as exc:
        return [RowError(line, str(exc), exc.field, offset, raw())]
    out: list[IndicatorRow | RowError] = []
    for part in parts:
        try:
            kind, value = canonical(part.type, part.raw)
        except _Bad as exc:
            out.append(RowError(line, f"{misp_type}: {exc}", exc.field, offset, raw()))
            continue
        note = "; ".join(x for x in (comment, part.note) if x)[:MAX_COMMENT_CHARS]
        out.append(
            IndicatorRow(
                line, offset, kind, value, part.raw.strip(), first, last, None, tags, note, level
            )
        )
    return out


# -- JSON Lines --------------------------------------------------------------------------------


class _Duplicate(safejson.JSONInputError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key {key[:40]!r} given twice")
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _parse_jsonl(lines: LineSource, encoding: str) -> Iterator[ParsedIndicator]:
    known = set(CSV_FIELDS)
    warned: set[str] = set()
    while (line := lines.next()) is not None:
        if line.too_long:
            yield line.number, _too_long(line)
            continue
        if not line.data.strip():
            continue
        text, bad = decode_line(line, encoding)
        if bad is not None:
            yield (
                line.number,
                RowError(line.number, _bad_byte(line, bad, encoding), None, bad, _clip(text)),
            )
            continue
        try:  # limits: depth, number length, no NaN/Infinity, no lone surrogates
            obj = safejson.loads(text, max_bytes=MAX_RECORD_BYTES, object_pairs_hook=_no_duplicates)
        except _Duplicate as exc:
            yield (
                line.number,
                RowError(line.number, exc.reason, exc.key[:100], line.offset, _clip(text)),
            )
            continue
        except safejson.JSONInputError as exc:
            if exc.offset is not None:
                offset = line.offset + len(text[: exc.offset].encode(encoding, "replace"))
                message = (
                    f"invalid JSON at line {line.number} column {exc.offset + 1} "
                    f"(byte offset {offset}): {exc.reason}"
                )
                yield line.number, RowError(line.number, message, None, offset, _clip(text))
                continue
            where = f" at {exc.path}" if exc.path else ""
            yield (
                line.number,
                RowError(
                    line.number,
                    f"invalid JSON{where}: {exc.reason}",
                    None,
                    line.offset,
                    _clip(text),
                ),
            )
            continue
        if not isinstance(obj, dict):
            yield (
                line.number,
                RowError(line.number, "expected a JSON object", None, line.offset, _clip(text)),
            )
            continue
        values: dict[str, object] = {}
        new_unknown = []
        for key, value in obj.items():
            name = _CSV_ALIASES.get(key.strip().lower(), key.strip().lower())
            if name in known:
                values[name] = value
            elif name not in warned and len(warned) < 100:
                warned.add(name)
                new_unknown.append(name)
        if new_unknown:
            yield (
                line.number,
                RowError(
                    line.number,
                    f"unknown key(s) ignored: {', '.join(new_unknown)}",
                    ",".join(new_unknown),
                    line.offset,
                    "",
                    warning=True,
                ),
            )
        for row in _csv_row(values, line.number, line.offset, lambda t=text: _clip(t)):  # type: ignore[misc]
            yield line.number, row
